namespace Coord.Service.Tests.Backends;

public sealed class RedisSemaphoreTests(RedisServiceFixture fixture) : BackendSemaphoreTests(fixture), IClassFixture<RedisServiceFixture>;
