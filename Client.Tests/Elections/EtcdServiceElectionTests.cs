using Coord.Client.Tests.Infrastructure;

namespace Coord.Client.Tests.Elections;

public sealed class EtcdServiceElectionTests(ServiceOnEtcdFixture fixture) : ServiceElectionTests(fixture), IClassFixture<ServiceOnEtcdFixture>;
