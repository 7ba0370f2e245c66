using Coord.Ids.Segment;
using Npgsql;

namespace Coord.Ids.Tests.Segment;

/// <summary>Segment settings, tags, steps and max ids at the ends of their ranges, on the in-memory and PostgreSQL stores.</summary>
public sealed class SegmentLimitsTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Ids_run_up_to_long_MaxValue_minus_1_and_then_fail_clearly_never_wrapping_to_negative_ids()
    {
        var store = new InMemorySegmentStore();
        store.CreateTag("top", step: 10, maxId: long.MaxValue - 10);
        await using var generator = new SegmentIdGenerator(store);

        var ids = new long[10];
        await generator.NextAsync("top", ids);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => long.MaxValue - 10 + i), ids);
        await AssertRunsDryAsync(generator, "top", "run out of ids");
    }

    [Fact]
    public async Task On_PostgreSQL_ids_run_up_to_the_top_of_bigint_and_then_fail_clearly()
    {
        var connection = await postgres.NewDatabaseAsync();
        await using var store = new PostgresSegmentStore(new PostgresSegmentStoreOptions { ConnectionString = connection });
        await store.EnsureSchemaAsync();
        await using (var data = NpgsqlDataSource.Create(connection))
        await using (var insert = data.CreateCommand("INSERT INTO leaf_alloc (biz_tag, max_id, step) VALUES ('top', $1, 10)"))
        {
            insert.Parameters.AddWithValue(long.MaxValue - 10);
            await insert.ExecuteNonQueryAsync();
        }
        await using var generator = new SegmentIdGenerator(store);

        var ids = new long[10];
        await generator.NextAsync("top", ids);
        Assert.Equal(long.MaxValue - 1, ids[^1]);
        await AssertRunsDryAsync(generator, "top", "run out of ids");
    }

    [Fact]
    public async Task The_largest_step_and_the_longest_tag_are_accepted_and_one_past_each_is_refused()
    {
        var options = new SegmentIdOptions { InitialStep = int.MaxValue, MaxStep = int.MaxValue, AutoCreateTags = true };
        options.Validate();
        var store = new InMemorySegmentStore();
        await using var generator = new SegmentIdGenerator(store, options);
        var longest = new string('t', SegmentIdOptions.MaxTagLength);
        Assert.Equal(1, await generator.NextAsync(longest));
        var batch = new long[1000];
        await generator.NextAsync(longest, batch);
        Assert.Equal(Enumerable.Range(2, 1000).Select(i => (long)i), batch);
        // A one-character tag is as good as the longest.
        Assert.Equal(1, await generator.NextAsync("t"));

        foreach (var bad in new[] { "", new string('t', SegmentIdOptions.MaxTagLength + 1) })
        {
            var error = await Assert.ThrowsAsync<ArgumentException>(async () => await generator.NextAsync(bad));
            Assert.Contains($"1 to {SegmentIdOptions.MaxTagLength} characters", error.Message, StringComparison.Ordinal);
        }
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await generator.NextAsync(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.CreateTag("zero-step", step: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.CreateTag("negative-step", step: int.MinValue));
    }

    [Fact]
    public void Every_option_is_accepted_at_both_ends_and_refused_one_past_each_saying_what_is_allowed()
    {
        foreach (var ok in new SegmentIdOptions[]
                 {
                     new() { MaxAutoCreatedTags = 1 }, new() { MaxAutoCreatedTags = 1_000_000 },
                     new() { InitialStep = 1, MaxStep = 1 }, new() { InitialStep = int.MaxValue, MaxStep = int.MaxValue },
                     new() { PreloadThreshold = double.Epsilon }, new() { PreloadThreshold = 1 - 1e-9 },
                     new() { GrowWhenDrainedWithin = TimeSpan.FromTicks(1), ShrinkWhenLastingOver = TimeSpan.FromTicks(1) },
                     new() { GrowWhenDrainedWithin = TimeSpan.MaxValue, ShrinkWhenLastingOver = TimeSpan.MaxValue },
                 })
        {
            ok.Validate();
        }

        foreach (var (bad, named, allowed) in new (SegmentIdOptions, string, string)[]
                 {
                     (new() { MaxAutoCreatedTags = 0 }, "MaxAutoCreatedTags", "between 1 and 1,000,000"),
                     (new() { MaxAutoCreatedTags = 1_000_001 }, "MaxAutoCreatedTags", "between 1 and 1,000,000"),
                     (new() { MaxAutoCreatedTags = int.MinValue }, "MaxAutoCreatedTags", "between 1 and 1,000,000"),
                     (new() { InitialStep = 0 }, "InitialStep", "at least 1"),
                     (new() { InitialStep = int.MinValue }, "InitialStep", "at least 1"),
                     (new() { InitialStep = 1000, MaxStep = 999 }, "MaxStep", "at least InitialStep"),
                     (new() { PreloadThreshold = 0 }, "PreloadThreshold", "between 0 and 1"),
                     (new() { PreloadThreshold = 1 }, "PreloadThreshold", "between 0 and 1"),
                     (new() { PreloadThreshold = double.NaN }, "PreloadThreshold", "between 0 and 1"),
                     (new() { PreloadThreshold = double.PositiveInfinity }, "PreloadThreshold", "between 0 and 1"),
                     (new() { GrowWhenDrainedWithin = TimeSpan.Zero }, "GrowWhenDrainedWithin", "positive"),
                     (new() { GrowWhenDrainedWithin = TimeSpan.MinValue }, "GrowWhenDrainedWithin", "positive"),
                     (new() { GrowWhenDrainedWithin = TimeSpan.FromMinutes(31) }, "ShrinkWhenLastingOver", "no longer than"),
                 })
        {
            var error = Assert.ThrowsAny<ArgumentException>(bad.Validate);
            Assert.Contains(named, error.Message, StringComparison.Ordinal);
            Assert.Contains(allowed, error.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>The tag is dry: every further call fails with a message naming the cause, and none ever returns an id.</summary>
    private static async Task AssertRunsDryAsync(SegmentIdGenerator generator, string tag, string because)
    {
        for (var call = 0; call < 5; call++)
        {
            try
            {
                var id = call % 2 == 0 ? await generator.NextAsync(tag) : await TakeOneOfBatchAsync(generator, tag);
                Assert.Fail($"call {call} past the top of the id range returned {id}");
            }
            catch (SegmentUnavailableException dry)
            {
                Assert.Equal(tag, dry.Tag);
                Assert.Contains(because, dry.Message, StringComparison.Ordinal);
            }
        }
        Assert.Empty(generator.GetUnissuedRanges(tag));
    }

    private static async Task<long> TakeOneOfBatchAsync(SegmentIdGenerator generator, string tag)
    {
        var batch = new long[3];
        await generator.NextAsync(tag, batch);
        return batch[0];
    }
}
