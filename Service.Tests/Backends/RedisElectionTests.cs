namespace Coord.Service.Tests.Backends;

public sealed class RedisElectionTests(RedisServiceFixture fixture) : BackendElectionTests(fixture), IClassFixture<RedisServiceFixture>;
