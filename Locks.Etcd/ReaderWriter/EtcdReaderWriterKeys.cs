using System.Globalization;
using Google.Protobuf;

namespace Coord.Locks.Etcd;

/// <summary>
/// Where one reader-writer lock lives in etcd, under <see cref="EtcdLockOptions.Prefix"/>: the layout of etcd's
/// <c>recipes.RWMutex</c> (<c>client/v3/experimental/recipes/rwmutex.go</c>) on the mutex name
/// <c>&lt;prefix&gt;%rw/&lt;encoded name&gt;</c>. A reader puts <c>&lt;mutex name&gt;/read/&lt;lease hex&gt;/&lt;n hex&gt;</c>,
/// a writer <c>&lt;mutex name&gt;/write/&lt;lease hex&gt;/&lt;n hex&gt;</c>, on the session lease of the process that asked.
/// </summary>
/// <remarks>
/// <para>
/// The recipe's rule, which Coord keeps: a reader waits for every key under <c>&lt;mutex name&gt;/write</c> created
/// before its own, a writer for every key of the lock created before its own. So a Go service calling
/// <c>recipe.NewRWMutex(session, "coord/lock/%rw/catalog")</c> and Coord's reader-writer lock <c>catalog</c> (default
/// prefix) exclude each other. The recipe names its keys by a nanosecond timestamp; any unique suffix does, so Coord
/// names them by its session lease and a number the provider counts up (many holds of a name on one session).
/// </para>
/// <para>
/// The name is encoded as a lock's (<see cref="EtcdLockKeys.EncodeName"/>), so no encoded lock name begins with
/// <c>%rw</c> and no lock's or semaphore's range (<c>%sem/…</c>) reaches a reader-writer lock's key.
/// </para>
/// </remarks>
internal static class EtcdReaderWriterKeys
{
    /// <summary>Put between the prefix and the encoded name: no encoded lock name starts with it.</summary>
    public const string Kind = "%rw/";

    /// <summary>The line of reader-writer lock <paramref name="name"/>: its <see cref="EtcdLockKeys.KeyPrefix"/> and range hold every reader and writer key.</summary>
    public static EtcdLockKeys Line(string prefix, string name) => new(prefix + Kind, name);

    /// <summary>The key of a read (<paramref name="shared"/>) or write hold, held or awaited, on the lease <paramref name="leaseId"/>, told apart from that lease's other holds by <paramref name="number"/>.</summary>
    public static ByteString Hold(EtcdLockKeys line, bool shared, long leaseId, long number)
        => ByteString.CopyFromUtf8(string.Create(CultureInfo.InvariantCulture, $"{line.KeyPrefix}{(shared ? "read" : "write")}/{leaseId:x}/{number:x}"));

    /// <summary>True for a reader's key of <paramref name="line"/>.</summary>
    public static bool IsReader(EtcdLockKeys line, ByteString key) => KindIs(line, key, "read/"u8);

    /// <summary>True for a writer's key of <paramref name="line"/>: as the recipe reads it, any key under <c>&lt;mutex name&gt;/write</c>.</summary>
    public static bool IsWriter(EtcdLockKeys line, ByteString key) => KindIs(line, key, "write"u8);

    private static bool KindIs(EtcdLockKeys line, ByteString key, ReadOnlySpan<byte> kind)
    {
        var prefix = line.KeyPrefixBytes.Span;
        var span = key.Span;
        return span.StartsWith(prefix) && span[prefix.Length..].StartsWith(kind);
    }
}
