using System.Diagnostics;
using Coord.Stress.Engine;

namespace Coord.Locks.Tests.Stress;

/// <summary>The after-the-run check of recorded critical sections, on hand-made intervals at its edges.</summary>
public sealed class IntervalAnalysisTests
{
    [Fact]
    public void N_sections_at_once_are_within_capacity_and_an_N_plus_first_is_one_violation()
    {
        HoldInterval[] three = [Hold(0, 10, 20, fence: 1), Hold(1, 11, 20, fence: 2), Hold(2, 12, 20, fence: 3)];

        var atCapacity = IntervalAnalysis.Analyze(three, capacity: 3);
        var overCapacity = IntervalAnalysis.Analyze([.. three, Hold(3, 13, 20, fence: 4)], capacity: 3);

        Assert.Equal((0, 3), (atCapacity.Overlaps, atCapacity.PeakInUse));
        Assert.Equal((1, 4), (overCapacity.Overlaps, overCapacity.PeakInUse));
    }

    [Fact]
    public void A_section_that_starts_when_another_ends_is_not_beside_it()
    {
        var result = IntervalAnalysis.Analyze([Hold(0, 0, 10, fence: 1), Hold(1, 10, 20, fence: 2)], capacity: 1);

        Assert.Equal((0, 1, 0), (result.Overlaps, result.PeakInUse, result.FencesOutOfOrder));
    }

    [Fact]
    public void A_lock_with_two_holders_is_one_overlap()
    {
        var result = IntervalAnalysis.Analyze([Hold(0, 0, 10, fence: 1), Hold(1, 9, 20, fence: 2)], capacity: 1);

        Assert.Equal((1, 2), (result.Overlaps, result.PeakInUse));
    }

    [Fact]
    public void Names_are_counted_apart()
    {
        var result = IntervalAnalysis.Analyze([Hold(0, 0, 10, fence: 1, name: 0), Hold(1, 0, 10, fence: 1, name: 1)], capacity: 1);

        Assert.Equal((0, 1, 0), (result.Overlaps, result.PeakInUse, result.FencesOutOfOrder));
    }

    [Fact]
    public void Semaphore_grants_that_overlap_may_return_in_any_token_order()
    {
        // Both asked before either returned: the grant with token 2 may come back first.
        var result = IntervalAnalysis.Analyze([Hold(0, 5, 20, fence: 2, asked: 0), Hold(1, 6, 20, fence: 1, asked: 1)], capacity: 2);

        Assert.Equal(0, result.FencesOutOfOrder);
    }

    [Fact]
    public void Semaphore_grant_asked_after_another_returned_needs_a_higher_token_and_tokens_are_never_shared()
    {
        var lower = IntervalAnalysis.Analyze([Hold(0, 5, 20, fence: 7, asked: 0), Hold(1, 9, 20, fence: 6, asked: 6)], capacity: 2);
        var shared = IntervalAnalysis.Analyze([Hold(0, 5, 20, fence: 7, asked: 0), Hold(1, 6, 20, fence: 7, asked: 1)], capacity: 2);
        var higher = IntervalAnalysis.Analyze([Hold(0, 5, 20, fence: 7, asked: 0), Hold(1, 9, 20, fence: 8, asked: 6)], capacity: 2);

        Assert.Equal(1, lower.FencesOutOfOrder);
        Assert.Equal(1, shared.FencesOutOfOrder);
        Assert.Equal(0, higher.FencesOutOfOrder);
    }

    [Fact]
    public void Live_monitor_counts_an_N_plus_first_holder_and_the_peak()
    {
        var monitor = new ExclusionMonitor(names: 1, capacity: 2);
        var now = Stopwatch.GetTimestamp();

        monitor.Enter(0, client: 0, now, now, fence: 1);
        monitor.Enter(0, client: 1, now, now, fence: 2);
        monitor.Exit(0, client: 0, now);
        monitor.Enter(0, client: 2, now, now, fence: 3);
        monitor.Enter(0, client: 3, now, now, fence: 4);

        Assert.Equal((1, 3), (monitor.Overlaps, monitor.PeakInUse));
    }

    private static HoldInterval Hold(int client, long acquired, long released, long fence, long? asked = null, int name = 0)
        => new(client, name, asked ?? acquired, acquired, released, fence);
}
