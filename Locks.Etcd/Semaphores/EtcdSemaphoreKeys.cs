using System.Globalization;
using Google.Protobuf;

namespace Coord.Locks.Etcd;

/// <summary>
/// Where one semaphore lives in etcd, under <see cref="EtcdLockOptions.Prefix"/>:
/// <c>&lt;prefix&gt;%sem/&lt;encoded name&gt;</c> holds the max count the name is in use with, and the keys
/// under <c>&lt;prefix&gt;%sem/&lt;encoded name&gt;/</c> are its line, one per holder or waiter,
/// <c>&lt;lease hex&gt;/&lt;n hex&gt;</c>, put on the session lease of the process that asked.
/// </summary>
/// <remarks>
/// <para>
/// The name is encoded as a lock's (<see cref="EtcdLockKeys.EncodeName"/>), so it holds no <c>/</c> and a
/// <c>%</c> only as <c>%25</c> or <c>%2F</c>. No encoded lock name can therefore begin with <c>%sem</c>:
/// no lock's range (<c>&lt;prefix&gt;&lt;encoded lock name&gt;/</c>) reaches a semaphore's key, nor one
/// semaphore's range another's, and the max-count key lies outside its own line's range.
/// </para>
/// <para>
/// A lock's key names only its lease (etcd's mutex layout), so a process fits one hold of a lock per
/// session. A permit's key adds a number the provider counts up, so one session carries every permit
/// of a name a process holds or waits for: many permits cost no extra lease or keep-alive.
/// </para>
/// </remarks>
internal static class EtcdSemaphoreKeys
{
    /// <summary>Put between the prefix and the encoded name: no encoded lock name starts with it.</summary>
    public const string Kind = "%sem/";

    /// <summary>The line of semaphore <paramref name="name"/>: its <see cref="EtcdLockKeys.KeyPrefix"/> and range hold every permit key.</summary>
    public static EtcdLockKeys Line(string prefix, string name) => new(prefix + Kind, name);

    /// <summary>The key that holds the max count the name is in use with: the line's name itself, outside the line's range.</summary>
    public static ByteString MaxCount(EtcdLockKeys line) => ByteString.CopyFromUtf8(line.MutexName);

    /// <summary>The key of a permit (held or awaited) on the lease <paramref name="leaseId"/>, told apart from that lease's other permits of the name by <paramref name="number"/>.</summary>
    public static ByteString Permit(EtcdLockKeys line, long leaseId, long number)
        => ByteString.CopyFromUtf8(line.KeyFor(leaseId) + "/" + number.ToString("x", CultureInfo.InvariantCulture));
}
