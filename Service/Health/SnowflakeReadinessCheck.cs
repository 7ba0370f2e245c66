using Coord.Service.Ids;

namespace Coord.Service.Health;

/// <summary>Snowflake is ready once its generator runs: with a leased worker id, once the lease is held.</summary>
public sealed class SnowflakeReadinessCheck(IdServices ids) : IReadinessCheck
{
    public string Name => "snowflake worker id";

    public async Task CheckAsync(CancellationToken cancellationToken)
        => await ids.Snowflake.GetAsync(cancellationToken);
}
