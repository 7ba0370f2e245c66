namespace Coord.Service.Tests.Backends;

public sealed class PostgresSemaphoreTests(PostgresServiceFixture fixture) : BackendSemaphoreTests(fixture), IClassFixture<PostgresServiceFixture>;
