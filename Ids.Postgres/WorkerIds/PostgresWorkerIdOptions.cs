namespace Coord.Ids.WorkerIds;

/// <summary>Where and how to lease Snowflake worker ids from PostgreSQL.</summary>
public sealed class PostgresWorkerIdOptions
{
    /// <summary>Npgsql connection string of the database holding the lease table. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Generators sharing a pool name share the worker id space (one pool per Snowflake id space).</summary>
    public string Pool { get; set; } = "default";

    /// <summary>Table holding one row per (pool, worker id).</summary>
    public string TableName { get; set; } = "coord_worker_ids";

    /// <summary>How long a lease lives without renewal; it is renewed every third of it (default 30 s).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bound on each statement (default 5 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks every setting; called by the constructor that takes these options and at registration.</summary>
    /// <exception cref="ArgumentException">A required setting is missing or malformed; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A duration is outside its range; the message says what is allowed.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException("PostgresWorkerIdOptions.ConnectionString is required.");
        if (string.IsNullOrWhiteSpace(Pool) || Pool.Length > 128)
            throw new ArgumentException("PostgresWorkerIdOptions.Pool must be 1 to 128 characters.");
        SqlNames.ValidateTableName(TableName, nameof(TableName));
        if (LeaseDuration < TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromHours(1))
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "LeaseDuration must be between 1 s and 1 h.");
        if (CommandTimeout < TimeSpan.FromSeconds(1) || CommandTimeout >= LeaseDuration)
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout, "CommandTimeout must be at least 1 s and shorter than LeaseDuration.");
    }
}
