using System.Collections;
using System.Globalization;
using Coord.Ids.Segment;
using Npgsql;

namespace Coord.Ids.Tests.Segment;

/// <summary>Segments from a real PostgreSQL <c>leaf_alloc</c> table, across generators and processes.</summary>
public sealed class PostgresSegmentTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Four_generators_in_two_processes_draw_a_million_ids_without_repeats_or_unexplained_gaps()
    {
        var connection = await postgres.NewDatabaseAsync();
        await using (var store = new PostgresSegmentStore(new PostgresSegmentStoreOptions { ConnectionString = connection }))
            await store.CreateTagAsync("orders", 1000, "test", CancellationToken.None);

        var otherFile = Path.GetTempFileName();
        var ownFile = Path.GetTempFileName();
        try
        {
            using var other = HelperProcess.Start("segment-draw", connection, "orders", "2", "250000", otherFile);
            await Program.SegmentDrawAsync(connection, "orders", 2, 250_000, ownFile);
            await other.WaitForSuccessAsync(TimeSpan.FromMinutes(3));

            var issued = (await ReadIdsAsync(ownFile)).Concat(await ReadIdsAsync(otherFile)).ToArray();
            var unissued = (await ReadRangesAsync(ownFile + ".unissued")).Concat(await ReadRangesAsync(otherFile + ".unissued")).ToList();
            Assert.Equal(1_000_000, issued.Length);
            var maxId = await ScalarAsync<long>(connection, "SELECT max_id FROM leaf_alloc WHERE biz_tag = 'orders'");

            // Every id in [1, max_id) was handed out by the table exactly once: either issued, or still
            // buffered (an abandoned segment tail) when its generator stopped. Nothing else is missing.
            var seen = new BitArray(checked((int)maxId));
            foreach (var id in issued)
            {
                Assert.InRange(id, 1, maxId - 1);
                Assert.False(seen[(int)id], $"id {id} was issued twice");
                seen[(int)id] = true;
            }
            foreach (var (start, end) in unissued)
            {
                for (var id = start; id < end; id++)
                {
                    Assert.False(seen[(int)id], $"id {id} is both issued and reported unissued");
                    seen[(int)id] = true;
                }
            }
            for (var id = 1; id < maxId; id++)
                Assert.True(seen[id], $"id {id} is neither issued nor in an abandoned segment tail");
        }
        finally
        {
            foreach (var file in new[] { otherFile, ownFile, otherFile + ".unissued", ownFile + ".unissued" })
                File.Delete(file);
        }
    }

    [Fact]
    public async Task A_restarted_generator_never_reuses_an_id()
    {
        var connection = await postgres.NewDatabaseAsync();
        var options = new PostgresSegmentStoreOptions { ConnectionString = connection };
        var runs = new List<long[]>();
        for (var run = 0; run < 3; run++)
        {
            await using var store = new PostgresSegmentStore(options);
            var generator = new SegmentIdGenerator(store, new SegmentIdOptions { AutoCreateTags = true, InitialStep = 100 });
            var ids = new long[250];
            await generator.NextAsync("users", ids);
            await generator.DisposeAsync();
            runs.Add(ids);
        }
        for (var run = 1; run < runs.Count; run++)
            Assert.True(runs[run].Min() > runs[run - 1].Max(), $"run {run} starts at {runs[run].Min()}, not above the previous run's {runs[run - 1].Max()}");
    }

    [Fact]
    public async Task The_table_is_leaf_compatible_and_one_statement_advances_max_id_by_step()
    {
        var connection = await postgres.NewDatabaseAsync();
        await using var store = new PostgresSegmentStore(new PostgresSegmentStoreOptions { ConnectionString = connection });
        await store.EnsureSchemaAsync();
        // A row written the way Leaf's own scripts write it.
        await ScalarAsync<int>(connection, "INSERT INTO leaf_alloc (biz_tag, max_id, step, description) VALUES ('leaf-test', 1, 2000, 'from leaf') RETURNING 1");

        var first = await store.AllocateAsync("leaf-test", null, CancellationToken.None);
        var second = await store.AllocateAsync("leaf-test", 500, CancellationToken.None);
        Assert.Equal(new SegmentAllocation(2001, 2000, 2000), first);
        Assert.Equal(new SegmentAllocation(2501, 500, 2000), second);
        Assert.Equal(2501, await ScalarAsync<long>(connection, "SELECT max_id FROM leaf_alloc WHERE biz_tag = 'leaf-test'"));
        var columns = await ScalarAsync<string>(connection,
            "SELECT string_agg(column_name || ':' || data_type, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'leaf_alloc'");
        Assert.Equal("biz_tag:character varying,max_id:bigint,step:integer,description:character varying,update_time:timestamp without time zone", columns);
    }

    [Fact]
    public async Task An_unknown_tag_fails_clearly_and_auto_create_makes_it()
    {
        var connection = await postgres.NewDatabaseAsync();
        await using var store = new PostgresSegmentStore(new PostgresSegmentStoreOptions { ConnectionString = connection });
        await using var strict = new SegmentIdGenerator(store);
        var error = await Assert.ThrowsAsync<SegmentTagNotFoundException>(async () => await strict.NextAsync("missing"));
        Assert.Contains("'missing'", error.Message);
        Assert.Contains("table leaf_alloc", error.Message);

        await using var lenient = new SegmentIdGenerator(store, new SegmentIdOptions { AutoCreateTags = true });
        Assert.Equal(1, await lenient.NextAsync("missing"));
        Assert.Equal(1000, await ScalarAsync<int>(connection, "SELECT step FROM leaf_alloc WHERE biz_tag = 'missing'"));
    }

    private static async Task<long[]> ReadIdsAsync(string file)
    {
        var bytes = await File.ReadAllBytesAsync(file);
        var ids = new long[bytes.Length / sizeof(long)];
        Buffer.BlockCopy(bytes, 0, ids, 0, bytes.Length);
        return ids;
    }

    private static async Task<IEnumerable<(long Start, long End)>> ReadRangesAsync(string file)
        => (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0).Select(line =>
        {
            var parts = line.Split(' ');
            return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
        });

    internal static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
