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

    /// <summary>How long a lease lives without renewal; it is renewed every third of it (more than 1 s, at most 1 h; default 30 s).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bound on each statement: at least 1 s and, rounded up to whole seconds (Npgsql's unit), shorter than <see cref="LeaseDuration"/>; default 5 s.</summary>
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
        // A lease of 1 s could hold no command timeout: Npgsql's shortest is 1 s.
        if (LeaseDuration <= TimeSpan.FromSeconds(1) || LeaseDuration > TimeSpan.FromHours(1))
            throw new ArgumentOutOfRangeException(nameof(LeaseDuration), LeaseDuration, "LeaseDuration must be more than 1 s (a command timeout of at least 1 s must fit inside it) and at most 1 h.");
        // Npgsql counts whole seconds, so the timeout it enforces is this one rounded up; that is what must end before the lease.
        if (CommandTimeout < TimeSpan.FromSeconds(1) || Math.Ceiling(CommandTimeout.TotalSeconds) >= LeaseDuration.TotalSeconds)
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout,
                "CommandTimeout must be at least 1 s and, rounded up to whole seconds as Npgsql enforces it, shorter than LeaseDuration.");
    }
}
