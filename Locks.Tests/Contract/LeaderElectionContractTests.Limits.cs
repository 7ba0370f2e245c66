using System.Diagnostics;
using System.Text;

namespace Coord.Locks.Tests.Contract;

public abstract partial class LeaderElectionContractTests
{
    [Fact]
    public async Task Election_names_are_checked_at_both_ends_of_the_range_with_election_words()
    {
        var a = await CreateClientAsync();

        var none = await Assert.ThrowsAsync<ArgumentNullException>(() => a.CampaignAsync(null!, "v"));
        Assert.Equal("election", none.ParamName);
        var empty = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.CampaignAsync("", "v"));
        Assert.Contains("An election name must be 1 to 256", empty.Message, StringComparison.Ordinal);
        var tooLong = await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryCampaignAsync(new string('x', 257), "v"));
        Assert.Contains("257", tooLong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryCampaignAsync("bad\u0001name", "v"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.TryCampaignAsync("lone\ud800surrogate", "v"));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => a.GetLeaderAsync(new string('x', 257)));
        Assert.ThrowsAny<ArgumentException>(() => a.ObserveAsync(""));
        Assert.Throws<ArgumentNullException>(() => a.ObserveAsync(null!));

        var longest = (NewElection("n") + new string('n', 256))[..256];
        await using var atLimit = await a.TryCampaignAsync(longest, "v");
        Assert.NotNull(atLimit);
        Assert.Equal(longest, (await a.GetLeaderAsync(longest))?.Election);
        var shortest = Guid.NewGuid().ToString("N")[..1];
        await using var one = await a.TryCampaignAsync(shortest, "v", wait: NoHang);
        Assert.NotNull(one);
    }

    [Fact]
    public async Task Values_are_checked_at_both_ends_of_the_size_range_in_UTF8_bytes()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var election = NewElection("value");
        const int max = LeaderElectionProvider.MaximumValueBytes;

        var none = await Assert.ThrowsAsync<ArgumentNullException>(() => a.CampaignAsync(election, null!));
        Assert.Equal("value", none.ParamName);
        var tooLong = await Assert.ThrowsAsync<ArgumentException>(() => a.CampaignAsync(election, new string('v', max + 1)));
        Assert.Contains($"at most {max} bytes", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains($"it had {max + 1}", tooLong.Message, StringComparison.Ordinal);
        // Counted in bytes, not characters: 'é' is two bytes of UTF-8.
        var wide = new string('é', max / 2) + "x";
        Assert.Equal(max + 1, Encoding.UTF8.GetByteCount(wide));
        await Assert.ThrowsAsync<ArgumentException>(() => a.TryCampaignAsync(election, wide));
        await Assert.ThrowsAsync<ArgumentException>(() => a.TryCampaignAsync(election, "lone\udc00surrogate"));
        // The refused campaigns took nothing.
        Assert.Null(await b.GetLeaderAsync(election));

        // Both ends are accepted and come back unchanged, whoever reads them.
        var widest = new string('é', max / 2);
        Assert.Equal(max, Encoding.UTF8.GetByteCount(widest));
        await using var leadership = await a.CampaignAsync(election, widest);
        Assert.Equal(widest, (await b.GetLeaderAsync(election))?.Value);
        await leadership.ProclaimAsync("");
        Assert.Equal("", (await b.GetLeaderAsync(election))?.Value);
        var emoji = string.Concat(Enumerable.Repeat("\U0001F5F3", max / 4));
        await leadership.ProclaimAsync(emoji);
        Assert.Equal(emoji, (await b.GetLeaderAsync(election))?.Value);

        // A refused proclamation changes nothing.
        await Assert.ThrowsAsync<ArgumentException>(() => leadership.ProclaimAsync(new string('v', max + 1)));
        await Assert.ThrowsAsync<ArgumentNullException>(() => leadership.ProclaimAsync(null!));
        Assert.Equal(emoji, leadership.Value);
        Assert.Equal(new ElectionLeader(election, emoji, leadership.Term), await b.GetLeaderAsync(election));
    }

    [Fact]
    public async Task TTLs_and_waits_are_checked_at_both_ends_of_their_ranges()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var election = NewElection("ranges");

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryCampaignAsync(election, "v", ttl: TimeSpan.Zero));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryCampaignAsync(election, "v", ttl: a.MinimumTtl - TimeSpan.FromTicks(1)));
        var tooLong = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryCampaignAsync(election, "v", ttl: a.MaximumTtl + TimeSpan.FromTicks(1)));
        Assert.Contains("A leadership TTL", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("at most", tooLong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryCampaignAsync(election, "v", wait: TimeSpan.FromTicks(-1)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.CampaignAsync(election, "v", wait: LockOptions.MaximumWait + TimeSpan.FromTicks(1)));
        Assert.Null(await b.GetLeaderAsync(election));

        // Both ends of the TTL range are accepted.
        var longest = await a.TryCampaignAsync(election, "longest", ttl: a.MaximumTtl);
        Assert.NotNull(longest);
        Assert.True(longest.ValidUntil > DateTimeOffset.UtcNow + a.MaximumTtl * 0.9);
        Assert.Equal(a.MaximumTtl, longest.Ttl);
        await longest.ResignAsync();
        var shortest = await a.TryCampaignAsync(election, "shortest", ttl: a.MinimumTtl);
        Assert.NotNull(shortest);
        await shortest.DisposeAsync();
        // The longest bounded wait and an infinite one are accepted (and return at once when nobody leads).
        var waited = await a.CampaignAsync(election, "waited", wait: LockOptions.MaximumWait);
        await waited.ResignAsync();
        await using var forever = await a.CampaignAsync(election, "forever", wait: Timeout.InfiniteTimeSpan);
        Assert.Equal("forever", (await b.GetLeaderAsync(election))?.Value);
    }

    [Fact]
    public async Task Leaders_at_the_smallest_and_largest_accepted_TTL_keep_others_out_until_they_resign()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.AtTheEndsAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertLeadershipExcludesAsync(a, b, ttl), ttl => AssertLeadershipLeaseExcludesAsync(a, b, ttl));
    }

    [Fact]
    public async Task For_any_accepted_TTL_another_candidate_is_refused_until_resignation_or_expiry()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        await TtlLimits.OverTheRandomSampleAsync(a.MinimumTtl, a.MaximumTtl, ttl => AssertLeadershipExcludesAsync(a, b, ttl), ttl => AssertLeadershipLeaseExcludesAsync(a, b, ttl));
    }

    [Fact]
    public async Task TTLs_and_waits_that_overflow_careless_arithmetic_are_refused_in_election_words()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var election = NewElection("overflow");
        foreach (var ttl in TtlLimits.OverflowProneTtls.Where(t => t < a.MinimumTtl || t > a.MaximumTtl))
        {
            var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryCampaignAsync(election, "v", ttl: ttl));
            TtlLimits.AssertSaysWhatIsAllowed(refused, "ttl");
            Assert.Contains("A leadership TTL", refused.Message, StringComparison.Ordinal);
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryCampaignLeaseAsync(election, "v", ttl: ttl)), "ttl");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.RenewLeaseAsync(election, "token", ttl)), "ttl");
        }
        foreach (var wait in TtlLimits.OverflowProneWaits)
        {
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.CampaignAsync(election, "v", wait: wait)), "wait");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryCampaignAsync(election, "v", wait: wait)), "wait");
            TtlLimits.AssertSaysWhatIsAllowed(await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => a.TryCampaignLeaseAsync(election, "v", wait: wait)), "wait");
        }
        Assert.Null(await b.GetLeaderAsync(election));
    }

    [Fact]
    public async Task A_campaign_wait_of_the_maximum_is_a_real_wait_that_a_resignation_ends()
    {
        var a = await CreateClientAsync();
        var b = await CreateClientAsync();
        var election = NewElection("wait-max");
        var leader = await a.CampaignAsync(election, "a", ttl: TimeSpan.FromSeconds(30));

        var campaigning = b.CampaignAsync(election, "b", wait: LockOptions.MaximumWait, ttl: TimeSpan.FromSeconds(30));
        await UntilCandidatesAsync(election, 2);
        Assert.False(campaigning.IsCompleted, campaigning.Exception?.ToString());
        await leader.ResignAsync();
        Assert.Same(campaigning, await Task.WhenAny(campaigning, Task.Delay(NoHang)));
        await using var next = await campaigning;
        Assert.False(next.IsLost);
        Assert.Equal("b", (await a.GetLeaderAsync(election))?.Value);
    }

    private static async Task AssertLeadershipExcludesAsync(LeaderElectionProvider a, LeaderElectionProvider b, TimeSpan ttl)
    {
        var election = NewElection("ttl-leader");
        var asked = Stopwatch.GetTimestamp();
        var leadership = await a.CampaignAsync(election, "a", wait: NoHang, ttl: ttl);
        Assert.Equal(ttl, leadership.Ttl);
        await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryCampaignAsync(election, "b"), ttl, asked, () => leadership.IsLost, "the leadership");
        var seen = await b.GetLeaderAsync(election);
        Assert.True(seen?.Value == "a" || leadership.IsLost, $"TTL {ttl}: another client sees leader {seen?.Value ?? "none"} while the leader still vouches for its leadership");

        await leadership.ResignAsync();
        await using var next = await b.TryCampaignAsync(election, "b", wait: NoHang);
        Assert.True(next is not null, $"TTL {ttl}: nobody could be elected after the leader resigned");
    }

    private static async Task AssertLeadershipLeaseExcludesAsync(LeaderElectionProvider a, LeaderElectionProvider b, TimeSpan ttl)
    {
        var election = NewElection("ttl-leader-lease");
        var asked = Stopwatch.GetTimestamp();
        var lease = await a.TryCampaignLeaseAsync(election, "a", wait: NoHang, ttl: ttl);
        Assert.True(lease is not null, $"TTL {ttl}: nobody led, yet the campaign was not elected");
        Assert.Equal(ttl, lease.Ttl);
        Assert.True(lease.ValidUntil <= DateTimeOffset.UtcNow + ttl, $"TTL {ttl}: the leadership claims validity until {lease.ValidUntil:O}, beyond its TTL");
        await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryCampaignAsync(election, "b"), ttl, asked, () => true, "the leadership");

        var renewed = Stopwatch.GetTimestamp();
        if (await a.RenewLeaseAsync(election, lease.HolderToken, ttl))
            await TtlLimits.AssertRefusedUnlessExpiredAsync(async () => await b.TryCampaignAsync(election, "b"), ttl, renewed, () => true, "the leadership");
        else
            Assert.True(Stopwatch.GetElapsedTime(asked) >= ttl, $"TTL {ttl}: renewing a live leadership by its token was refused after {Stopwatch.GetElapsedTime(asked)}");

        await a.ResignLeaseAsync(election, lease.HolderToken);
        await using var next = await b.TryCampaignAsync(election, "b", wait: NoHang);
        Assert.True(next is not null, $"TTL {ttl}: nobody could be elected after the leader resigned");
    }
}
