using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Coord.Testing;

/// <summary>
/// A throwaway PostgreSQL 15 server on a free loopback port. The cluster is initialised once per
/// test process and copied, so each server starts in about a second; durability is switched off.
/// </summary>
public sealed class PostgresServer : ServerNode
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private static readonly SemaphoreSlim TemplateGate = new(1, 1);
    private static string? _template;

    private PostgresServer(string name, int port, string dataDirectory) : base(name, port, dataDirectory)
    {
    }

    private string ClusterDirectory => Path.Combine(DataDirectory, "pgdata");

    /// <summary>Superuser connection string to the <c>postgres</c> database.</summary>
    public string ConnectionString => ConnectionStringFor("postgres");

    /// <summary><c>host:port</c>.</summary>
    public string Endpoint => $"{Host}:{Port}";

    public string ConnectionStringFor(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = "postgres",
        Database = database,
        Timeout = 5,
        CommandTimeout = 30,
        IncludeErrorDetail = true,
    }.ConnectionString;

    public static async Task<PostgresServer> StartAsync(string name = "postgres", CancellationToken cancellationToken = default)
    {
        RequireBinary(Path.Combine(BinDirectory, "postgres"), "postgresql-15");
        var template = await TemplateAsync(cancellationToken).ConfigureAwait(false);
        var server = new PostgresServer(name, FreePorts.Next(), TestDirectories.Create(name));
        try
        {
            await RunAsync("cp", ["-a", template, server.ClusterDirectory], cancellationToken).ConfigureAwait(false);
            await server.StartAgainAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return ConnectionStringFor(database);
    }

    protected override Task PrepareAsync(CancellationToken cancellationToken)
        // A killed server leaves its pid file; postgres checks whether that pid is alive, which is safe to rely on.
        => Task.CompletedTask;

    protected override (string Program, IReadOnlyList<string> Arguments) Command() => ("/usr/bin/setpriv",
    [
        // postgres refuses to run as root; setpriv execs it as the postgres user under the same pid.
        "--reuid=postgres", "--regid=postgres", "--init-groups",
        Path.Combine(BinDirectory, "postgres"), "-D", ClusterDirectory,
        "-c", "listen_addresses=" + Host, "-c", "port=" + Port.ToString(CultureInfo.InvariantCulture),
        "-c", "unix_socket_directories=" + ClusterDirectory,
        "-c", "fsync=off", "-c", "full_page_writes=off",
        "-c", "max_connections=300", "-c", "shared_buffers=32MB", "-c", "log_min_messages=warning",
    ]);

    protected override async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false, Timeout = 2 };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
    }

    private static async Task<string> TemplateAsync(CancellationToken cancellationToken)
    {
        await TemplateGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_template is not null)
                return _template;
            var root = TestDirectories.Create("postgres-template");
            var cluster = Path.Combine(root, "pgdata");
            await RunAsync("chown", ["postgres:postgres", root], cancellationToken).ConfigureAwait(false);
            await RunAsync("/usr/bin/setpriv",
                ["--reuid=postgres", "--regid=postgres", "--init-groups", Path.Combine(BinDirectory, "initdb"),
                 "-D", cluster, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
                cancellationToken).ConfigureAwait(false);
            AppDomain.CurrentDomain.ProcessExit += (_, _) => TestDirectories.Delete(root);
            return _template = cluster;
        }
        finally
        {
            TemplateGate.Release();
        }
    }

    private static async Task RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error.ConfigureAwait(false)}{await output.ConfigureAwait(false)}");
    }
}
