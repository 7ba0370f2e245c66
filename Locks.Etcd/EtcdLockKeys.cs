using System.Globalization;
using System.Text;
using Google.Protobuf;

namespace Coord.Locks.Etcd;

/// <summary>
/// Where one lock lives in etcd: the layout of etcd's own <c>clientv3/concurrency</c> Mutex. Every
/// holder and waiter owns one key <c>&lt;prefix&gt;&lt;encoded name&gt;/&lt;lease id in lowercase hex&gt;</c>
/// bound to its lease; the key created first holds the lock.
/// </summary>
/// <remarks>
/// <para>
/// The name is encoded so that it contains no <c>/</c>: <c>%</c> becomes <c>%25</c> and <c>/</c>
/// becomes <c>%2F</c>; every other character stays as it is (UTF-8). Without this, the range read of
/// lock <c>a</c> (everything under <c>coord/lock/a/</c>) would also cover the keys of lock <c>a/b</c>
/// (<c>coord/lock/a/b/…</c>) and the two locks would exclude each other, or worse, one would take
/// the other's key for its holder.
/// </para>
/// <para>
/// Names without <c>/</c> and <c>%</c> map to themselves, so with the default prefix
/// <c>etcdctl lock coord/lock/orders-42</c> (or a Go <c>concurrency.NewMutex(session, "coord/lock/orders-42")</c>)
/// excludes the Coord lock <c>orders-42</c> and the other way round. For the Coord lock
/// <c>orders/42</c> the etcd mutex name is <c>coord/lock/orders%2F42</c>.
/// </para>
/// </remarks>
public sealed class EtcdLockKeys
{
    /// <summary>The keys of lock <paramref name="name"/> under <paramref name="prefix"/>.</summary>
    /// <param name="prefix">The key prefix, as <see cref="EtcdLockOptions.Prefix"/>.</param>
    /// <param name="name">The lock name; encoded with <see cref="EncodeName"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="prefix"/> or <paramref name="name"/> is null.</exception>
    public EtcdLockKeys(string prefix, string name)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentNullException.ThrowIfNull(name);
        MutexName = prefix + EncodeName(name);
        KeyPrefix = MutexName + "/";
        KeyPrefixBytes = ByteString.CopyFromUtf8(KeyPrefix);
        RangeEnd = PrefixEnd(KeyPrefixBytes);
    }

    /// <summary>The name etcd's own mutex (<c>etcdctl lock</c>) would use for this lock.</summary>
    public string MutexName { get; }

    /// <summary><c>MutexName + "/"</c>: every holder and waiter key of this lock starts with it, and no other lock's key does.</summary>
    public string KeyPrefix { get; }

    internal ByteString KeyPrefixBytes { get; }

    /// <summary>The exclusive end of the range that holds exactly the keys starting with <see cref="KeyPrefix"/>.</summary>
    internal ByteString RangeEnd { get; }

    /// <summary>The key of the holder or waiter whose lease is <paramref name="leaseId"/>, as etcd's mutex forms it (<c>%x</c>).</summary>
    /// <param name="leaseId">The etcd lease id of the holder or waiter.</param>
    /// <returns>The key, e.g. <c>coord/lock/orders-42/694d7a1b2c3d4e5f</c>.</returns>
    public string KeyFor(long leaseId) => KeyPrefix + leaseId.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>
    /// The marker key a session puts on its lease, <c>&lt;prefix&gt;\u0001session/&lt;lease id hex&gt;</c>: its DELETE
    /// tells the session its lease was revoked or expired. Lock names cannot contain control characters,
    /// so no lock's key or range can ever be or contain it.
    /// </summary>
    /// <param name="prefix">The key prefix, as <see cref="EtcdLockOptions.Prefix"/>.</param>
    /// <param name="leaseId">The session's etcd lease id.</param>
    /// <returns>The marker key.</returns>
    public static string SessionMarker(string prefix, long leaseId) => SessionMarkerPrefix(prefix) + leaseId.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>What every session marker under <paramref name="prefix"/> starts with.</summary>
    internal static string SessionMarkerPrefix(string prefix) => prefix + "\u0001session/";

    /// <summary>The range [start, end) of every key starting with <paramref name="prefix"/>, as etcd's <c>WithPrefix</c> forms it (all keys for an empty prefix).</summary>
    internal static (ByteString Start, ByteString End) PrefixRange(string prefix)
    {
        var bytes = Encoding.UTF8.GetBytes(prefix);
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            if (bytes[i] < 0xff)
            {
                bytes[i]++;
                return (ByteString.CopyFromUtf8(prefix), ByteString.CopyFrom(bytes, 0, i + 1));
            }
        }
        // Empty, or only 0xff bytes: no key above them all, so the range runs to the end of the keyspace.
        var zero = ByteString.CopyFrom(0);
        return (prefix.Length == 0 ? zero : ByteString.CopyFromUtf8(prefix), zero);
    }

    /// <summary>Escapes <c>%</c> as <c>%25</c> and <c>/</c> as <c>%2F</c>, leaving everything else unchanged.</summary>
    /// <param name="name">A lock name.</param>
    /// <returns>The name with no <c>/</c> left in it; names without <c>/</c> and <c>%</c> come back unchanged.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static string EncodeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.AsSpan().IndexOfAny('/', '%') < 0)
            return name;
        var encoded = new StringBuilder(name.Length + 8);
        foreach (var c in name)
        {
            encoded.Append(c switch
            {
                '%' => "%25",
                '/' => "%2F",
                _ => c.ToString(),
            });
        }
        return encoded.ToString();
    }

    private static ByteString PrefixEnd(ByteString prefix)
    {
        // The prefix always ends in '/', so incrementing its last byte never overflows.
        var bytes = prefix.ToByteArray();
        bytes[^1]++;
        return ByteString.CopyFrom(bytes);
    }
}
