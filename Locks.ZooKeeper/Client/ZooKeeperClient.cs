using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Locks.ZooKeeper.Client;

/// <summary>
/// A small ZooKeeper client speaking the jute wire protocol over TCP: one session, requests
/// pipelined on one connection and matched to replies in order, one-shot watches, pings at a third
/// of the session timeout, and on connection loss a move to another ensemble member with the same
/// session (watches re-registered with setWatches). Only what Coord's lock needs: create2,
/// delete, exists, getData, getChildren2, multi. Every call is bounded by
/// <see cref="ZooKeeperClientOptions.RequestTimeout"/> and honours its cancellation token.
/// </summary>
internal sealed class ZooKeeperClient : IAsyncDisposable
{
    private const int MaxFrameLength = 16 * 1024 * 1024;

    private readonly ZooKeeperClientOptions _options;
    private readonly IReadOnlyList<(string Host, int Port)> _servers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TimeSpan _requestTimeout;
    private readonly object _sync = new();
    private readonly Dictionary<string, List<Action<ZooKeeperWatchedEvent>>> _dataWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Action<ZooKeeperWatchedEvent>>> _existWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Action<ZooKeeperWatchedEvent>>> _childWatches = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _shutdown = new();
    // Callbacks (state changes, watches) run one at a time, in the order the server sent them, off the I/O loop.
    private readonly Channel<Action> _callbacks = Channel.CreateUnbounded<Action>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _callbackPump;
    private TaskCompletionSource<Connection> _connected = NewConnectedSignal();
    private Connection? _connection;
    private ZooKeeperState _state = ZooKeeperState.Disconnected;
    private Task _supervisor = Task.CompletedTask;
    private int _serverIndex;
    private long _sessionId;
    private byte[] _password = new byte[16];
    private long _lastZxid;
    private int _lastXid;
    private long _lastHeardTimestamp;
    private long _lastVouchedTimestamp;
    private long _requestsSent;
    private volatile bool _closing;
    private int _disposed;

    private ZooKeeperClient(ZooKeeperClientOptions options)
    {
        _options = options;
        _servers = options.ParseServers();
        _time = options.TimeProvider;
        _logger = options.Logger ?? NullLogger.Instance;
        _requestTimeout = options.RequestTimeout ?? options.SessionTimeout;
        _serverIndex = Random.Shared.Next(_servers.Count);
        SessionTimeout = options.SessionTimeout;
        _callbackPump = Task.Run(PumpCallbacksAsync);
    }

    /// <summary>Raised (off the I/O loop, in order) on Disconnected, SyncConnected, Expired and Closed.</summary>
    public event Action<ZooKeeperState>? StateChanged;

    public ZooKeeperState State
    {
        get { lock (_sync) return _state; }
    }

    public long SessionId => Interlocked.Read(ref _sessionId);

    /// <summary>The timeout the server granted; the session ends this long after the server last heard from us.</summary>
    public TimeSpan SessionTimeout { get; private set; }

    /// <summary><c>host:port</c> of the member this client talks to now, or null while disconnected.</summary>
    public string? ConnectedServer => Volatile.Read(ref _connection)?.Server;

    /// <summary>
    /// <see cref="TimeProvider.GetTimestamp"/> taken when the newest request (or ping, or handshake)
    /// that the server has answered was sent. The server restarts the session's expiry clock whenever a
    /// packet of ours arrives, so the session cannot expire before this plus <see cref="SessionTimeout"/>.
    /// </summary>
    public long LastVouchedTimestamp => Volatile.Read(ref _lastVouchedTimestamp);

