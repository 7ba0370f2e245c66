namespace Coord.Service.Tests.Backends;

public sealed class RedisLockTests(RedisServiceFixture fixture) : SharedBackendLockTests(fixture), IClassFixture<RedisServiceFixture>;
