using System.Diagnostics;
using Coord.Locks.Postgres;
using Npgsql;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Postgres;

/// <summary>What the PostgreSQL backend promises beyond the shared contract: its row layout, one statement per operation, connection economy, queue hygiene and clear failures.</summary>
[Collection(PostgresTestCollection.Name)]
public sealed class PostgresLockTests(PostgresServerFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresServerFixture>, IAsyncLifetime
{
    private readonly PostgresClients _clients = new(postgres.Server);

    private PostgresLock Client(Action<NpgsqlConnectionStringBuilder>? connection = null, string schema = "public", TimeSpan? waiterLease = null)
        => _clients.Create(connection, o =>
        {
            o.Schema = schema;
            o.WaiterLease = waiterLease ?? o.WaiterLease;
        });

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _clients.DisposeAsync().AsTask();

    [Fact]
    public async Task The_row_holds_the_token_and_server_expiry_and_stays_after_release_with_its_fence()
    {
        var name = $"layout/{Guid.NewGuid():N}";
        var client = Client();
        var held = await client.AcquireAsync(name, ttl: TimeSpan.FromSeconds(20));

        Assert.Equal(Guid.ParseExact(held.HolderToken, "N"), await postgres.ScalarAsync<Guid>("SELECT holder FROM public.coord_locks WHERE name = $1", name));
        Assert.Equal(held.FencingToken, await postgres.ScalarAsync<long>("SELECT fence FROM public.coord_locks WHERE name = $1", name));
        var left = await postgres.ScalarAsync<double>("SELECT EXTRACT(EPOCH FROM expires_at - clock_timestamp())::float8 FROM public.coord_locks WHERE name = $1", name);
        Assert.InRange(left, 15, 20);

        await held.ReleaseAsync();
        Assert.Equal(1L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks WHERE name = $1 AND holder IS NULL AND expires_at IS NULL", name));
        await using var again = await client.AcquireAsync(name);
        Assert.Equal(held.FencingToken + 1, again.FencingToken);
    }

    [Fact]
    public async Task Acquire_renew_and_release_are_one_statement_each()
    {
        // This client's sessions log every statement they run, so the server itself counts them.
        var client = Client(b => b.Options = "-c log_statement=all");
        await (await client.AcquireAsync($"cost-warmup/{Guid.NewGuid():N}")).ReleaseAsync();
        var name = $"cost/{Guid.NewGuid():N}";
        var before = client.Metrics.RequestCounts();
        var logStart = new FileInfo(postgres.Server.LogPath).Length;

        var lease = await client.TryAcquireLeaseAsync(name, ttl: TimeSpan.FromSeconds(30));
        Assert.NotNull(lease);
        Assert.True(await client.RenewAsync(name, lease.HolderToken, TimeSpan.FromSeconds(30)));
        Assert.True(await client.ReleaseAsync(name, lease.HolderToken));

        var after = client.Metrics.RequestCounts();
        Assert.Equal(1, after["acquire"] - before["acquire"]);
        Assert.Equal(1, after["renew"] - before.GetValueOrDefault("renew"));
        Assert.Equal(1, after["release"] - before["release"]);
        var logged = await StatementsLoggedSinceAsync(logStart, expected: 3);
        Assert.True(logged.Count == 3, $"the server ran {logged.Count} statements:\n{string.Join("\n", logged)}");
        // A free lock is taken by one plain upsert that queues nothing; release is one call of the release function.
        Assert.StartsWith("INSERT INTO", logged[0], StringComparison.Ordinal);
        Assert.StartsWith("UPDATE", logged[1], StringComparison.Ordinal);
        Assert.Contains($"coord_locks_release_v{PostgresLockStatements.ProtocolVersion}\"($1, $2, $3, $4)", logged[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_a_commit_that_makes_a_holder_waits_for_the_wal_flush()
    {
        var statements = new PostgresLockStatements("public", "coord_locks");
        var holderClient = Client();
        var name = $"flush/{Guid.NewGuid():N}";
        var holder = await holderClient.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));

        // A place in line, and the take by the acquire function once the lock is free.
        var queuer = Guid.NewGuid();
        Assert.Equal((false, "off"), await postgres.CallInTransactionAsync(statements.Acquire, name, queuer, 30_000L, 30_000L, true, DBNull.Value));
        await holder.ReleaseAsync();
        Assert.Equal((true, "on"), await postgres.CallInTransactionAsync(statements.Acquire, name, queuer, 30_000L, 30_000L, true, DBNull.Value));

        // An uncontended free, and a release by a token that does not hold.
        Assert.Equal((true, "off"), await postgres.CallInTransactionAsync(statements.Release, name, queuer, DBNull.Value, false));
        Assert.Equal((false, "off"), await postgres.CallInTransactionAsync(statements.Release, name, Guid.NewGuid(), DBNull.Value, false));

        // A hand-off to a waiter of another provider.
        var again = await holderClient.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var waiterClient = Client();
        var waiting = waiterClient.AcquireAsync(name, wait: TimeSpan.FromSeconds(30));
        await postgres.WaitForQueuedAsync(name, 1);
        Assert.Equal((true, "on"), await postgres.CallInTransactionAsync(statements.Release, name, Guid.ParseExact(again.HolderToken, "N"), DBNull.Value, false));
        await using var next = await waiting;
        Assert.Equal(again.FencingToken + 1, next.FencingToken);
    }

    private async Task<List<string>> StatementsLoggedSinceAsync(long offset, int expected)
    {
        // The server writes its log asynchronously; give it a moment, then read what this client ran.
        List<string> statements = [];
        for (var i = 0; i < 50 && statements.Count < expected; i++)
        {
            await Task.Delay(100);
            await using var stream = new FileStream(postgres.Server.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(offset, SeekOrigin.Begin);
            var text = await new StreamReader(stream).ReadToEndAsync();
            statements = [.. text.Split('\n')
                .Select(line => line.IndexOf("LOG:  ", StringComparison.Ordinal) is var at and >= 0 ? line[(at + 6)..] : null)
                .Where(line => line is not null && (line.StartsWith("statement: ", StringComparison.Ordinal) || line.StartsWith("execute ", StringComparison.Ordinal)))
                .Select(line => line![(line!.IndexOf(": ", StringComparison.Ordinal) + 2)..].TrimStart())];
        }
        await Task.Delay(300);
        return statements;
    }

    [Fact]
    public async Task Five_hundred_held_locks_need_only_the_pool_and_all_waiters_share_one_listener()
    {
        const string app = "coord-pool-test";
        var client = Client(b => { b.MaxPoolSize = 10; b.ApplicationName = app; b.Timeout = 30; });
        var names = Enumerable.Range(0, 500).Select(i => $"many/{Guid.NewGuid():N}/{i}").ToArray();
        var held = await Task.WhenAll(names.Select(n => client.AcquireAsync(n, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30))));
        Assert.Equal(500, held.Select(h => h.Name).Distinct().Count());

        // Another process's worth of waiters: 60 of them, on 60 held names, from one client (one data source).
        var waiterClient = Client(b => { b.MaxPoolSize = 10; b.ApplicationName = app + "-waiters"; b.Timeout = 30; });
        var waiting = names.Take(60).Select(n => waiterClient.AcquireAsync(n, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30))).ToArray();
        await PostgresServerFixture.WaitUntilAsync(async () => await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_waiters WHERE name = ANY($1)", [names]) == 60, "all 60 waiters queued");

        var listeners = await postgres.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", PostgresLockListener.ApplicationName);
        var holderConnections = await postgres.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app);
        var waiterConnections = await postgres.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app + "-waiters");
        output.WriteLine($"500 held, 60 waiting: {holderConnections} holder connections, {waiterConnections} waiter connections + {listeners} listener");
        Assert.Equal(1, listeners);
        Assert.InRange(holderConnections, 1, 10);
        // The listener is one connection of its own beside the pool, opened only while someone waits.
        Assert.InRange(waiterConnections, 1, 10);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));

        // Releasing the 60 hands each to its waiter through that one listener.
        await Task.WhenAll(held.Take(60).Select(h => h.ReleaseAsync()));
        var got = await Task.WhenAll(waiting);
        Assert.All(got.Zip(held), pair => Assert.True(pair.First.FencingToken == pair.Second.FencingToken + 1));
        await Task.WhenAll(got.Select(h => h.ReleaseAsync()).Concat(held.Skip(60).Select(h => h.ReleaseAsync())));
        Assert.All(held.Concat(got), h => Assert.False(h.IsLost));
    }

    [Fact]
    public async Task Processes_creating_the_schema_at_once_all_succeed()
    {
        var schema = "race_" + Guid.NewGuid().ToString("N")[..12];
        var clients = Enumerable.Range(0, 8).Select(_ => Client(schema: schema)).ToArray();
        // Clients that find the tables first use them at once while late ones are still at their schema step:
        // a late one that ran the DDL again would take ALTER TABLE's exclusive lock under their feet (a deadlock).
        await Task.WhenAll(clients.Select(async (c, i) =>
        {
            for (var round = 0; round < 10; round++)
                await (await c.AcquireAsync($"race/shared/{i % 2}", wait: TimeSpan.FromSeconds(30))).ReleaseAsync();
        }));
        var held = await Task.WhenAll(clients.Select((c, i) => c.AcquireAsync($"race/{i}", wait: TimeSpan.FromSeconds(30))));
        Assert.Equal(8, held.Length);
        Assert.Equal(8L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM {schema}.coord_locks WHERE holder IS NOT NULL"));
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM {schema}.coord_locks_waiters"));
        foreach (var h in held)
            await h.ReleaseAsync();
    }

    [Fact]
    public async Task A_database_made_by_the_previous_version_gains_the_queue_floor_and_keeps_its_rows_and_queue()
    {
        var schema = "old_" + Guid.NewGuid().ToString("N")[..12];
        var name = "upgrade/one";
        // The tables as protocol version 1 created them, with one lock that has been taken 41 times and an
        // old waiter still queued: nothing of version 2 exists yet.
        await postgres.ExecuteAsync($"""
            CREATE SCHEMA {schema};
            CREATE TABLE {schema}.coord_locks (name text PRIMARY KEY, holder uuid NULL, fence bigint NOT NULL, expires_at timestamptz NULL,
              local_passes integer NOT NULL DEFAULT 0);
            CREATE TABLE {schema}.coord_locks_waiters (name text NOT NULL, waiter uuid NOT NULL, seq bigint GENERATED ALWAYS AS IDENTITY,
              ttl_ms bigint NOT NULL, expires_at timestamptz NOT NULL, listener integer NULL, PRIMARY KEY (name, waiter));
            CREATE INDEX coord_locks_waiters_queue ON {schema}.coord_locks_waiters (name, seq);
            INSERT INTO {schema}.coord_locks (name, holder, fence, expires_at) VALUES ('{name}', NULL, 41, NULL);
            INSERT INTO {schema}.coord_locks_waiters (name, waiter, ttl_ms, expires_at) VALUES ('{name}', gen_random_uuid(), 1000, clock_timestamp() - interval '1 second');
            """);

        var holder = Client(schema: schema);
        var first = await holder.AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        Assert.Equal(42, first.FencingToken);
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT queue_floor FROM {schema}.coord_locks WHERE name = $1", name));

        // Three waiters queue behind it and get the lock in turn: each hand-off moves the floor up to the
        // next entry, never past one (an entry below the floor would never be found again).
        var waiters = Enumerable.Range(0, 3).Select(_ => Client(schema: schema)).ToArray();
        var waiting = new List<Task<ILockHandle>>();
        foreach (var w in waiters)
        {
            waiting.Add(w.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30)));
            await PostgresServerFixture.WaitUntilAsync(async () => await postgres.ScalarAsync<long>(
                $"SELECT count(*) FROM {schema}.coord_locks_waiters WHERE name = $1 AND expires_at > clock_timestamp()", name) == waiting.Count, "the next waiter queued");
        }
        var previous = first;
        foreach (var next in waiting)
        {
            await previous.ReleaseAsync();
            previous = await next;
            Assert.Equal(first.FencingToken + waiting.IndexOf(next) + 1, previous.FencingToken);
            var floor = await postgres.ScalarAsync<long>($"SELECT queue_floor FROM {schema}.coord_locks WHERE name = $1", name);
            Assert.True(floor > 0, "a hand-off moves the floor");
            Assert.True(await postgres.ScalarAsync<bool>($"SELECT COALESCE(bool_and(seq >= $2), true) FROM {schema}.coord_locks_waiters WHERE name = $1", name, floor),
                "every queued entry is at or above the floor");
        }
        await previous.ReleaseAsync();
        Assert.Equal(0L, await postgres.ScalarAsync<long>($"SELECT count(*) FROM {schema}.coord_locks_waiters WHERE name = $1", name));
        Assert.Equal(45L, await postgres.ScalarAsync<long>($"SELECT fence FROM {schema}.coord_locks WHERE name = $1", name));
    }

    [Fact]
    public async Task A_role_that_may_not_create_anything_locks_with_tables_that_exist()
    {
        var schema = "lean_" + Guid.NewGuid().ToString("N")[..12];
        var role = "app_" + Guid.NewGuid().ToString("N")[..12];
        await using (var owner = await Client(schema: schema).AcquireAsync("create-the-tables"))
        {
        }
        await postgres.ExecuteAsync($"CREATE ROLE {role} LOGIN");
        await postgres.ExecuteAsync($"GRANT USAGE ON SCHEMA {schema} TO {role}");
        await postgres.ExecuteAsync($"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}");

        var app = Client(b => b.Username = role, schema: schema);
        await using var held = await app.AcquireAsync("lean/one", wait: TimeSpan.FromSeconds(10));
        Assert.True(await app.RenewAsync(held.Name, held.HolderToken));
        Assert.Equal(1, app.Metrics.RequestCount("schema"));
    }

    [Fact]
    public async Task The_listener_reconnects_by_itself_and_hand_offs_reach_waiters_again()
    {
        var name = $"relisten/{Guid.NewGuid():N}";
        var holder = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        // Place refreshes every 10 s at the earliest, so only a notification can let the waiter in sooner.
        var waiterClient = Client(b => b.ApplicationName = "relisten-waiter", waiterLease: TimeSpan.FromSeconds(60));
        var waiting = waiterClient.AcquireAsync(name, wait: TimeSpan.FromSeconds(60), ttl: TimeSpan.FromSeconds(30));
        await postgres.WaitForQueuedAsync(name, 1);

        const string findListener = "SELECT COALESCE(max(pid), 0) FROM pg_stat_activity WHERE application_name = 'coord-lock-listener'";
        var oldListeners = await postgres.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'coord-lock-listener'");
        Assert.Equal(1, oldListeners);
        var oldPid = await postgres.ScalarAsync<int>(findListener);
        Assert.True(await postgres.ScalarAsync<bool>("SELECT pg_terminate_backend($1)", oldPid));
        await PostgresServerFixture.WaitUntilAsync(async () => await postgres.ScalarAsync<int>(findListener) is var pid && pid != 0 && pid != oldPid, "a new listener connection");
        Assert.False(waiting.IsCompleted);

        var released = Stopwatch.StartNew();
        await holder.ReleaseAsync();
        await using var next = await waiting;
        Assert.True(released.Elapsed < TimeSpan.FromSeconds(8), $"the waiter got in {released.Elapsed.TotalSeconds:0.0} s after the release: by its fallback timer, not the notification");
        Assert.Equal(holder.FencingToken + 1, next.FencingToken);
    }

    [Fact]
    public async Task A_dead_waiter_at_the_head_of_the_queue_drops_out_after_its_place_lease()
    {
        var name = $"deadwaiter/{Guid.NewGuid():N}";
        var held = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        var dead = Guid.NewGuid();
        // A waiter that queued and then vanished without leaving, as its process would have left it.
        await postgres.ExecuteAsync(
            "INSERT INTO public.coord_locks_waiters (name, waiter, ttl_ms, expires_at) VALUES ($1, $2, 30000, clock_timestamp() + interval '1500 milliseconds')", name, dead);

        var waiting = Client(waiterLease: TimeSpan.FromSeconds(1)).AcquireAsync(name, wait: TimeSpan.FromSeconds(20));
        await Task.Delay(2000);
        await held.ReleaseAsync();

        await using var next = await waiting;
        Assert.Equal(Guid.ParseExact(next.HolderToken, "N"), await postgres.ScalarAsync<Guid>("SELECT holder FROM public.coord_locks WHERE name = $1", name));
        Assert.Equal(0L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_waiters WHERE name = $1", name));
    }

    [Fact]
    public async Task A_timed_out_waiter_leaves_no_queue_entry()
    {
        var name = $"timeoutclean/{Guid.NewGuid():N}";
        await using var held = await Client().AcquireAsync(name);
        Assert.Null(await Client().TryAcquireAsync(name, wait: TimeSpan.FromMilliseconds(300)));
        Assert.Equal(0L, await postgres.ScalarAsync<long>("SELECT count(*) FROM public.coord_locks_waiters WHERE name = $1", name));
    }

    [Fact]
    public async Task One_release_wakes_exactly_one_of_many_waiters()
    {
        var name = $"herd/{Guid.NewGuid():N}";
        var held = await Client().AcquireAsync(name, ttl: TimeSpan.FromSeconds(30));
        // A long place lease means no waiter refreshes its place during the test, so any retry would be a wake-up.
        var waiters = Enumerable.Range(0, 8).Select(_ => Client(waiterLease: TimeSpan.FromSeconds(60))).ToArray();
        var tasks = waiters.Select(w => w.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(30))).ToArray();
        await postgres.WaitForQueuedAsync(name, 8);
        var before = waiters.Sum(w => w.Metrics.RequestCount("acquire"));

        await held.ReleaseAsync();
        await Task.WhenAny(tasks);
        await Task.Delay(500);

        Assert.Equal(1, tasks.Count(t => t.IsCompletedSuccessfully));
        Assert.Equal(before, waiters.Sum(w => w.Metrics.RequestCount("acquire")));
        await Task.WhenAll(tasks.Select(async t => await (await t).DisposeAsync()));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(32)]
    public async Task Contention_costs_one_acquire_statement_per_acquisition_plus_one_per_place_refresh(int clientCount)
    {
        var waiterLease = TimeSpan.FromSeconds(6);
        var refresh = waiterLease / 3;
        var name = $"contention/{Guid.NewGuid():N}";
        var clients = Enumerable.Range(0, clientCount).Select(_ => Client(waiterLease: waiterLease)).ToArray();
        // Warm up: schema, pools and listeners (a wait starts one), so only steady-state traffic is counted.
        var warmup = await clients[0].AcquireAsync($"{name}/warmup");
        foreach (var c in clients.Skip(1))
            Assert.Null(await c.TryAcquireAsync($"{name}/warmup", wait: TimeSpan.FromMilliseconds(500)));
        await warmup.ReleaseAsync();
        var before = clients.Select(c => c.Metrics.RequestCounts()).ToArray();
        var acquisitions = 0;
        long refreshesDue = 0, waitedTicks = 0;
        var run = Stopwatch.StartNew();

        await Task.WhenAll(clients.Select(c => Task.Run(async () =>
        {
            while (run.Elapsed < TimeSpan.FromSeconds(3))
            {
                var asked = Stopwatch.GetTimestamp();
                await using var held = await c.AcquireAsync(name, wait: TimeSpan.FromSeconds(30), ttl: TimeSpan.FromSeconds(10));
                var waited = Stopwatch.GetElapsedTime(asked);
                Interlocked.Add(ref waitedTicks, waited.Ticks);
                // A queued waiter refreshes its place every third of its lease: that many statements are due.
                Interlocked.Add(ref refreshesDue, (long)(waited / refresh));
                Interlocked.Increment(ref acquisitions);
                await Task.Delay(5);
            }
        })));

        long Sent(string op) => clients.Select((c, i) => c.Metrics.RequestCount(op) - before[i].GetValueOrDefault(op)).Sum();
        var acquires = Sent("acquire");
        output.WriteLine($"{clientCount} clients on one name, hold 5 ms, {run.Elapsed.TotalSeconds:0.0} s: {acquisitions} acquisitions " +
            $"(mean wait {TimeSpan.FromTicks(waitedTicks / acquisitions).TotalMilliseconds:0} ms, {refreshesDue} place refreshes due), " +
            $"{(double)acquires / acquisitions:0.00} acquire + {(double)Sent("release") / acquisitions:0.00} release statements per acquisition, {Sent("renew")} renewals");
        Assert.Equal(acquisitions, Sent("release"));
        // One statement to ask (it queues), the hand-off arrives by NOTIFY, plus the place refreshes; a
        // little slack for a lock freed with nobody visibly queued, which wakes that name's waiters once.
        Assert.InRange(acquires, acquisitions, acquisitions + refreshesDue + clientCount);
    }

    [Theory]
    [InlineData("acquire with a wait")]
    [InlineData("acquire without a bound")]
    [InlineData("renew")]
    [InlineData("release")]
    [InlineData("status")]
    public async Task Every_call_to_an_unreachable_server_fails_promptly_naming_backend_lock_and_endpoint(string call)
    {
        var client = _clients.Track(new PostgresLock(new PostgresLockOptions
        {
            ConnectionString = "Host=127.0.0.1;Port=1;Username=postgres;Timeout=1",
            ConnectTimeout = TimeSpan.FromSeconds(1),
        }));
        var token = Guid.NewGuid().ToString("N");
        Func<Task> act = call switch
        {
            "acquire with a wait" => () => client.AcquireAsync("unreachable", wait: TimeSpan.FromSeconds(1)),
            "acquire without a bound" => () => client.AcquireAsync("unreachable"),
            "renew" => () => client.RenewAsync("unreachable", token),
            "release" => () => client.ReleaseAsync("unreachable", token),
            _ => () => client.GetStatusAsync("unreachable"),
        };

        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<LockBackendException>(act);
        // Npgsql's own connect timeout (1 s) and one retry on a fresh connection, well inside wait + ConnectTimeout.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"{call} took {clock.Elapsed}");
        Assert.Equal("postgres", ex.Backend);
        Assert.Equal("unreachable", ex.LockName);
        Assert.Equal("127.0.0.1:1/", ex.Endpoint[..12]);
        Assert.Contains("127.0.0.1:1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_out_of_range_are_rejected_with_what_is_allowed()
    {
        var none = Assert.Throws<ArgumentException>(() => new PostgresLock(new PostgresLockOptions()));
        Assert.Contains("ConnectionString", none.Message, StringComparison.Ordinal);
        foreach (var bad in new[] { "Locks", "a-b", "x; DROP TABLE y", "1abc", "", new string('a', 31), "a\"b" })
        {
            var table = Assert.Throws<ArgumentException>(() => new PostgresLock(new PostgresLockOptions { ConnectionString = "Host=x", TableName = bad }));
            Assert.Contains("lowercase ASCII letters, digits and '_'", table.Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => new PostgresLock(new PostgresLockOptions { ConnectionString = "Host=x", Schema = bad }));
        }
        var lease = Assert.Throws<ArgumentException>(() => new PostgresLock(new PostgresLockOptions { ConnectionString = "Host=x", WaiterLease = TimeSpan.FromMilliseconds(1) }));
        Assert.Contains("between 300 ms and 10 minutes", lease.Message, StringComparison.Ordinal);
        var ttl = Assert.ThrowsAny<ArgumentException>(() => new PostgresLock(new PostgresLockOptions { ConnectionString = "Host=x", DefaultTtl = TimeSpan.Zero }));
        Assert.Contains("at most 1 day", ttl.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new PostgresLock(new PostgresLockOptions { ConnectionString = "Nonsense Key=1" }));
    }
}
