namespace Coord.Ids.Snowflake;

/// <summary>A field of the Snowflake layout that rollback bits may be carved from.</summary>
public enum SnowflakeField
{
    /// <summary>The worker id field: rollback bits taken from it leave fewer worker ids.</summary>
    Worker,

    /// <summary>The sequence field: rollback bits taken from it leave fewer ids per millisecond.</summary>
    Sequence,
}
