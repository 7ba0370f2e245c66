using Coord.Client.Tests.Infrastructure;

namespace Coord.Client.Tests.Elections;

public sealed class InMemoryServiceElectionTests(ServiceOnInMemoryFixture fixture) : ServiceElectionTests(fixture), IClassFixture<ServiceOnInMemoryFixture>;
