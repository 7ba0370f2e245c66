namespace Coord.Service.Tests.Backends;

public sealed class InMemoryElectionTests(InMemoryServiceFixture fixture) : BackendElectionTests(fixture), IClassFixture<InMemoryServiceFixture>;
