using Coord.Stress.Engine;

namespace Coord.Locks.Tests.Stress;

/// <summary>When the runner's warm-up ends: its minimum, quiet window and cap.</summary>
public sealed class JitQuietTests
{
    [Fact]
    public void Warming_goes_on_until_the_minimum_however_quiet_the_jit()
        => Assert.True(new JitQuiet(TimeSpan.FromHours(1), TimeSpan.Zero, TimeSpan.FromHours(2)).KeepWarming);

    [Fact]
    public void Warming_goes_on_after_the_minimum_while_the_jit_was_heard_from_within_the_quiet_window()
        => Assert.True(new JitQuiet(TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromHours(2)).KeepWarming);

    [Fact]
    public void Warming_stops_at_the_maximum_even_while_the_jit_is_busy()
        => Assert.False(new JitQuiet(TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.Zero).KeepWarming);

    [Fact]
    public void Warming_stops_once_past_the_minimum_with_no_quiet_window_required()
        => Assert.False(new JitQuiet(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromHours(1)).KeepWarming);
}
