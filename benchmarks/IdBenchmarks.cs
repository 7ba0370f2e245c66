using BenchmarkDotNet.Attributes;
using Coord.Ids.Segment;
using Coord.Ids.Snowflake;
using Coord.Ids.Uuid;

namespace Coord.Benchmarks;

/// <summary>
/// One id per operation from each generator, side by side in one run (the machines are shared and
/// noisy, so compare ratios to the <see cref="Guid.NewGuid"/> baseline).
/// </summary>
/// <remarks>
/// The default Snowflake layout allows 4,096 ids per ms per worker, so a sustained loop cannot go
/// below ~244 ns per id: that benchmark measures the layout's limit. The 22-bit-sequence layout is
/// never limited and shows what one id costs to make.
/// </remarks>
[MemoryDiagnoser]
public class IdBenchmarks
{
    private const string Tag = "bench";
    private SnowflakeGenerator _snowflake = null!;
    private SnowflakeGenerator _snowflakeWide = null!;
    private SegmentIdGenerator _segment = null!;
    private readonly UuidV7Generator _uuidV7 = new();
    private readonly UuidV4Generator _uuidV4 = new();

    [GlobalSetup]
    public void Setup()
    {
        _snowflake = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 1 });
        _snowflakeWide = new SnowflakeGenerator(new SnowflakeOptions { WorkerId = 0, Layout = new SnowflakeLayout(timestampBits: 41, workerBits: 0, sequenceBits: 22) });
        var store = new InMemorySegmentStore();
        store.CreateTag(Tag, step: 100_000);
        _segment = new SegmentIdGenerator(store);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _segment.DisposeAsync();

    [Benchmark(Description = "Snowflake 41|10|12")]
    public long Snowflake() => _snowflake.Next();

    [Benchmark(Description = "Snowflake 41|0|22 (no ms limit)")]
    public long SnowflakeWideSequence() => _snowflakeWide.Next();

    [Benchmark(Description = "Segment (in-memory store)")]
    public ValueTask<long> Segment() => _segment.NextAsync(Tag);

    [Benchmark(Description = "Coord UUID v7")]
    public Guid CoordUuidV7() => _uuidV7.Next();

    [Benchmark(Description = "Coord UUID v4")]
    public Guid CoordUuidV4() => _uuidV4.Next();

    [Benchmark(Baseline = true, Description = "Guid.NewGuid (v4)")]
    public Guid GuidNewGuid() => Guid.NewGuid();

    [Benchmark(Description = "Guid.CreateVersion7")]
    public Guid GuidCreateVersion7() => Guid.CreateVersion7();

    [Benchmark(Description = "UUIDNext NewSequential (v7)")]
    public Guid UuidNextSequential() => UUIDNext.Uuid.NewSequential();
}
