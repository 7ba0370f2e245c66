namespace Coord.Locks.Tests.Postgres;

/// <summary>
/// The PostgreSQL test classes run one after another rather than side by side: each starts tens of
/// clients (the contention and 500-lock tests, the fairness contract) and on a two-core machine they
/// would mostly measure each other. Each class still gets its own server.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresTestCollection
{
    public const string Name = "postgres";
}
