namespace Coord.Service.Tests.Backends;

public sealed class PostgresLockTests(PostgresServiceFixture fixture) : SharedBackendLockTests(fixture), IClassFixture<PostgresServiceFixture>;
