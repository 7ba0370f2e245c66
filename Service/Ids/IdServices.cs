using Coord.Ids.Segment;
using Coord.Ids.Snowflake;
using Coord.Ids.Uuid;
using Coord.Service.Hosting;

namespace Coord.Service.Ids;

/// <summary>
/// The ID generators this instance serves, from <c>Coord:Ids</c>:
/// <c>Snowflake</c> binds onto <see cref="SnowflakeSettings"/> (layout, epoch, waits, <c>WorkerId</c>), or
/// <c>WorkerIdLease</c> (<see cref="WorkerIdLeasers"/>) to lease one; neither means the fixed worker id
/// <see cref="DevWorkerId"/>), and
/// <c>Segment</c> onto <see cref="SegmentIdOptions"/> (<c>PostgresStore</c> onto <see cref="PostgresSegmentStoreOptions"/> for Leaf's
/// <c>leaf_alloc</c> table; none means dev mode's in-memory store, which creates tags on first use, at most
/// <c>MaxAutoCreatedTags</c> of them).
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
        StrictConfiguration.RejectUnknownKeys(section, "Snowflake", "Segment");
        var segmentSection = section.GetSection("Segment");
        var segmentOptions = StrictConfiguration.Bind(segmentSection, new SegmentIdOptions(), "PostgresStore");
        Prefixed(segmentSection, segmentOptions.Validate);
        var postgresSection = segmentSection.GetSection("PostgresStore");
        PostgresSegmentStoreOptions? postgres = null;
        if (postgresSection.Exists())
        {
            postgres = StrictConfiguration.Bind(postgresSection, new PostgresSegmentStoreOptions());
            Prefixed(postgresSection, postgres.Validate);
        }

        var (snowflake, fixedDevWorker) = SnowflakeFromConfiguration(section.GetSection("Snowflake"), time, loggers);
        ISegmentStore store;
        IAsyncDisposable? ownedStore = null;
        if (postgres is not null)
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

        var snowflakeOptions = snowflake.Options;
        var worker = snowflakeOptions.WorkerId is { } id
            ? fixedDevWorker ? $"fixed worker id {id} (dev; configure Coord:Ids:Snowflake:WorkerId or WorkerIdLease for a fleet)" : $"worker id {id}"
            : $"worker id leased from {snowflakeOptions.WorkerIdLeaser!.Description}";
        var summary = $"snowflake ({snowflakeOptions.Layout}) with {worker}, segments from {store.Description}{(segmentOptions.AutoCreateTags ? $" (tags made on first use, at most {segmentOptions.MaxAutoCreatedTags})" : "")}, uuid v4/v7";
        return new IdServices(snowflake, segments, ownedStore, summary, time);
    }

    private static (SnowflakeGeneratorProvider Provider, bool FixedDevWorker) SnowflakeFromConfiguration(IConfigurationSection section, TimeProvider time, ILoggerFactory loggers)
    {
        var settings = StrictConfiguration.Bind(section, new SnowflakeSettings(), "WorkerIdLease");
        var leaseSection = section.GetSection("WorkerIdLease");
        if (settings.WorkerId is not null && leaseSection.Exists())
            throw new ArgumentException($"{section.Path}: set WorkerId (a fixed id) or WorkerIdLease (leased from a store), not both.");
        var fixedDevWorker = settings.WorkerId is null && !leaseSection.Exists();
        if (fixedDevWorker)
            settings.WorkerId = DevWorkerId;
        var options = Prefixed(section, settings.ToOptions);
        if (leaseSection.Exists())
            options.WorkerIdLeaser = WorkerIdLeasers.Create(leaseSection, loggers, time);
        try
        {
            return (Prefixed(section, () => new SnowflakeGeneratorProvider(options, time)), fixedDevWorker);
        }
        catch
        {
            options.WorkerIdLeaser?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    // The library names the property; the operator needs the configuration path too.
    private static T Prefixed<T>(IConfigurationSection section, Func<T> make)
    {
        try
        {
            return make();
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"{section.Path}: {ex.Message}", ex);
        }
    }

    private static void Prefixed(IConfigurationSection section, Action validate) => Prefixed(section, () =>
    {
        validate();
        return 0;
    });

    public async ValueTask DisposeAsync()
    {
        await Segments.DisposeAsync().ConfigureAwait(false);
        if (_segmentStore is not null)
            await _segmentStore.DisposeAsync().ConfigureAwait(false);
        await Snowflake.DisposeAsync().ConfigureAwait(false);
    }
}
