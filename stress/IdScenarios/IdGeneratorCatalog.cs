using Coord.Client;
using Coord.Ids.Segment;
using Coord.Ids.Snowflake;
using Coord.Ids.Uuid;
using Coord.Stress.Servers;

namespace Coord.Stress.IdScenarios;

/// <summary>
/// Every ID generator the runner knows, by name. Adding one is one entry: a factory that returns an
/// <see cref="IdSource"/> (a generator shared by all threads of the scenario).
/// </summary>
public static class IdGeneratorCatalog
{
    private const string SegmentTag = "stress";

    private sealed record Entry(string Name, string Description, Func<StressServers, CancellationToken, Task<IdSource>> Create);

    private static readonly Entry[] Entries =
    [
        new("snowflake", "Coord SnowflakeGenerator, static worker id 1 (41|10|12 layout: at most 4,096 IDs per ms)",
            (_, _) =>
            {
                var generator = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 1 });
                return Task.FromResult(new IdSource("snowflake", () => IdSource.From(generator.Next()), generator));
            }),
        new("segment-memory", "Coord SegmentIdGenerator on the in-memory store (the hot path without a database)",
            (_, _) =>
            {
                var store = new InMemorySegmentStore();
                store.CreateTag(SegmentTag, 1_000);
                var generator = new SegmentIdGenerator(store);
                return Task.FromResult(new IdSource("segment-memory", () => IdSource.From(Next(generator)), generator));
            }),
        new("segment-postgres", "Coord SegmentIdGenerator on PostgreSQL (Leaf's leaf_alloc table)",
            async (servers, ct) =>
            {
                var postgres = await servers.PostgresAsync(ct).ConfigureAwait(false);
                var store = new PostgresSegmentStore(new PostgresSegmentStoreOptions { ConnectionString = postgres.ConnectionString });
                var tag = $"{SegmentTag}-{Guid.NewGuid():N}"[..20];
                await store.CreateTagAsync(tag, 1_000, "coord stress run", ct).ConfigureAwait(false);
                var generator = new SegmentIdGenerator(store);
                return new IdSource("segment-postgres", () => IdSource.From(Next(generator, tag)), new Owners(generator, store));
            }),
        new("client-snowflake", "Coord.Client Snowflake ids with prefetch, from the Coord service (child process, in-memory backends, worker id 1) over loopback HTTP",
            async (_, ct) =>
            {
                var (client, owners) = await ServiceClientAsync(ct).ConfigureAwait(false);
                return new IdSource("client-snowflake", () => IdSource.From(client.Snowflake.Next()), owners);
            }),
        new("client-uuid7", "Coord.Client UUIDv7 with prefetch, from the Coord service (child process) over loopback HTTP",
            async (_, ct) =>
            {
                var (client, owners) = await ServiceClientAsync(ct).ConfigureAwait(false);
                return new IdSource("client-uuid7", () => IdSource.From(client.UuidsV7.Next()), owners);
            }),
        new("uuid7", "Coord UuidV7Generator (monotonic within the generator)",
            (_, _) =>
            {
                var generator = new UuidV7Generator();
                return Task.FromResult(new IdSource("uuid7", () => IdSource.From(generator.Next())));
            }),
        new("uuid4", "Coord UuidV4Generator",
            (_, _) =>
            {
                var generator = new UuidV4Generator();
                return Task.FromResult(new IdSource("uuid4", () => IdSource.From(generator.Next())));
            }),
        new("bcl-uuid7", "peer: .NET Guid.CreateVersion7 (RFC 9562 v7, not monotonic within a millisecond)",
            (_, _) => Task.FromResult(new IdSource("bcl-uuid7", () => IdSource.From(Guid.CreateVersion7())))),
        new("uuidnext-v7", "peer: UUIDNext Uuid.NewSequential (v7)",
            (_, _) => Task.FromResult(new IdSource("uuidnext-v7", () => IdSource.From(UUIDNext.Uuid.NewSequential())))),
    ];

    public static IReadOnlyList<string> Names => Entries.Select(e => e.Name).ToArray();

    public static string Describe(string name) => Find(name).Description;

    public static Task<IdSource> CreateAsync(string name, StressServers servers, CancellationToken cancellationToken) => Find(name).Create(servers, cancellationToken);

    private static Entry Find(string name) => Entries.FirstOrDefault(e => e.Name == name)
        ?? throw new ArgumentException($"Unknown ID generator '{name}'. Known: {string.Join(", ", Entries.Select(e => e.Name))}.", nameof(name));

    // The threads call synchronously; a draw completes at once unless both segments are empty.
    private static long Next(SegmentIdGenerator generator, string tag = SegmentTag)
    {
        var next = generator.NextAsync(tag);
        return next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The service as a child process with its defaults (in-memory locks, 10,000 ids per request at most) and a client of it.</summary>
    private static async Task<(CoordClient Client, IAsyncDisposable Owners)> ServiceClientAsync(CancellationToken cancellationToken)
    {
        var service = await CoordServiceNode.StartAsync("inmemory", new Dictionary<string, string>(), cancellationToken).ConfigureAwait(false);
        var client = CoordClient.Create(o => o.BaseAddress = service.BaseAddress);
        return (client, new Owners(client, service));
    }

    private sealed class Owners(params IAsyncDisposable[] owned) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var o in owned)
                await o.DisposeAsync().ConfigureAwait(false);
        }
    }
}
