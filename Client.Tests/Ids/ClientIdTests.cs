using Coord.Client.Tests.Infrastructure;

namespace Coord.Client.Tests.Ids;

/// <summary>Ids through the client: unique, in the order the service issued them across prefetched batches, and failures reported.</summary>
public sealed class ClientIdTests(ServiceOnRedisFixture fixture) : IClassFixture<ServiceOnRedisFixture>
{
    [Fact]
    public async Task Snowflake_ids_rise_strictly_across_growing_prefetched_batches_and_two_clients_never_share_one()
    {
        await using var a = fixture.NewClient(o => o.InitialIdBatchSize = 100);
        await using var b = fixture.NewClient(o => o.InitialIdBatchSize = 100);
        // From 100 per batch, doubling: tens of batches, several fetched while others were being used.
        var fromA = new long[60_000];
        for (var i = 0; i < 20_000; i++)
            fromA[i] = a.Snowflake.Next();
        a.Snowflake.Next(fromA.AsSpan(20_000, 30_000));
        await a.Snowflake.NextAsync(fromA.AsMemory(50_000));
        var fromB = new long[20_000];
        b.Snowflake.Next(fromB);

        for (var i = 1; i < fromA.Length; i++)
            Assert.True(fromA[i] > fromA[i - 1], $"id {i} ({fromA[i]}) is not above id {i - 1} ({fromA[i - 1]})");
        Assert.Equal(fromA.Length + fromB.Length, fromA.Concat(fromB).Distinct().Count());
        Assert.All(fromA.Concat(fromB), id => Assert.True(id > 0));
    }

    [Fact]
    public async Task A_snowflake_id_decodes_to_the_services_worker_and_a_recent_timestamp()
    {
        await using var client = fixture.NewClient();
        var id = await client.Snowflake.NextAsync();
        var parts = await client.Snowflake.DecodeAsync(id);
        Assert.Equal(id, parts.Id);
        Assert.Equal(1, parts.WorkerId); // the service's fixed worker id when none is leased
        Assert.InRange(parts.Timestamp, DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.Snowflake.DecodeAsync(-1));
    }

    [Fact]
    public async Task Uuids_have_the_asked_version_and_v7_ones_rise()
    {
        await using var client = fixture.NewClient(o => o.InitialIdBatchSize = 64);
        var v7 = new Guid[3_000];
        client.UuidsV7.Next(v7);
        var v4 = Enumerable.Range(0, 1_000).Select(_ => client.UuidsV4.Next()).ToArray();

        Assert.All(v7, g => Assert.Equal(7, g.Version));
        Assert.All(v4, g => Assert.Equal(4, g.Version));
        Assert.Equal(v7.Length + v4.Length, v7.Concat(v4).Distinct().Count());
        for (var i = 1; i < v7.Length; i++)
            Assert.True(string.CompareOrdinal(v7[i].ToString("N"), v7[i - 1].ToString("N")) > 0, $"UUIDv7 {i} does not sort after {i - 1}");
    }

    [Fact]
    public async Task Segment_ids_of_a_tag_rise_and_tags_are_independent()
    {
        await using var client = fixture.NewClient(o => o.InitialIdBatchSize = 10);
        var orders = new long[500];
        await client.Segments.NextAsync("orders", orders);
        var first = await client.Segments.NextAsync("invoices");
        var more = await client.Segments.NextAsync("orders");

        for (var i = 1; i < orders.Length; i++)
            Assert.True(orders[i] > orders[i - 1]);
        Assert.True(more > orders[^1]);
        Assert.True(first > 0);
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await client.Segments.NextAsync(""));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await client.Segments.NextAsync(new string('t', 129)));
    }

    [Fact]
    public async Task Ids_from_a_service_nobody_answers_on_fail_with_a_CoordServiceException_and_work_once_it_answers()
    {
        await using var client = fixture.NewClient(o => o.ConnectTimeout = TimeSpan.FromSeconds(2));
        Assert.True(client.Snowflake.Next() > 0);
        await fixture.Service.StopAsync();
        try
        {
            // Drain what was prefetched; the next fetch finds nobody.
            var failure = Assert.Throws<CoordServiceException>(() =>
            {
                for (var i = 0; i < 1_000_000; i++)
                    client.Snowflake.Next();
            });
            Assert.Null(failure.StatusCode);
            Assert.Contains(fixture.Service.BaseAddress.ToString(), failure.Message, StringComparison.Ordinal);
        }
        finally
        {
            await fixture.Service.StartAgainAsync();
        }
        Assert.True(await client.Snowflake.NextAsync() > 0);
    }
}
