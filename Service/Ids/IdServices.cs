using Coord.Ids.Segment;
using Coord.Ids.Snowflake;
using Coord.Ids.Uuid;

namespace Coord.Service.Ids;

/// <summary>
/// The ID generators this instance serves, from <c>Coord:Ids</c>:
/// <c>Snowflake</c> binds onto <see cref="SnowflakeOptions"/> (<c>WorkerId</c>, or <c>WorkerIdLease:ConnectionString</c>
/// to lease one from PostgreSQL; neither means the fixed worker id <see cref="DevWorkerId"/>), and
/// <c>Segment</c> onto <see cref="SegmentIdOptions"/> (<c>PostgresStore:ConnectionString</c> for Leaf's
/// <c>leaf_alloc</c> table; none means an in-memory store that creates tags on first use).
/// </summary>
public sealed class IdServices : IAsyncDisposable
{
    public const string SectionName = "Coord:Ids";

    /// <summary>The worker id used when none is configured or leased; fine for one instance, never for a fleet.</summary>
    public const int DevWorkerId = 1;

    private readonly IAsyncDisposable? _segmentStore;

    private IdServices(SnowflakeGeneratorProvider snowflake, SegmentIdGenerator segments, IAsyncDisposable? segmentStore, string summary, TimeProvider time)
    {
        UuidV7 = new UuidV7Generator(time);
        Snowflake = snowflake;
        Segments = segments;
        _segmentStore = segmentStore;
        Summary = summary;
    }

    public SnowflakeGeneratorProvider Snowflake { get; }
    public SegmentIdGenerator Segments { get; }
    public UuidV4Generator UuidV4 { get; } = new();
    public UuidV7Generator UuidV7 { get; }

    /// <summary>One line for the start-up log.</summary>
    public string Summary { get; }

    /// <summary>Whether segments come from PostgreSQL (and so /readyz should ask it).</summary>
    public bool SegmentsFromPostgres => _segmentStore is not null;

    public static IdServices FromConfiguration(IConfiguration configuration, TimeProvider time, ILoggerFactory loggers)
    {
        var section = configuration.GetSection(SectionName);

        var snowflakeOptions = new SnowflakeOptions();
        section.GetSection("Snowflake").Bind(snowflakeOptions);
        var fixedDevWorker = snowflakeOptions.WorkerId is null && snowflakeOptions.WorkerIdLease is null;
        if (fixedDevWorker)
            snowflakeOptions.WorkerId = DevWorkerId;
        var snowflake = new SnowflakeGeneratorProvider(snowflakeOptions, time, loggers);

        var segmentSection = section.GetSection("Segment");
        var segmentOptions = new SegmentIdOptions();
        segmentSection.Bind(segmentOptions);
        ISegmentStore store;
        IAsyncDisposable? ownedStore = null;
        if (segmentOptions.PostgresStore is { } postgres)
        {
            var pgStore = new PostgresSegmentStore(postgres);
            store = pgStore;
            ownedStore = pgStore;
        }
        else
        {
            // In memory nothing survives a restart anyway, so a tag is made on first use unless configured otherwise.
            if (segmentSection["AutoCreateTags"] is null)
                segmentOptions.AutoCreateTags = true;
            store = new InMemorySegmentStore();
        }
        var segments = new SegmentIdGenerator(store, segmentOptions, time, loggers.CreateLogger<SegmentIdGenerator>());

        var worker = snowflakeOptions.WorkerId is { } id
            ? fixedDevWorker ? $"fixed worker id {id} (dev; configure Coord:Ids:Snowflake:WorkerId or WorkerIdLease for a fleet)" : $"worker id {id}"
            : "worker id leased from PostgreSQL";
        var summary = $"snowflake with {worker}, segments from {store.Description}{(segmentOptions.AutoCreateTags ? " (tags made on first use)" : "")}, uuid v4/v7";
        return new IdServices(snowflake, segments, ownedStore, summary, time);
    }

    public async ValueTask DisposeAsync()
    {
        await Segments.DisposeAsync().ConfigureAwait(false);
        if (_segmentStore is not null)
            await _segmentStore.DisposeAsync().ConfigureAwait(false);
        await Snowflake.DisposeAsync().ConfigureAwait(false);
    }
}
