namespace Coord.Service.Health;

/// <summary>One thing /readyz asks about: a lock backend, a segment store, a worker-id lease.</summary>
public interface IReadinessCheck
{
    /// <summary>Shown in the /readyz answer, e.g. <c>lock backend redis</c>.</summary>
    string Name { get; }

    /// <summary>Completes when the dependency answered; throws (or is cancelled) when it did not.</summary>
    Task CheckAsync(CancellationToken cancellationToken);
}
