namespace Coord.Service.Tests.Backends;

public sealed class EtcdSemaphoreTests(EtcdServiceFixture fixture) : BackendSemaphoreTests(fixture), IClassFixture<EtcdServiceFixture>;
