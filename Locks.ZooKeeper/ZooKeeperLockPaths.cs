using System.Security.Cryptography;
using System.Text;

namespace Coord.Locks.ZooKeeper;

/// <summary>
/// Where a lock lives. The name becomes one path segment under the root, so that a name with '/'
/// can never nest one lock inside another's node: every UTF-8 byte other than an ASCII letter,
/// digit, '-', '_' or '~' is written as '%' and two upper-case hex digits ("orders/42" becomes
/// <c>/coord/locks/orders%2F42</c>, "a.b" becomes <c>a%2Eb</c>). Under it, each contender creates an
/// ephemeral sequential child named as Apache Curator's InterProcessMutex does,
/// <c>_c_&lt;guid&gt;-lock-NNNNNNNNNN</c>, so a Java service running Curator on the same path excludes with
/// Coord. The guid is derived from the holder token (the first 16 bytes of its SHA-256), which lets us
/// find our node again after a lost create reply, and lets any client tell whether a token holds
/// the lock without the token itself ever appearing on the server.
/// </summary>
internal sealed class ZooKeeperLockPaths
{
    /// <summary>What Curator's InterProcessMutex puts between the protected prefix and the sequence number.</summary>
    public const string LockMarker = "-lock-";

    /// <summary>What Curator's LeaderLatch puts there (its node name <c>latch-</c>): the candidates of an election.</summary>
    public const string LatchMarker = "-latch-";

    private readonly string _marker;

    /// <summary>Paths of <paramref name="name"/> for <paramref name="holderToken"/>, whose nodes are named with <paramref name="marker"/>.</summary>
    public ZooKeeperLockPaths(string root, string name, string holderToken, string marker = LockMarker)
    {
        Parent = $"{root}/{EncodeName(name)}";
        NodeStem = StemOf(holderToken);
        _marker = marker;
    }

    /// <summary>
    /// <c>_c_&lt;guid&gt;</c>, Curator's "protected" prefix, with the guid taken from the holder token's
    /// SHA-256 (a node of the token can be found again; the token never reaches the server).
    /// </summary>
    public static string StemOf(string holderToken)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(holderToken)).AsSpan(0, 16));
        return $"_c_{hash[..8]}-{hash[8..12]}-{hash[12..16]}-{hash[16..20]}-{hash[20..32]}";
    }

    /// <summary>The container node of this lock name.</summary>
    public string Parent { get; }

    /// <summary><c>_c_&lt;guid&gt;</c>: the part of our child's name that comes before the marker (<c>-lock-</c>).</summary>
    public string NodeStem { get; }

    /// <summary>Path to create; the server appends the 10-digit sequence number.</summary>
    public string CreatePath => $"{Parent}/{NodeStem}{_marker}";

    public string ChildPath(string child) => $"{Parent}/{child}";

    public bool IsOurs(string child) => child.StartsWith(NodeStem + _marker, StringComparison.Ordinal);

    /// <summary>This name's contenders (nodes named with this marker) in queue order.</summary>
    public List<string> InQueueOrderOf(IEnumerable<string> children) => InQueueOrder(children, _marker);

    /// <summary>Contenders named with <paramref name="marker"/> in queue order (by sequence number, as Curator sorts them); other children are ignored.</summary>
    public static List<string> InQueueOrder(IEnumerable<string> children, string marker = LockMarker)
    {
        var contenders = new List<(long Sequence, string Child)>();
        foreach (var child in children)
        {
            var at = child.LastIndexOf(marker, StringComparison.Ordinal);
            if (at >= 0 && long.TryParse(child.AsSpan(at + marker.Length), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var sequence))
                contenders.Add((sequence, child));
        }
        contenders.Sort((a, b) => a.Sequence.CompareTo(b.Sequence));
        return contenders.ConvertAll(c => c.Child);
    }

    public static string EncodeName(string name)
    {
        var encoded = new StringBuilder(name.Length);
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '~')
                encoded.Append(c);
            else
                encoded.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return encoded.ToString();
    }
}
