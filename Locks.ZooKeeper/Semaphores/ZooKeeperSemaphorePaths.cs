using System.Globalization;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Where a semaphore lives: Apache Curator's InterProcessSemaphoreV2 layout under
/// <c>&lt;root&gt;/&lt;encoded name&gt;</c> (the name encoded as for a lock, <see cref="ZooKeeperLockPaths.EncodeName"/>).
/// <c>locks/</c> holds the line: a mutex (InterProcessMutex's node names) whose holder alone may add a
/// lease; <c>leases/</c> holds one ephemeral sequential node per permit. Coord's nodes are named as
/// Curator's protected nodes with the max count between the guid and the kind,
/// <c>_c_&lt;guid&gt;-max&lt;N&gt;-lock-NNNNNNNNNN</c> and <c>_c_&lt;guid&gt;-max&lt;N&gt;-lease-NNNNNNNNNN</c>:
/// Curator sorts the line by the digits after <c>lock-</c> and only counts leases, so it reads them as its
/// own, while every Coord client can see the max count the name is in use with.
/// </summary>
internal sealed class ZooKeeperSemaphorePaths
{
    private const string CountMarker = "-max";

    /// <summary>Paths of the semaphore <paramref name="name"/> for the holder <paramref name="holderToken"/>.</summary>
    public ZooKeeperSemaphorePaths(string root, string name, string holderToken)
    {
        Base = $"{root}/{ZooKeeperLockPaths.EncodeName(name)}";
        Line = Base + "/locks";
        Leases = Base + "/leases";
        Stem = ZooKeeperLockPaths.StemOf(holderToken);
    }

    /// <summary>The path a Curator client passes to InterProcessSemaphoreV2 to share this semaphore.</summary>
    public string Base { get; }

    /// <summary>The container of the mutex that orders the line (Curator's <c>&lt;path&gt;/locks</c>).</summary>
    public string Line { get; }

    /// <summary>The container of the permits (Curator's <c>&lt;path&gt;/leases</c>).</summary>
    public string Leases { get; }

    /// <summary><c>_c_&lt;guid&gt;</c> of this holder token: the start of both of its nodes' names.</summary>
    public string Stem { get; }

    /// <summary>The containers a create needs, parents first.</summary>
    public IEnumerable<string> Containers => [Base, Line, Leases];

    public string LineCreatePath(int maxCount) => $"{Line}/{Stem}{CountMarker}{maxCount.ToString(CultureInfo.InvariantCulture)}-lock-";

    public string LeaseCreatePath(int maxCount) => $"{Leases}/{Stem}{CountMarker}{maxCount.ToString(CultureInfo.InvariantCulture)}-lease-";

    public bool IsOurs(string child) => child.StartsWith(Stem, StringComparison.Ordinal) && child.Length > Stem.Length && child[Stem.Length] == '-';

    /// <summary>The max count in a Coord node's name; null for a node without one (a Curator client's).</summary>
    public static int? MaxCountOf(string child)
    {
        // _c_ + a 36-character guid, then -max<N>-
        const int start = 3 + 36;
        if (!child.StartsWith("_c_", StringComparison.Ordinal) || child.Length <= start + CountMarker.Length
            || string.CompareOrdinal(child, start, CountMarker, 0, CountMarker.Length) != 0)
            return null;
        var digits = start + CountMarker.Length;
        var end = child.IndexOf('-', digits);
        return end > digits && int.TryParse(child.AsSpan(digits, end - digits), NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;
    }
}
