using Google.Protobuf;

namespace Coord.Locks.Etcd;

/// <summary>
/// One acquisition as this process knows it: its key and lease from the moment it queued, then,
/// once it holds, the watch on its own key that reports the hold gone.
/// </summary>
internal sealed class EtcdHold
{
    private long _leaseRefreshedTimestamp;

    public EtcdHold(string name, string holderToken, string key, long leaseId, long grantedTtlSeconds, long grantSentTimestamp)
    {
        Name = name;
        HolderToken = holderToken;
        Key = ByteString.CopyFromUtf8(key);
        LeaseId = leaseId;
        GrantedTtl = TimeSpan.FromSeconds(grantedTtlSeconds);
        _leaseRefreshedTimestamp = grantSentTimestamp;
    }

    public string Name { get; }
    public string HolderToken { get; }
    public ByteString Key { get; }
    public long LeaseId { get; }

    /// <summary>The TTL etcd granted (whole seconds, possibly raised to its minimum); every keep-alive restores it.</summary>
    public TimeSpan GrantedTtl { get; }

    /// <summary>Create revision of <see cref="Key"/>: the queue position, and the fencing token once held.</summary>
    public long CreateRevision { get; set; }

    /// <summary>Timestamp taken before sending the last grant or keep-alive that etcd confirmed.</summary>
    public long LeaseRefreshedTimestamp
    {
        get => Volatile.Read(ref _leaseRefreshedTimestamp);
        set => Volatile.Write(ref _leaseRefreshedTimestamp, value);
    }

    /// <summary>Cancelled when etcd deletes our key while we hold it (lease revoked or expired).</summary>
    public CancellationTokenSource Lost { get; } = new();

    /// <summary>Cancelled when this process releases or abandons the hold, to end the watch on our key.</summary>
    public CancellationTokenSource StopMonitor { get; } = new();
}
