using System.Collections.Concurrent;
using Coord.Locks.Internal;

namespace Coord.Locks.Tests;

public sealed class HolderTokenTests
{
    [Fact]
    public async Task Tokens_drawn_on_many_threads_past_several_batches_are_distinct_32_digit_lowercase_hex()
    {
        var tokens = new ConcurrentBag<string>();
        // 8 threads × 200 tokens crosses each thread's batch boundary several times.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 200; i++)
                tokens.Add(HolderTokens.New());
        })));

        Assert.Equal(1600, tokens.Count);
        Assert.Equal(tokens.Count, tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.All(tokens, token => Assert.Matches("^[0-9a-f]{32}$", token));
        // A token is never the wiped (all-zero) bytes of an earlier one.
        Assert.DoesNotContain(new string('0', 32), tokens);
    }

    [Fact]
    public async Task Every_acquire_gets_a_fresh_token_that_the_backend_accepts()
    {
        await using var locks = new Coord.Locks.InMemory.InMemoryLock();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 100; i++)
        {
            var lease = await locks.TryAcquireLeaseAsync($"token/{i % 3}", ttl: TimeSpan.FromSeconds(30));
            Assert.NotNull(lease);
            Assert.True(seen.Add(lease.HolderToken));
            Assert.True(await locks.ReleaseAsync(lease.Name, lease.HolderToken));
        }
    }
}
