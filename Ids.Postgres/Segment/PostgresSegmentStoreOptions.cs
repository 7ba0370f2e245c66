namespace Coord.Ids.Segment;

/// <summary>Where the <c>leaf_alloc</c> table lives.</summary>
public sealed class PostgresSegmentStoreOptions
{
    /// <summary>Npgsql connection string of the database holding the segment table. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Leaf's table name by default, so Coord and Leaf can share one table.</summary>
    public string TableName { get; set; } = "leaf_alloc";

    /// <summary>Create the table when it is missing (default on).</summary>
    public bool CreateTable { get; set; } = true;

    /// <summary>Bound on connecting and on each statement (default 5 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Checks every setting; called by the constructor that takes these options and at registration.</summary>
    /// <exception cref="ArgumentException">A required setting is missing or malformed; the message names it.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A duration is outside its range; the message says what is allowed.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException("PostgresSegmentStoreOptions.ConnectionString is required.");
        SqlNames.ValidateTableName(TableName, nameof(TableName));
        if (CommandTimeout < TimeSpan.FromSeconds(1) || CommandTimeout > TimeSpan.FromMinutes(5))
            throw new ArgumentOutOfRangeException(nameof(CommandTimeout), CommandTimeout, "CommandTimeout must be between 1 s and 5 min.");
    }
}
