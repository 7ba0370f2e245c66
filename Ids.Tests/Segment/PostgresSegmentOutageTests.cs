using Npgsql;
using Coord.Ids.Segment;

namespace Coord.Ids.Tests.Segment;

/// <summary>The database stops or hangs while generators hold buffered segments. Own server: these tests stop it.</summary>
public sealed class PostgresSegmentOutageTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Buffered_draws_never_wait_on_the_database()
    {
        var connection = await postgres.NewDatabaseAsync();
        await using var store = new PostgresSegmentStore(new PostgresSegmentStoreOptions { ConnectionString = connection, CommandTimeout = TimeSpan.FromSeconds(30) });
        await using var generator = new SegmentIdGenerator(store, new SegmentIdOptions { AutoCreateTags = true, InitialStep = 1000 });
        var buffered = await FillBothBuffersAsync(generator, "hot");

        // Every server process stops (the postmaster and the backends already serving pooled
        // connections): sockets stay open, nothing answers.
        using var paused = FrozenProcessTree.Freeze(postgres.Server.ProcessId!.Value);
        try
        {
            for (var i = 0; i < buffered; i++)
            {
                var draw = generator.NextAsync("hot");
                Assert.True(draw.IsCompletedSuccessfully, $"draw {i} of {buffered} buffered ids waited although ids were buffered");
            }
            var starved = generator.NextAsync("hot").AsTask();
            await Task.Delay(300);
            Assert.False(starved.IsCompleted, "with both buffers empty the draw must wait for the database");
            paused.Dispose();
            var id = await starved.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(id > 1);
        }
        finally
        {
            paused.Dispose();
        }
    }

    [Fact]
    public async Task With_the_database_stopped_buffers_are_served_then_a_clear_error_then_recovery()
    {
        var connection = await postgres.NewDatabaseAsync();
        await using var store = new PostgresSegmentStore(new PostgresSegmentStoreOptions { ConnectionString = connection });
        await using var generator = new SegmentIdGenerator(store, new SegmentIdOptions { AutoCreateTags = true, InitialStep = 1000 });
        var issued = new HashSet<long>();
        var buffered = await FillBothBuffersAsync(generator, "down", issued);

        await postgres.Server.StopAsync();
        try
        {
            for (var i = 0; i < buffered; i++)
                Assert.True(issued.Add(await generator.NextAsync("down")));
            var error = await Assert.ThrowsAsync<SegmentUnavailableException>(async () => await generator.NextAsync("down"));
            Assert.Contains("'down'", error.Message);
            Assert.Contains($"PostgreSQL {postgres.Server.Endpoint}", error.Message);
            Assert.Contains("used up", error.Message);
            // Still failing, still clear, while the database is down.
            await Assert.ThrowsAsync<SegmentUnavailableException>(async () => await generator.NextAsync("down"));
        }
        finally
        {
            await postgres.Server.StartAgainAsync();
            NpgsqlConnection.ClearAllPools(); // the fixture's own pooled connections died with the server
        }

        for (var i = 0; i < 3000; i++)
            Assert.True(issued.Add(await generator.NextAsync("down")), "an id repeated after recovery");
    }

    /// <summary>Draws past the preload point and waits for the second buffer; returns how many ids are buffered.</summary>
    private static async Task<long> FillBothBuffersAsync(SegmentIdGenerator generator, string tag, HashSet<long>? issued = null)
    {
        // One batch: single draws resuming on pool threads would leave ids claimed by those threads,
        // which this test's draws could not reach.
        var ids = new long[150];
        await generator.NextAsync(tag, ids);
        issued?.UnionWith(ids);
        await SegmentIdGeneratorTests.WaitUntilAsync(() => generator.GetUnissuedRanges(tag).Count == 2);
        return generator.GetUnissuedRanges(tag).Sum(r => r.End - r.Start);
    }
}