    /// <summary>Requests written to the wire so far (pings and handshakes not counted).</summary>
    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>Opens a session with the first member that answers, trying each in turn within the connect timeout.</summary>
    public static async Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var client = new ZooKeeperClient(options);
        try
        {
            await client.StartAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task<ZooKeeperCreated> CreateAsync(string path, byte[]? data = null, ZooKeeperCreateMode mode = ZooKeeperCreateMode.Persistent, CancellationToken cancellationToken = default)
    {
        ZooKeeperPaths.Validate(path, sequential: mode is ZooKeeperCreateMode.PersistentSequential or ZooKeeperCreateMode.EphemeralSequential);
        // Containers have their own request type; both reply with the path and the new node's Stat.
        var opCode = mode == ZooKeeperCreateMode.Container ? ZooKeeperOpCodes.CreateContainer : ZooKeeperOpCodes.Create2;
        return CallAsync(opCode, path, w =>
        {
            w.WriteString(path);
            w.WriteBuffer(data ?? []);
            w.WriteOpenAcl();
            w.WriteInt((int)mode);
        }, r => new ZooKeeperCreated(r.ReadString()!, r.ReadStat()), null, cancellationToken);
    }

    /// <summary>Deletes <paramref name="path"/> if its version matches (-1: any).</summary>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default)
    {
        ZooKeeperPaths.Validate(path);
        return CallAsync<object?>(ZooKeeperOpCodes.Delete, path, w =>
        {
            w.WriteString(path);
            w.WriteInt(version);
        }, _ => null, null, cancellationToken);
    }

    /// <summary>The node's Stat, or null when it does not exist. A <paramref name="watcher"/> fires once, on its creation, change or deletion.</summary>
    public async Task<ZooKeeperStat?> ExistsAsync(string path, Action<ZooKeeperWatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPaths.Validate(path);
        try
        {
            return await CallAsync(ZooKeeperOpCodes.Exists, path, w =>
            {
                w.WriteString(path);
                w.WriteBool(watcher is not null);
            }, r => r.ReadStat(), WatchRegistration(path, watcher, _dataWatches, _existWatches), cancellationToken).ConfigureAwait(false);
        }
        catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.NoNode)
        {
            return null;
        }
    }

    /// <summary>The node's data and Stat; throws NoNode when absent. A <paramref name="watcher"/> fires once, on change or deletion.</summary>
    public Task<ZooKeeperNodeData> GetDataAsync(string path, Action<ZooKeeperWatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPaths.Validate(path);
        return CallAsync(ZooKeeperOpCodes.GetData, path, w =>
        {
            w.WriteString(path);
            w.WriteBool(watcher is not null);
        }, r => new ZooKeeperNodeData(r.ReadBuffer() ?? [], r.ReadStat()), WatchRegistration(path, watcher, _dataWatches, null), cancellationToken);
    }

    /// <summary>Names of the node's children and its Stat (getChildren2). A <paramref name="watcher"/> fires once, when children change or the node goes.</summary>
    public Task<ZooKeeperChildren> GetChildrenAsync(string path, Action<ZooKeeperWatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        ZooKeeperPaths.Validate(path);
        return CallAsync(ZooKeeperOpCodes.GetChildren2, path, w =>
        {
            w.WriteString(path);
            w.WriteBool(watcher is not null);
        }, r => new ZooKeeperChildren(r.ReadStrings(), r.ReadStat()), WatchRegistration(path, watcher, _childWatches, null), cancellationToken);
    }

