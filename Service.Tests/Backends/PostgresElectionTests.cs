namespace Coord.Service.Tests.Backends;

public sealed class PostgresElectionTests(PostgresServiceFixture fixture) : BackendElectionTests(fixture), IClassFixture<PostgresServiceFixture>;
