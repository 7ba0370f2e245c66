using Coord.Ids.Segment;
using Microsoft.Extensions.Time.Testing;

namespace Coord.Ids.Tests.Segment;

/// <summary>Double buffer, adaptive step and tag handling, over the in-memory store.</summary>
public sealed class SegmentIdGeneratorTests
{
    [Fact]
    public async Task Ids_start_at_one_and_run_on_across_segments()
    {
        var store = new InMemorySegmentStore();
        store.CreateTag("orders", step: 100);
        await using var generator = new SegmentIdGenerator(store);
        var ids = new long[1000];
        for (var i = 0; i < ids.Length; i++)
            ids[i] = await generator.NextAsync("orders");
        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), ids);
    }

    [Fact]
    public async Task The_next_segment_loads_once_ten_percent_of_the_current_one_is_used()
    {
        var store = new InMemorySegmentStore();
        store.CreateTag("orders", step: 100);
        await using var generator = new SegmentIdGenerator(store);
        for (var i = 0; i < 9; i++)
            await generator.NextAsync("orders");
        Assert.Equal(1, generator.LoadsStarted("orders"));
        Assert.Equal([(10L, 101L)], generator.GetUnissuedRanges("orders"));

        await generator.NextAsync("orders"); // the 10th id of 100
        Assert.Equal(2, generator.LoadsStarted("orders"));
        await WaitUntilAsync(() => generator.GetUnissuedRanges("orders").Count == 2);
        Assert.Equal([(11L, 101L), (101L, 301L)], generator.GetUnissuedRanges("orders")); // step doubled: drained fast
    }

    [Fact]
    public async Task The_step_doubles_when_segments_drain_fast_and_halves_when_they_last_long_within_bounds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        var store = new InMemorySegmentStore();
        store.CreateTag("orders", step: 100);
        await using var generator = new SegmentIdGenerator(store, new SegmentIdOptions { MaxStep = 800, InitialStep = 100 }, time);

        Assert.Equal(1, await generator.NextAsync("orders")); // the first load takes the stored step
        Assert.Equal(100, generator.CurrentStep("orders"));
        var steps = new List<int>();
        for (var segment = 0; segment < 6; segment++)
        {
            await DrainCurrentSegmentAsync(generator, "orders");
            steps.Add(generator.CurrentStep("orders"));
            time.Advance(TimeSpan.FromMinutes(1));
        }
        Assert.Equal([200, 400, 800, 800, 800, 800], steps);

        // Between 15 and 30 minutes per segment: the step holds. Over 30: it halves, down to the stored step.
        var slow = new List<int>();
        foreach (var minutes in new[] { 20, 31, 31, 31, 31 })
        {
            time.Advance(TimeSpan.FromMinutes(minutes));
            await DrainCurrentSegmentAsync(generator, "orders");
            slow.Add(generator.CurrentStep("orders"));
        }
        Assert.Equal([800, 400, 200, 100, 100], slow);
    }

    [Fact]
    public async Task An_unknown_tag_fails_clearly_unless_auto_create_is_on()
    {
        var store = new InMemorySegmentStore();
        await using var strict = new SegmentIdGenerator(store);
        var error = await Assert.ThrowsAsync<SegmentTagNotFoundException>(async () => await strict.NextAsync("nobody"));
        Assert.Contains("'nobody'", error.Message);
        Assert.Contains("AutoCreateTags", error.Message);

        await using var lenient = new SegmentIdGenerator(store, new SegmentIdOptions { AutoCreateTags = true, InitialStep = 50 });
        Assert.Equal(1, await lenient.NextAsync("nobody"));
        Assert.Equal([(2L, 51L)], lenient.GetUnissuedRanges("nobody"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(1_000)]
    public async Task Tags_made_on_first_use_stop_at_the_limit_and_existing_tags_keep_working(int limit)
    {
        var store = new InMemorySegmentStore();
        store.CreateTag("existing", step: 10);
        await using var generator = new SegmentIdGenerator(store, new SegmentIdOptions { AutoCreateTags = true, InitialStep = 10, MaxAutoCreatedTags = limit });
        // Made concurrently: the count must not overshoot even when first uses race.
        var made = await Task.WhenAll(Enumerable.Range(0, limit).Select(i => Task.Run(async () => await generator.NextAsync($"t{i}"))));
        Assert.All(made, id => Assert.Equal(1, id));

        var refused = await Assert.ThrowsAsync<SegmentTagLimitReachedException>(async () => await generator.NextAsync("one-too-many"));
        Assert.Equal(limit, refused.Limit);
        Assert.Contains($"'one-too-many' does not exist", refused.Message);
        Assert.Contains($"limit of {limit} tags", refused.Message);
        await Assert.ThrowsAsync<SegmentTagLimitReachedException>(async () => await generator.NextAsync("one-too-many")); // asked again: still refused

        // Tags already there (made by hand, or made before the limit) do not count against it and keep serving.
        Assert.Equal(1, await generator.NextAsync("existing"));
        Assert.Equal(2, await generator.NextAsync($"t{limit - 1}"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1_000_001)]
    public void A_tag_limit_out_of_range_is_refused(int limit)
        => Assert.Contains("MaxAutoCreatedTags must be between 1 and 1,000,000", Assert.Throws<ArgumentOutOfRangeException>(
            () => new SegmentIdOptions { MaxAutoCreatedTags = limit }.Validate()).Message);

    [Fact]
    public void The_largest_tag_limit_is_accepted()
        => new SegmentIdOptions { MaxAutoCreatedTags = 1_000_000 }.Validate();

    [Fact]
    public async Task Tags_have_independent_ranges()
    {
        var store = new InMemorySegmentStore();
        store.CreateTag("a", step: 10);
        store.CreateTag("b", step: 10, maxId: 1000);
        await using var generator = new SegmentIdGenerator(store);
        Assert.Equal(1, await generator.NextAsync("a"));
        Assert.Equal(1000, await generator.NextAsync("b"));
        Assert.Equal(2, await generator.NextAsync("a"));
        Assert.Equal(1001, await generator.NextAsync("b"));
    }

    [Fact]
    public async Task A_batch_spans_segments_without_gaps_or_repeats()
    {
        var store = new InMemorySegmentStore();
        store.CreateTag("orders", step: 7);
        await using var generator = new SegmentIdGenerator(store);
        var first = new long[25];
        await generator.NextAsync("orders", first);
        var second = new long[3];
        await generator.NextAsync("orders", second);
        Assert.Equal(Enumerable.Range(1, 28).Select(i => (long)i), first.Concat(second));
    }

    [Fact]
    public async Task Concurrent_callers_get_distinct_ids()
    {
        var store = new InMemorySegmentStore();
        store.CreateTag("orders", step: 10);
        await using var generator = new SegmentIdGenerator(store);
        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var ids = new long[20_000];
            for (var i = 0; i < ids.Length; i++)
                ids[i] = await generator.NextAsync("orders");
            return ids;
        })));
        Assert.Equal(80_000, results.SelectMany(r => r).Distinct().Count());
    }

    [Theory]
    [InlineData(10)]        // one id per claim
    [InlineData(100_000)]   // threads claim chunks of 256
    public async Task Threads_drawing_at_once_never_share_an_id_and_every_id_handed_out_is_issued_or_reported_unissued(int step)
    {
        var store = new InMemorySegmentStore();
        store.CreateTag("orders", step);
        await using var generator = new SegmentIdGenerator(store, new SegmentIdOptions { MaxStep = 1_000_000 });
        var perThread = new long[4][];
        using var start = new Barrier(4);
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            var ids = perThread[t] = new long[60_000];
            start.SignalAndWait();
            for (var i = 0; i < 50_000; i++)
            {
                var next = generator.NextAsync("orders");
                ids[i] = next.IsCompletedSuccessfully ? next.Result : next.AsTask().GetAwaiter().GetResult();
            }
            generator.NextAsync("orders", ids.AsMemory(50_000)).AsTask().GetAwaiter().GetResult(); // batches mix with single draws
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        foreach (var ids in perThread)
        {
            for (var i = 1; i < ids.Length; i++)
                Assert.True(ids[i] > ids[i - 1], "a thread's ids must increase");
        }
        var issued = perThread.SelectMany(ids => ids).ToList();
        Assert.Equal(240_000, issued.Distinct().Count());
        await WaitUntilAsync(() => store.Allocations == generator.LoadsStarted("orders"));
        var unissued = generator.GetUnissuedRanges("orders");
        var handedOut = unissued.Max(r => r.End);
        var seen = new bool[handedOut];
        foreach (var id in issued.Concat(unissued.SelectMany(r => LongRange(r.Start, r.End))))
        {
            Assert.InRange(id, 1, handedOut - 1);
            Assert.False(seen[id], $"id {id} is counted twice");
            seen[id] = true;
        }
        Assert.All(Enumerable.Range(1, (int)handedOut - 1), id => Assert.True(seen[id], $"id {id} was handed out by the store but neither issued nor reported unissued"));
    }

    private static IEnumerable<long> LongRange(long start, long end)
    {
        for (var id = start; id < end; id++)
            yield return id;
    }

    [Theory]
    [InlineData("")]
    [InlineData("a129aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task A_tag_outside_1_to_128_characters_is_rejected(string tag)
    {
        await using var generator = new SegmentIdGenerator(new InMemorySegmentStore());
        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await generator.NextAsync(tag));
        Assert.Contains("1 to 128 characters", error.Message);
    }

    [Fact]
    public void Options_out_of_range_are_rejected()
    {
        Assert.Contains("PreloadThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentIdOptions { PreloadThreshold = 1.5 }.Validate()).Message);
        Assert.Contains("MaxStep", Assert.Throws<ArgumentOutOfRangeException>(() => new SegmentIdOptions { MaxStep = 10 }.Validate()).Message);
        Assert.Contains("ConnectionString", Assert.Throws<ArgumentException>(() => new PostgresSegmentStoreOptions().Validate()).Message);
        Assert.Contains("plain SQL identifier", Assert.Throws<ArgumentException>(
            () => new PostgresSegmentStoreOptions { ConnectionString = "Host=x", TableName = "x; drop table y" }.Validate()).Message);
    }

    /// <summary>Draws the rest of the current segment, then waits until the next one (loaded on the way) is buffered.</summary>
    private static async Task DrainCurrentSegmentAsync(SegmentIdGenerator generator, string tag)
    {
        var current = generator.GetUnissuedRanges(tag)[0];
        // One batch: single draws from pool threads could leave ids claimed by a thread behind.
        await generator.NextAsync(tag, new long[current.End - current.Start]);
        await WaitUntilAsync(() => generator.GetUnissuedRanges(tag).Count == 1);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
            await Task.Delay(5, timeout.Token);
    }
}
