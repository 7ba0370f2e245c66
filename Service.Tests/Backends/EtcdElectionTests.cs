namespace Coord.Service.Tests.Backends;

public sealed class EtcdElectionTests(EtcdServiceFixture fixture) : BackendElectionTests(fixture), IClassFixture<EtcdServiceFixture>;
