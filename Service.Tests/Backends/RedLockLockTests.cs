namespace Coord.Service.Tests.Backends;

public sealed class RedLockLockTests(RedLockServiceFixture fixture) : BackendLockTests(fixture), IClassFixture<RedLockServiceFixture>;
