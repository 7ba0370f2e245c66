namespace Coord.Ids.Snowflake;

/// <summary>A field of the Snowflake layout that rollback bits may be carved from.</summary>
public enum SnowflakeField
{
    Worker,
    Sequence,
}
