using Coord.Ids.Segment;
using Coord.Ids.Snowflake;
using Coord.Ids.Uuid;
using Microsoft.Extensions.DependencyInjection;

namespace Coord.Ids.Tests;

public sealed class IdsServiceCollectionExtensionsTests
{
    [Fact]
    public async Task A_static_worker_id_registers_a_ready_generator()
    {
        await using var services = new ServiceCollection().AddCoordSnowflake(o => o.WorkerId = 42).BuildServiceProvider();
        var generator = services.GetRequiredService<SnowflakeGenerator>();
        Assert.Same(generator, services.GetRequiredService<IIdGenerator<long>>());
        Assert.Same(generator, await services.GetRequiredService<SnowflakeGeneratorProvider>().GetAsync());
        Assert.Equal(42, generator.Decode(generator.Next()).WorkerId);
    }

    [Fact]
    public void Invalid_options_fail_at_registration()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ServiceCollection().AddCoordSnowflake(o =>
        {
            o.Layout = SnowflakeLayout.Default.WithRollbackBits(2, SnowflakeField.Worker);
            o.WorkerId = 300;
        }));
        Assert.Contains("between 0 and 255", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ServiceCollection().AddCoordSegmentIds(o => o.PreloadThreshold = 0));
    }

    [Fact]
    public async Task Segment_ids_default_to_the_in_memory_store()
    {
        await using var services = new ServiceCollection().AddCoordSegmentIds(o => o.AutoCreateTags = true).BuildServiceProvider();
        Assert.IsType<InMemorySegmentStore>(services.GetRequiredService<ISegmentStore>());
        var generator = services.GetRequiredService<ISegmentIdGenerator>();
        Assert.Equal(1, await generator.NextAsync("orders"));
        // The await may resume on another thread, which claims its own chunk of the segment.
        Assert.InRange(await generator.NextAsync("orders"), 2, 1000);
    }

    [Fact]
    public async Task Uuid_generators_are_registered()
    {
        await using var services = new ServiceCollection().AddCoordUuids().BuildServiceProvider();
        Assert.Equal(7, services.GetRequiredService<UuidV7Generator>().Next().Version);
        Assert.Equal(4, services.GetRequiredService<UuidV4Generator>().Next().Version);
    }
}
