namespace Coord.Service.Tests.Backends;

public sealed class InMemoryLockTests(InMemoryServiceFixture fixture) : BackendLockTests(fixture), IClassFixture<InMemoryServiceFixture>;
