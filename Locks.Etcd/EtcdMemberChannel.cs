using dotnet_etcd;
using Etcdserverpb;
using Grpc.Net.Client;

namespace Coord.Locks.Etcd;

/// <summary>
/// A gRPC channel to one etcd member, used by a connection until it is found stalled or failing.
/// Retiring it cancels every call still on it (streams included) and closes its HTTP/2 connection, so
/// nothing waits on a member that has stopped answering; the calls are then made again on a new channel.
/// </summary>
internal sealed class EtcdMemberChannel : IDisposable
{
    private readonly EtcdClient _client;
    private readonly CancellationTokenSource _retired = new();
    private SocketsHttpHandler? _handler;

    public EtcdMemberChannel(EtcdLockOptions options, string endpoint)
    {
        Endpoint = endpoint;
        _client = endpoint.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? new EtcdClient(endpoint, options.ConfigureTls ?? (_ => { }), configureChannelOptions: c => Configure(c, keepTlsHandler: true))
            : new EtcdClient(endpoint, configureChannelOptions: c => Configure(c, keepTlsHandler: false));
        if (!string.IsNullOrEmpty(options.Username))
            _client.SetCredentials(options.Username, options.Password!);
        var connection = _client.GetConnection();
        Kv = connection.KVClient;
        Leases = connection.LeaseClient;
        Watches = connection.WatchClient;
    }

    public string Endpoint { get; }
    public KV.KVClient Kv { get; }
    public Lease.LeaseClient Leases { get; }
    public Watch.WatchClient Watches { get; }

    /// <summary>Fires when the channel is retired: every call made on it should pass this token (linked with its own).</summary>
    public CancellationToken Retired => _retired.Token;

    public bool IsRetired => _retired.IsCancellationRequested;

    /// <summary>
    /// The channel settings Coord relies on (the stress runner's etcd floor uses the same, so the two compare fairly):
    /// <list type="bullet">
    /// <item>no gRPC retry policy: Coord sends a request again itself, on another member when the first
    /// stalls, and a retried call costs the channel a buffering copy of every request;</item>
    /// <item>HTTP/2 pings with a timeout, as a backstop behind Coord's own deadlines: a connection to a member
    /// that stopped answering without closing it is found dead within about 10 s. 6 s between pings stays
    /// above etcd's minimum (5 s), below which it closes the connection; only connections with open calls are pinged.</item>
    /// </list>
    /// </summary>
    private void Configure(GrpcChannelOptions channel, bool keepTlsHandler)
    {
        channel.ServiceConfig = null;
        // dotnet-etcd puts the TLS settings on the handler it made, so a TLS channel keeps it; a plain-text one gets ours.
        SocketsHttpHandler handler;
        if (!keepTlsHandler)
            channel.HttpHandler = handler = new SocketsHttpHandler();
        else if (channel.HttpHandler is SocketsHttpHandler made)
            handler = made;
        else
            return;
        handler.KeepAlivePingDelay = TimeSpan.FromSeconds(6);
        handler.KeepAlivePingTimeout = TimeSpan.FromSeconds(4);
        handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        _handler = handler;
    }

    /// <summary>Cancels every call on this channel and closes its connection; later calls on it fail at once.</summary>
    public void Retire()
    {
        try
        {
            _retired.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
        _handler?.Dispose();
    }

    public void Dispose()
    {
        Retire();
        _client.Dispose();
    }
}
