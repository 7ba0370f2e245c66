namespace Coord.Service.Tests.Backends;

public sealed class InMemorySemaphoreTests(InMemoryServiceFixture fixture) : BackendSemaphoreTests(fixture), IClassFixture<InMemoryServiceFixture>;
