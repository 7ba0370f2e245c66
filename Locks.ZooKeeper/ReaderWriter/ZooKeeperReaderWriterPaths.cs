using System.Globalization;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Where a reader-writer lock lives: Apache Curator's InterProcessReadWriteLock layout on the path
/// <c>&lt;root&gt;/&lt;encoded name&gt;</c> (the name encoded as for a lock, <see cref="ZooKeeperLockPaths.EncodeName"/>).
/// Every reader and writer creates one ephemeral sequential child there, named as Curator's protected nodes,
/// <c>_c_&lt;guid&gt;-__READ__NNNNNNNNNN</c> or <c>_c_&lt;guid&gt;-__WRIT__NNNNNNNNNN</c> (Curator's lock names; both
/// eight characters), with one sequence for both kinds. The line is the children in sequence order, as Curator sorts them.
/// </summary>
/// <remarks>
/// A lock of the same name keeps its <c>-lock-</c> children, and a semaphore its <c>locks</c> and <c>leases</c>
/// containers, under the same node: each primitive orders only its own children, so they never wait for each other.
/// </remarks>
internal sealed class ZooKeeperReaderWriterPaths
{
    private const string ReadMarker = "-__READ__";
    private const string WriteMarker = "-__WRIT__";

    /// <summary>Paths of the reader-writer lock <paramref name="name"/> for the holder <paramref name="holderToken"/>.</summary>
    public ZooKeeperReaderWriterPaths(string root, string name, string holderToken)
    {
        Parent = $"{root}/{ZooKeeperLockPaths.EncodeName(name)}";
        Stem = ZooKeeperLockPaths.StemOf(holderToken);
    }

    /// <summary>The container of the line: the path a Curator client passes to InterProcessReadWriteLock to share this lock.</summary>
    public string Parent { get; }

    /// <summary><c>_c_&lt;guid&gt;</c> of this holder token.</summary>
    public string Stem { get; }

    /// <summary>Path to create for a reader (<paramref name="shared"/>) or a writer; the server appends the 10-digit sequence number.</summary>
    public string CreatePath(bool shared) => $"{Parent}/{Stem}{(shared ? ReadMarker : WriteMarker)}";

    public string ChildPath(string child) => $"{Parent}/{child}";

    public bool IsOurs(string child) => child.StartsWith(Stem, StringComparison.Ordinal) && (IsMarkedAt(child, Stem.Length, ReadMarker) || IsMarkedAt(child, Stem.Length, WriteMarker));

    /// <summary>
    /// The readers and writers in line order (by sequence number, as Curator sorts them), each exclusive when it is a
    /// writer's; other children (a lock's or a semaphore's of the same name) are left out.
    /// </summary>
    public static List<ZooKeeperContender> InLineOrder(IReadOnlyList<string> children)
    {
        var line = new List<(long Sequence, ZooKeeperContender Contender)>();
        foreach (var child in children)
        {
            if (Parse(child, ReadMarker) is { } read)
                line.Add((read, new ZooKeeperContender(child, IsExclusive: false)));
            else if (Parse(child, WriteMarker) is { } write)
                line.Add((write, new ZooKeeperContender(child, IsExclusive: true)));
        }
        line.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return line.ConvertAll(c => c.Contender);
    }

    /// <summary>How many of <paramref name="line"/> hold: a writer first in line alone, else every reader before the first writer.</summary>
    public static int Holders(IReadOnlyList<ZooKeeperContender> line)
    {
        if (line.Count > 0 && line[0].IsExclusive)
            return 1;
        var holders = 0;
        while (holders < line.Count && !line[holders].IsExclusive)
            holders++;
        return holders;
    }

    private static long? Parse(string child, string marker)
    {
        var at = child.LastIndexOf(marker, StringComparison.Ordinal);
        return at >= 0 && long.TryParse(child.AsSpan(at + marker.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : null;
    }

    private static bool IsMarkedAt(string child, int at, string marker) => string.CompareOrdinal(child, at, marker, 0, marker.Length) == 0;
}
