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
}
