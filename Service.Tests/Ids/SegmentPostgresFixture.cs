using Coord.Testing;

namespace Coord.Service.Tests.Ids;

/// <summary>A throwaway PostgreSQL for segment tags outside dev mode.</summary>
public sealed class SegmentPostgresFixture : IAsyncLifetime
{
    public PostgresServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await PostgresServer.StartAsync("svc-segments");

    public async Task DisposeAsync()
    {
        if (Server is not null)
            await Server.DisposeAsync();
    }
}
