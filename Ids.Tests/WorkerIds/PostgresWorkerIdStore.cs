using Coord.Ids.Tests.Segment;
using Coord.Testing;

namespace Coord.Ids.Tests.WorkerIds;

/// <summary>A throwaway PostgreSQL; leases in <c>coord_worker_ids</c> of one database, other databases on request.</summary>
public sealed class PostgresWorkerIdStore : WorkerIdLeaseStore
{
    private PostgresServer _server = null!;
    private string _connection = "";
    private int _databases;

    public override string Backend => "postgres";
    public override string Endpoint => _connection;

    public override async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync("ids-postgres");
        _connection = await NewDatabaseAsync();
    }

    public Task<string> NewDatabaseAsync() => _server.CreateDatabaseAsync($"leases_{Interlocked.Increment(ref _databases)}");

    public override async Task DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }

    // PostgreSQL serves each connection from a child process: pausing only the postmaster would leave them answering.
    public override IDisposable CutOff() => FrozenProcessTree.Freeze(_server.ProcessId ?? throw new InvalidOperationException("PostgreSQL is not running."));

    public override async Task<long?> StoredLastAsync(string pool, int workerId)
        => await PostgresSegmentTests.ScalarAsync<long?>(_connection, $"SELECT last_timestamp_ms FROM coord_worker_ids WHERE pool = '{pool}' AND worker_id = {workerId}");

    public override Task TakeAwayAsync(string pool, int workerId)
        => PostgresSegmentTests.ScalarAsync<int>(_connection, $"UPDATE coord_worker_ids SET owner = gen_random_uuid() WHERE pool = '{pool}' AND worker_id = {workerId} RETURNING 1");
}
