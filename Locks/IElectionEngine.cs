namespace Coord.Locks;

/// <summary>
/// A backend's calls for an election whose candidates wait on a hold engine (<see cref="Holds"/>: a campaign is an
/// exclusive, one-holder hold of the election's name, its fence the term), with each candidate's value kept beside
/// the holds by holder token and every change told to the election's observers. What a
/// <see cref="LeaderElectionProvider"/> built on an engine forwards to: it nominates, queues on <see cref="Holds"/>
/// and announces once elected; it resigns by releasing and forgetting.
/// </summary>
internal interface IElectionEngine
{
    /// <summary>The candidates' line: campaigns, renewals and resignations are its acquires, renewals and releases.</summary>
    IHoldEngine Holds { get; }

    /// <summary>Records the value of the candidate <paramref name="request"/> before it joins the line.</summary>
    Task NominateAsync(LockRequest request, string value, CancellationToken cancellationToken);

    /// <summary>Makes <paramref name="value"/> the leader's and tells the observers, if <paramref name="holderToken"/> leads; false otherwise, changing nothing.</summary>
    Task<bool> AnnounceAsync(string election, string holderToken, string value, CancellationToken cancellationToken);

    /// <summary>Drops the value of <paramref name="holderToken"/> (it resigned or gave up) and tells the observers.</summary>
    Task ForgetAsync(string election, string holderToken, CancellationToken cancellationToken);

    /// <summary>The leader now, or null.</summary>
    Task<ElectionLeader?> GetLeaderAsync(string election, CancellationToken cancellationToken);

    /// <summary>The leader now (once there is one) and each change after, until cancelled.</summary>
    IAsyncEnumerable<ElectionLeader> ObserveAsync(string election, CancellationToken cancellationToken);
}
