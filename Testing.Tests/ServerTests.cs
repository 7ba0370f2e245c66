using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using StackExchange.Redis;

namespace Coord.Testing.Tests;

public sealed class ServerTests
{
    [Fact]
    public async Task Redis_answers_and_survives_pause_kill_and_restart_on_the_same_port()
    {
        await using var redis = await RedisServer.StartAsync();
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString))
        {
            Assert.True(await connection.GetDatabase().StringSetAsync("k", "v"));
            Assert.Equal("v", (string?)await connection.GetDatabase().StringGetAsync("k"));
        }

        redis.Pause();
        Assert.True(redis.IsPaused);
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => redis.SendAsync("PING\r\n", shortWait.Token));
        redis.Resume();
        Assert.StartsWith("+PONG", await redis.SendAsync("PING\r\n"));

        var port = redis.Port;
        var pid = redis.ProcessId;
        redis.Kill();
        Assert.False(redis.IsRunning);
        await Assert.ThrowsAnyAsync<System.Net.Sockets.SocketException>(() => redis.SendAsync("PING\r\n"));
        await redis.StartAgainAsync();
        Assert.Equal(port, redis.Port);
        Assert.NotEqual(pid, redis.ProcessId);
        Assert.StartsWith("+PONG", await redis.SendAsync("PING\r\n"));
    }

    [Fact]
    public async Task Disposing_a_server_stops_its_process_and_removes_its_data()
    {
        var redis = await RedisServer.StartAsync();
        var pid = redis.ProcessId!.Value;
        var data = redis.DataDirectory;
        Assert.StartsWith("/tmp/coord-test-", data);
        await redis.DisposeAsync();
        Assert.False(Directory.Exists(data));
        Assert.False(File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Contains(data, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Independent_redis_masters_do_not_share_data()
    {
        await using var masters = await RedisMasters.StartAsync(3);
        Assert.Equal(3, masters.Nodes.Select(n => n.Port).Distinct().Count());
        await using var first = await ConnectionMultiplexer.ConnectAsync(masters.ConnectionStrings[0]);
        await using var second = await ConnectionMultiplexer.ConnectAsync(masters.ConnectionStrings[1]);
        await first.GetDatabase().StringSetAsync("only-here", "1");
        Assert.False(await second.GetDatabase().KeyExistsAsync("only-here"));
    }

    [Fact]
    public async Task Etcd_single_member_answers_the_v3_api()
    {
        await using var etcd = await EtcdNode.StartAsync();
        using var http = new HttpClient();
        var put = await http.PostAsync($"{etcd.ClientUrl}/v3/kv/put", JsonContent.Create(new { key = "a2V5", value = "dmFsdWU=" }));
        put.EnsureSuccessStatusCode();
        var range = await http.PostAsync($"{etcd.ClientUrl}/v3/kv/range", JsonContent.Create(new { key = "a2V5" }));
        var body = await range.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("dmFsdWU=", body.GetProperty("kvs")[0].GetProperty("value").GetString());
        Assert.True(await etcd.IsLeaderAsync());
    }

    [Fact]
    public async Task Etcd_cluster_forms_with_three_members_and_elects_a_new_leader_when_the_leader_dies()
    {
        await using var cluster = await EtcdCluster.StartAsync(3);
        using var http = new HttpClient();
        var members = await (await http.PostAsync($"{cluster.Nodes[0].ClientUrl}/v3/cluster/member/list", new StringContent("{}")))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, members.GetProperty("members").GetArrayLength());

        var leader = await cluster.FindLeaderAsync();
        leader.Kill();
        var next = await cluster.FindLeaderAsync();
        Assert.NotSame(leader, next);

        await leader.StartAgainAsync();
        Assert.Equal(next, await cluster.FindLeaderAsync());
    }

    [Fact]
    public async Task ZooKeeper_standalone_answers()
    {
        await using var zk = await ZooKeeperNode.StartAsync();
        Assert.Equal("imok", await zk.FourLetterWordAsync("ruok"));
        Assert.Equal("standalone", await zk.ModeAsync());
    }

    [Fact]
    public async Task ZooKeeper_ensemble_forms_with_three_members_and_survives_losing_its_leader()
    {
        await using var ensemble = await ZooKeeperEnsemble.StartAsync(3);
        var modes = await Task.WhenAll(ensemble.Nodes.Select(n => n.ModeAsync()));
        Assert.Equal(1, modes.Count(m => m == "leader"));
        Assert.Equal(2, modes.Count(m => m == "follower"));

        var leader = await ensemble.FindLeaderAsync();
        leader.Kill();
        var next = await ensemble.FindLeaderAsync(TimeSpan.FromSeconds(60));
        Assert.NotSame(leader, next);
        await leader.StartAgainAsync();
        Assert.Equal("follower", await leader.ModeAsync());
    }

    [Fact]
    public async Task Postgres_answers_keeps_data_across_a_kill_and_creates_databases()
    {
        await using var pg = await PostgresServer.StartAsync();
        var database = await pg.CreateDatabaseAsync("app");
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await new NpgsqlCommand("create table t(x int); insert into t values (42)", connection).ExecuteNonQueryAsync();
        }
        NpgsqlConnection.ClearAllPools();

        pg.Kill();
        await pg.StartAgainAsync();
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            Assert.Equal(42, await new NpgsqlCommand("select x from t", connection).ExecuteScalarAsync());
        }
    }

    [Fact]
    public void A_missing_binary_names_it_and_the_install_command()
    {
        var ex = Assert.Throws<ServerBinaryMissingException>(() => ProbeMissing.Require());
        Assert.Contains("/usr/bin/no-such-server", ex.Message);
        Assert.Contains("apt-get install -y no-such-package", ex.Message);
    }

    private sealed class ProbeMissing : ServerNode
    {
        private ProbeMissing() : base("probe", 1, Path.GetTempPath())
        {
        }

        public static void Require() => RequireBinary("/usr/bin/no-such-server", "no-such-package");

        protected override (string Program, IReadOnlyList<string> Arguments) Command() => ("", []);

        protected override Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(false);
    }
}