    /// <summary>
    /// Applies all <paramref name="operations"/> atomically. Returns, per step, the created path for
    /// creates and null for the others; if any step fails nothing is applied and the exception carries
    /// the first failing step's code.
    /// </summary>
    public async Task<IReadOnlyList<string?>> MultiAsync(IReadOnlyList<ZooKeeperOperation> operations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operations);
        if (operations.Count == 0)
            throw new ArgumentException("A multi needs at least one operation.", nameof(operations));
        var (results, failedStep, failure) = await CallAsync(ZooKeeperOpCodes.Multi, null, w =>
        {
            foreach (var operation in operations)
            {
                w.WriteInt(operation.OpCode);
                w.WriteBool(false);
                w.WriteInt(-1);
                operation.WriteBody(w);
            }
            w.WriteInt(-1);
            w.WriteBool(true);
            w.WriteInt(-1);
        }, ReadMultiReply, null, cancellationToken).ConfigureAwait(false);
        if (failure != ZooKeeperErrorCode.Ok)
            throw new ZooKeeperException(failure, $"multi step {failedStep} ({operations[failedStep].Path}) failed; nothing was applied");
        return results;
    }

    private static (IReadOnlyList<string?> Results, int FailedStep, ZooKeeperErrorCode Failure) ReadMultiReply(JuteReader reader)
    {
        var results = new List<string?>();
        var failure = ZooKeeperErrorCode.Ok;
        var failedStep = -1;
        while (true)
        {
            var type = reader.ReadInt();
            var done = reader.ReadBool();
            reader.ReadInt();
            if (done)
                return (results, failedStep, failure);
            switch (type)
            {
                case ZooKeeperOpCodes.Error:
                    var code = (ZooKeeperErrorCode)reader.ReadInt();
                    // Steps before the failing one report Ok and those after RuntimeInconsistency; the first other code is the cause.
                    if (failure == ZooKeeperErrorCode.Ok && code is not ZooKeeperErrorCode.Ok and not ZooKeeperErrorCode.RuntimeInconsistency)
                        (failure, failedStep) = (code, results.Count);
                    results.Add(null);
                    break;
                case ZooKeeperOpCodes.Create:
                    results.Add(reader.ReadString());
                    break;
                case ZooKeeperOpCodes.Create2 or ZooKeeperOpCodes.CreateContainer:
                    results.Add(reader.ReadString());
                    reader.ReadStat();
                    break;
                case ZooKeeperOpCodes.SetData:
                    reader.ReadStat();
                    results.Add(null);
                    break;
                default:
                    results.Add(null);
                    break;
            }
        }
    }


    private Action<ZooKeeperErrorCode>? WatchRegistration(
        string path, Action<ZooKeeperWatchedEvent>? watcher,
        Dictionary<string, List<Action<ZooKeeperWatchedEvent>>> onSuccess, Dictionary<string, List<Action<ZooKeeperWatchedEvent>>>? onNoNode)
    {
        if (watcher is null)
            return null;
        // Runs on the I/O loop as the reply is read, so no event for this path can slip in before it is registered.
        return code =>
        {
            var table = code == ZooKeeperErrorCode.Ok ? onSuccess : code == ZooKeeperErrorCode.NoNode ? onNoNode : null;
            if (table is null)
                return;
            lock (_sync)
            {
                if (!table.TryGetValue(path, out var list))
                    table[path] = list = [];
                list.Add(watcher);
            }
        };
    }

    private async Task<T> CallAsync<T>(int opCode, string? path, Action<JuteWriter> body, Func<JuteReader, T> parse, Action<ZooKeeperErrorCode>? onReply, CancellationToken cancellationToken)
    {
        ThrowIfEnded();
        var writer = new JuteWriter();
        writer.WriteInt(0); // xid, set once the request's place in the pipeline is known
        writer.WriteInt(opCode);
        body(writer);
        var frame = writer.ToFrame();

        using var timeout = new CancellationTokenSource(_requestTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token, _shutdown.Token);
        Connection? sentOn = null;
        try
        {
            var pending = new Pending(opCode, path, r => parse(r), onReply);
            var connection = await WaitConnectedAsync(linked.Token).ConfigureAwait(false);
            await connection.WriteLock.WaitAsync(linked.Token).ConfigureAwait(false);
            try
            {
                lock (connection.Pending)
                {
                    if (connection.Failed || connection.Broken.IsCancellationRequested)
                        throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"{OpName(opCode)} {path}: the connection to {connection.Server} closed");
                    pending.Xid = Interlocked.Increment(ref _lastXid) & int.MaxValue;
                    pending.SentTimestamp = _time.GetTimestamp();
                    BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), pending.Xid);
                    connection.Pending.Enqueue(pending);
                }
                sentOn = connection;
                Interlocked.Increment(ref _requestsSent);
                try
                {
                    await connection.Stream.WriteAsync(frame, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    connection.Close(); // a half-written frame leaves the stream unusable
                    throw;
                }
                connection.LastSentTimestamp = _time.GetTimestamp();
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                connection.Close();
                throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"{OpName(opCode)} {path}: sending to {connection.Server} failed", ex);
            }
            finally
            {
                connection.WriteLock.Release();
            }
            return (T)(await pending.Reply.Task.WaitAsync(linked.Token).ConfigureAwait(false))!;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && timeout.IsCancellationRequested)
        {
            // Replies come in order, so a missing one means the member or the link is stuck: move on to another member.
            sentOn?.Close();
            throw new ZooKeeperException(ZooKeeperErrorCode.OperationTimeout, $"{OpName(opCode)} {path}: no reply within {_requestTimeout.TotalMilliseconds:0} ms");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && _shutdown.IsCancellationRequested)
        {
            throw new ObjectDisposedException(nameof(ZooKeeperClient), "The ZooKeeper client was closed.");
        }
    }

    private async Task<Connection> WaitConnectedAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<Connection> connected;
            lock (_sync)
                connected = _connected.Task;
            var connection = await connected.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!connection.Broken.IsCancellationRequested)
                return connection;
            // Closed, and the supervisor is about to swap in the signal of the next connection: wait for that one.
            await Task.Delay(TimeSpan.FromMilliseconds(5), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        var connectTimeout = _options.ConnectTimeout ?? _options.SessionTimeout;
        var started = _time.GetTimestamp();
        Exception? last = null;
        for (var attempt = 0; ; attempt++)
        {
            var left = connectTimeout - _time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
                throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, $"no member of {_options.ConnectString} answered within {connectTimeout.TotalMilliseconds:0} ms", last);
            var index = (_serverIndex + attempt) % _servers.Count;
            try
            {
                var connection = await HandshakeAsync(index, Min(left, PerServerTimeout()), cancellationToken).ConfigureAwait(false);
                Activate(connection, index);
                _supervisor = Task.Run(() => SuperviseAsync(connection));
                return;
            }
            catch (Exception ex) when (IsConnectFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                last = ex;
                if ((attempt + 1) % _servers.Count == 0)
                    await Task.Delay(Min(TimeSpan.FromMilliseconds(100), left), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private TimeSpan PerServerTimeout() => Max(SessionTimeout / _servers.Count, TimeSpan.FromMilliseconds(500));

    private static bool IsConnectFailure(Exception ex)
        => ex is IOException or SocketException or OperationCanceledException or ZooKeeperException { Code: not ZooKeeperErrorCode.SessionExpired };

    /// <summary>TCP connect plus ConnectRequest/ConnectResponse; a new session, or the current one resumed.</summary>
    private async Task<Connection> HandshakeAsync(int index, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (host, port) = _servers[index];
        using var bound = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, bound.Token, _shutdown.Token);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
            var stream = tcp.GetStream();
            var sent = _time.GetTimestamp();
            var request = new JuteWriter();
            request.WriteInt(0); // protocol version
            request.WriteLong(Interlocked.Read(ref _lastZxid));
            request.WriteInt((int)Math.Min(int.MaxValue, _options.SessionTimeout.TotalMilliseconds));
            request.WriteLong(SessionId);
            request.WriteBuffer(_password);
            request.WriteBool(false); // not read-only
            await stream.WriteAsync(request.ToFrame(), linked.Token).ConfigureAwait(false);
            var reply = new JuteReader(await ReadFrameAsync(stream, linked.Token).ConfigureAwait(false));
            reply.ReadInt();
            var negotiatedMs = reply.ReadInt();
            var sessionId = reply.ReadLong();
            var password = reply.ReadBuffer() ?? [];
            if (negotiatedMs <= 0)
                throw new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, $"{host}:{port} reports session 0x{SessionId:x} expired");
            SessionTimeout = TimeSpan.FromMilliseconds(negotiatedMs);
            Interlocked.Exchange(ref _sessionId, sessionId);
            _password = password;
            Vouch(sent);
            return new Connection(tcp, $"{host}:{port}", _time.GetTimestamp());
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private void Activate(Connection connection, int index)
    {
        _serverIndex = index;
        Volatile.Write(ref _lastHeardTimestamp, _time.GetTimestamp());
        lock (_sync)
        {
            _connection = connection;
            _connected.TrySetResult(connection);
            SetState(ZooKeeperState.SyncConnected);
        }
        _logger.LogDebug("ZooKeeper session 0x{SessionId:x} connected to {Server} (timeout {Timeout} ms)", SessionId, connection.Server, SessionTimeout.TotalMilliseconds);
    }

    /// <summary>Runs one connection until it breaks, then moves the session to another member; ends on expiry or close.</summary>
    private async Task SuperviseAsync(Connection connection)
    {
        while (true)
        {
            var pinger = PingLoopAsync(connection);
            try
            {
                await ReceiveLoopAsync(connection).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                if (!_closing)
                    _logger.LogDebug(ex, "ZooKeeper connection to {Server} ended", connection.Server);
            }
            connection.Close();
            FailPending(connection);
            await pinger.ConfigureAwait(false);
            lock (_sync)
            {
                if (_closing || _state is ZooKeeperState.Expired or ZooKeeperState.Closed)
                    return;
                _connection = null;
                if (_connected.Task.IsCompleted)
                    _connected = NewConnectedSignal();
                SetState(ZooKeeperState.Disconnected);
            }
            var next = await ReconnectAsync().ConfigureAwait(false);
            if (next is null)
                return;
            connection = next;
        }
    }

    private async Task<Connection?> ReconnectAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var left = SessionTimeout - _time.GetElapsedTime(Volatile.Read(ref _lastHeardTimestamp));
                if (left <= TimeSpan.Zero)
                {
                    // No member answered while the session could still live: it has expired, or will before anyone could tell us otherwise.
                    Expire("no member answered within the session timeout");
                    return null;
                }
                var index = (_serverIndex + attempt) % _servers.Count; // another member first
                var connection = await HandshakeAsync(index, Min(left, PerServerTimeout()), _shutdown.Token).ConfigureAwait(false);
                try
                {
                    await SendSetWatchesAsync(connection).ConfigureAwait(false);
                }
                catch
                {
                    connection.Close();
                    throw;
                }
                Activate(connection, index);
                return connection;
            }
            catch (ZooKeeperException ex) when (ex.Code == ZooKeeperErrorCode.SessionExpired)
            {
                Expire(ex.Message);
                return null;
            }
            catch (Exception) when (_shutdown.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception ex) when (IsConnectFailure(ex))
            {
                _logger.LogDebug(ex, "ZooKeeper session 0x{SessionId:x}: reconnect attempt {Attempt} failed", SessionId, attempt);
                if (attempt % _servers.Count == 0)
                    await Task.Delay(TimeSpan.FromMilliseconds(50), _time).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Re-registers every outstanding watch with the new member, first on the new connection.</summary>
    private async Task SendSetWatchesAsync(Connection connection)
    {
        string[] data, exist, child;
        lock (_sync)
        {
            data = [.. _dataWatches.Keys];
            exist = [.. _existWatches.Keys];
            child = [.. _childWatches.Keys];
        }
        if (data.Length + exist.Length + child.Length == 0)
            return;
        var writer = new JuteWriter();
        writer.WriteInt(ZooKeeperOpCodes.SetWatchesXid);
        writer.WriteInt(ZooKeeperOpCodes.SetWatches);
        // Events after this zxid are replayed, so a change made while we were away still fires.
        writer.WriteLong(Interlocked.Read(ref _lastZxid));
        writer.WriteStrings(data);
        writer.WriteStrings(exist);
        writer.WriteStrings(child);
        using var bound = new CancellationTokenSource(PerServerTimeout(), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(bound.Token, _shutdown.Token);
        await connection.Stream.WriteAsync(writer.ToFrame(), linked.Token).ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync(Connection connection)
    {
        while (true)
        {
            var frame = await ReadFrameAsync(connection.Stream, connection.Broken.Token).ConfigureAwait(false);
            Volatile.Write(ref _lastHeardTimestamp, _time.GetTimestamp());
            var reader = new JuteReader(frame);
            var xid = reader.ReadInt();
            var zxid = reader.ReadLong();
            var error = (ZooKeeperErrorCode)reader.ReadInt();
            switch (xid)
            {
                case ZooKeeperOpCodes.PingXid:
                    long pingSent;
                    lock (connection.PingsSent)
                        connection.PingsSent.TryDequeue(out pingSent);
                    Vouch(pingSent);
                    continue;
                case ZooKeeperOpCodes.AuthXid:
                    continue;
                case ZooKeeperOpCodes.SetWatchesXid:
                    if (error != ZooKeeperErrorCode.Ok)
                        _logger.LogWarning("ZooKeeper setWatches after reconnect failed with {Code}", error);
                    continue;
                case ZooKeeperOpCodes.NotificationXid:
                    var type = (ZooKeeperEventType)reader.ReadInt();
                    reader.ReadInt(); // keeper state: always SyncConnected for node events
                    Dispatch(new ZooKeeperWatchedEvent(type, ZooKeeperState.SyncConnected, reader.ReadString()));
                    continue;
            }
            if (zxid > 0)
                Interlocked.Exchange(ref _lastZxid, Math.Max(zxid, Interlocked.Read(ref _lastZxid)));
            Pending? pending;
            lock (connection.Pending)
                connection.Pending.TryDequeue(out pending);
            if (pending is null || pending.Xid != xid)
                throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"reply xid {xid} does not match the oldest request (xid {pending?.Xid})");
            Vouch(pending.SentTimestamp);
            pending.OnReply?.Invoke(error);
            if (error != ZooKeeperErrorCode.Ok)
                pending.Reply.TrySetException(new ZooKeeperException(error, $"{OpName(pending.OpCode)} {pending.Path}"));
            else
            {
                try
                {
                    pending.Reply.TrySetResult(pending.Parse(reader));
                }
                catch (Exception ex)
                {
                    // A reply we cannot read leaves the stream out of step: fail this call, then the connection.
                    pending.Reply.TrySetException(ex);
                    throw;
                }
            }
        }
    }

    private async Task PingLoopAsync(Connection connection)
    {
        try
        {
            while (true)
            {
                // Check every sixth of the timeout: ping after a third without sending, give up on the
                // connection after two thirds without hearing anything, so the session can still move in time.
                await Task.Delay(SessionTimeout / 6, _time, connection.Broken.Token).ConfigureAwait(false);
                if (_time.GetElapsedTime(Volatile.Read(ref _lastHeardTimestamp)) > SessionTimeout * 2 / 3)
                {
                    _logger.LogDebug("ZooKeeper member {Server} went quiet; moving the session", connection.Server);
                    connection.Close();
                    return;
                }
                if (_time.GetElapsedTime(connection.LastSentTimestamp) < SessionTimeout / 3)
                    continue;
                var ping = new JuteWriter();
                ping.WriteInt(ZooKeeperOpCodes.PingXid);
                ping.WriteInt(ZooKeeperOpCodes.Ping);
                await connection.WriteLock.WaitAsync(connection.Broken.Token).ConfigureAwait(false);
                try
                {
                    lock (connection.PingsSent)
                        connection.PingsSent.Enqueue(_time.GetTimestamp());
                    await connection.Stream.WriteAsync(ping.ToFrame(), connection.Broken.Token).ConfigureAwait(false);
                    connection.LastSentTimestamp = _time.GetTimestamp();
                }
                finally
                {
                    connection.WriteLock.Release();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            connection.Close();
        }
    }

    private static void FailPending(Connection connection)
    {
        Pending[] failed;
        lock (connection.Pending)
        {
            connection.Failed = true;
            failed = [.. connection.Pending];
            connection.Pending.Clear();
        }
        foreach (var pending in failed)
            pending.Reply.TrySetException(new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss,
                $"{OpName(pending.OpCode)} {pending.Path}: the connection to {connection.Server} was lost before the reply; the request may or may not have been applied"));
    }

    private void Dispatch(ZooKeeperWatchedEvent change)
    {
        var fired = new List<Action<ZooKeeperWatchedEvent>>();
        lock (_sync)
        {
            void Take(Dictionary<string, List<Action<ZooKeeperWatchedEvent>>> table)
            {
                if (change.Path is not null && table.Remove(change.Path, out var list))
                    fired.AddRange(list);
            }
            switch (change.Type)
            {
                case ZooKeeperEventType.NodeCreated or ZooKeeperEventType.NodeDataChanged:
                    Take(_dataWatches);
                    Take(_existWatches);
                    break;
                case ZooKeeperEventType.NodeDeleted:
                    Take(_dataWatches);
                    Take(_existWatches);
                    Take(_childWatches);
                    break;
                case ZooKeeperEventType.NodeChildrenChanged:
                    Take(_childWatches);
                    break;
            }
        }
        foreach (var watcher in fired)
            Post(() => watcher(change));
    }

    /// <summary>Ends the session for good: wakes every watcher and waiting caller with the reason.</summary>
    private void Expire(string reason)
    {
        _logger.LogWarning("ZooKeeper session 0x{SessionId:x} expired: {Reason}", SessionId, reason);
        EndSession(ZooKeeperState.Expired, new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, $"session 0x{SessionId:x}: {reason}"));
    }

    private void EndSession(ZooKeeperState state, Exception reason)
    {
        List<(string Path, Action<ZooKeeperWatchedEvent> Watcher)> watchers = [];
        lock (_sync)
        {
            if (_state is ZooKeeperState.Expired or ZooKeeperState.Closed)
                return;
            if (_connected.Task.IsCompleted)
                _connected = NewConnectedSignal();
            _connected.TrySetException(reason);
            _ = _connected.Task.Exception; // observed: callers see it through WaitConnectedAsync
            SetState(state);
            foreach (var table in new[] { _dataWatches, _existWatches, _childWatches })
            {
                foreach (var (path, list) in table)
                    watchers.AddRange(list.Select(w => (path, w)));
                table.Clear();
            }
        }
        foreach (var (path, watcher) in watchers)
            Post(() => watcher(new ZooKeeperWatchedEvent(ZooKeeperEventType.None, state, path)));
    }

    private void SetState(ZooKeeperState state)
    {
        if (_state == state)
            return;
        _state = state;
        Post(() => StateChanged?.Invoke(state));
    }

    private void Post(Action callback) => _callbacks.Writer.TryWrite(callback);

    private async Task PumpCallbacksAsync()
    {
        await foreach (var callback in _callbacks.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                callback();
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "A ZooKeeper watcher or state handler threw");
            }
        }
    }

    private void ThrowIfEnded()
    {
        lock (_sync)
        {
            if (_state == ZooKeeperState.Expired)
                throw new ZooKeeperException(ZooKeeperErrorCode.SessionExpired, $"session 0x{SessionId:x} has expired; open a new client");
            ObjectDisposedException.ThrowIf(_state == ZooKeeperState.Closed, this);
        }
    }

    private void Vouch(long sentTimestamp)
    {
        var current = Volatile.Read(ref _lastVouchedTimestamp);
        while (sentTimestamp > current)
        {
            var seen = Interlocked.CompareExchange(ref _lastVouchedTimestamp, sentTimestamp, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    private static async Task<byte[]> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < 0 or > MaxFrameLength)
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"a frame of {length} bytes is out of range");
        var frame = new byte[length];
        await stream.ReadExactlyAsync(frame, cancellationToken).ConfigureAwait(false);
        return frame;
    }

    /// <summary>Closes the session (the server deletes its ephemeral nodes at once) and the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        // From here on a dropped connection is the end, not a reason to move to another member.
        _closing = true;
        if (State == ZooKeeperState.SyncConnected)
        {
            try
            {
                using var bound = new CancellationTokenSource(Min(_requestTimeout, TimeSpan.FromSeconds(5)), _time);
                await CallAsync<object?>(ZooKeeperOpCodes.CloseSession, null, _ => { }, _ => null, null, bound.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogDebug(ex, "Closing ZooKeeper session 0x{SessionId:x} failed; it expires by itself", SessionId);
            }
        }
        EndSession(ZooKeeperState.Closed, new ObjectDisposedException(nameof(ZooKeeperClient), "The ZooKeeper client was closed."));
        await _shutdown.CancelAsync().ConfigureAwait(false);
        Volatile.Read(ref _connection)?.Close();
        try
        {
            await _supervisor.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogDebug(ex, "ZooKeeper connection loop ended with an error");
        }
        _callbacks.Writer.TryComplete();
        await _callbackPump.ConfigureAwait(false);
        _shutdown.Dispose();
    }

    private static string OpName(int opCode) => opCode switch
    {
        ZooKeeperOpCodes.Create2 => "create2",
        ZooKeeperOpCodes.CreateContainer => "createContainer",
        ZooKeeperOpCodes.Delete => "delete",
        ZooKeeperOpCodes.Exists => "exists",
        ZooKeeperOpCodes.GetData => "getData",
        ZooKeeperOpCodes.GetChildren2 => "getChildren2",
        ZooKeeperOpCodes.Multi => "multi",
        ZooKeeperOpCodes.CloseSession => "closeSession",
        _ => $"op {opCode}",
    };

    private static TaskCompletionSource<Connection> NewConnectedSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private sealed class Pending(int opCode, string? path, Func<JuteReader, object?> parse, Action<ZooKeeperErrorCode>? onReply)
    {
        public int Xid { get; set; }
        public long SentTimestamp { get; set; }
        public int OpCode => opCode;
        public string? Path => path;
        public Func<JuteReader, object?> Parse => parse;
        public Action<ZooKeeperErrorCode>? OnReply => onReply;
        public TaskCompletionSource<object?> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Connection(TcpClient tcp, string server, long connectedTimestamp)
    {
        public NetworkStream Stream { get; } = tcp.GetStream();
        public string Server => server;
        public SemaphoreSlim WriteLock { get; } = new(1, 1);
        public Queue<Pending> Pending { get; } = new();
        public Queue<long> PingsSent { get; } = new();
        public bool Failed { get; set; }
        public long LastSentTimestamp { get; set; } = connectedTimestamp;
        public CancellationTokenSource Broken { get; } = new();

        public void Close()
        {
            try
            {
                Broken.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
            tcp.Dispose();
        }
    }
}
