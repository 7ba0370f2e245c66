using System.Text.RegularExpressions;
using Npgsql;

namespace Coord.Locks.Postgres;

/// <summary>Options for <see cref="PostgresLock"/>.</summary>
public sealed partial class PostgresLockOptions : LockOptions
{
    /// <summary>Longest schema or table name; keeps the notification channel (<c>schema.table</c>) under PostgreSQL's 63-byte limit.</summary>
    public const int MaximumIdentifierLength = 30;

    /// <summary>Npgsql connection string, e.g. <c>Host=db;Username=app;Database=app</c>. Required unless <see cref="DataSource"/> is set, and ignored when it is.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// An existing data source to share; the provider does not dispose it. Statements borrow a pooled
    /// connection only for their one round trip, and waiters of every provider on this data source
    /// share one LISTEN connection. Build it with <c>No Reset On Close=true</c> where the application
    /// allows, or Npgsql runs a <c>DISCARD ALL</c> before each statement on a reused connection
    /// (a provider that creates its own data source from <see cref="ConnectionString"/> sets it).
    /// </summary>
    public NpgsqlDataSource? DataSource { get; set; }

    /// <summary>Schema of the lock tables: 1 to <see cref="MaximumIdentifierLength"/> lowercase ASCII letters, digits and '_', not starting with a digit. Default <c>public</c>.</summary>
    public string Schema { get; set; } = "public";

    /// <summary>Table with one row per lock name; the waiter queue lives beside it in <c>&lt;TableName&gt;_waiters</c>. Same rule as <see cref="Schema"/>; default <c>coord_locks</c>.</summary>
    public string TableName { get; set; } = "coord_locks";

    /// <summary>Create the schema and tables on first use when they are missing. Turn off where the application may not run DDL. Default true.</summary>
    public bool CreateSchema { get; set; } = true;

    /// <summary>
    /// How long a queued waiter keeps its place without refreshing it. A waiter refreshes every third of
    /// this (or of its TTL, if shorter), so a dead waiter drops out of the queue within this time. 300 ms to 10 minutes; default 6 s.
    /// </summary>
    public TimeSpan WaiterLease { get; set; } = TimeSpan.FromSeconds(6);

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (DataSource is null && string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException($"Set {nameof(ConnectionString)} (an Npgsql connection string such as \"Host=127.0.0.1;Username=app;Database=app\") or {nameof(DataSource)}.", nameof(ConnectionString));
        if (DataSource is null)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(ConnectionString);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"{nameof(ConnectionString)} is not a valid Npgsql connection string: {ex.Message}", nameof(ConnectionString), ex);
            }
        }
        ValidateIdentifier(Schema, nameof(Schema));
        ValidateIdentifier(TableName, nameof(TableName));
        if (WaiterLease < TimeSpan.FromMilliseconds(300) || WaiterLease > TimeSpan.FromMinutes(10))
            throw new ArgumentException($"{nameof(WaiterLease)} must be between 300 ms and 10 minutes; it was {WaiterLease}.", nameof(WaiterLease));
    }

    private static void ValidateIdentifier(string value, string setting)
    {
        // Identifiers are spliced into SQL (always double-quoted), so only a plain lowercase form is accepted.
        if (value is null || !Identifier().IsMatch(value))
            throw new ArgumentException(
                $"{setting} must be 1 to {MaximumIdentifierLength} characters: lowercase ASCII letters, digits and '_', not starting with a digit; it was '{value}'.",
                setting);
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,29}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
