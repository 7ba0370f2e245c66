using System.Globalization;
using Etcdserverpb;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Coord.Locks.Etcd;

/// <summary>
/// Semaphores on an etcd cluster: at most <c>maxCount</c> permits of a name at once, handed out first come,
/// first served. Every acquire puts one key in the name's line, on the provider's session lease; the first
/// <c>maxCount</c> keys by create revision hold, and a permit's fencing token is its key's create revision.
/// </summary>
/// <remarks>
/// <para>
/// The machinery is the etcd lock's (<see cref="EtcdLine"/>): long-lived sessions (one lease, one keep-alive
/// stream, shared by every permit and lock hold of the provider with that TTL), one watch of the name's line
/// per provider, shared by its waiters, and a waiter that knows its turn from the DELETE events alone: it
/// read, when it put its key, every key created before it, and holds once fewer than <c>maxCount</c> of
/// them are left. A permit that stops being renewed has its key deleted by its process at its deadline; a
/// crashed process loses its permits when etcd expires its session lease.
/// </para>
/// <para>
/// Acquire is one transaction: if the line is empty, it sets the name's max-count key to this acquire's
/// count; otherwise it puts the key only when the max-count key holds the same count, and else reads it
/// and the call fails with <see cref="SemaphoreCountMismatchException"/> having changed nothing. Release
/// is one transaction that deletes the permit's key, and the max-count key too when no other key is left.
/// Key layout: <see cref="EtcdSemaphoreKeys"/>.
/// </para>
/// <para>
/// Fencing tokens rise with every grant of a name: the holders are always the oldest <c>maxCount</c> keys
/// of the line, so a key let in later, whichever holder left, was created later than every key let in
/// before it.
/// </para>
/// </remarks>
public sealed class EtcdSemaphore : SemaphoreProvider
{
    /// <summary>Creates the provider. It connects on first use, so an unreachable cluster shows up as <see cref="LockBackendException"/> from the first call, not here.</summary>
    /// <param name="options">Endpoints, prefix, credentials and timing, as for <see cref="EtcdLock"/>; validated here.</param>
    /// <param name="logger">Where the provider logs; null logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">A setting in <paramref name="options"/> is missing or out of range; the message names it and what is allowed.</exception>
    public EtcdSemaphore(EtcdLockOptions options, ILogger<EtcdSemaphore>? logger = null)
        : base(options, logger, EtcdHoldLine.Backend, provider => new PermitLine(options, provider))
    {
    }

    /// <summary>A semaphore's line: a key per permit, and the name's max count beside it.</summary>
    private sealed class PermitLine(EtcdLockOptions options, HoldEngineServices provider) : EtcdHoldLine(options, provider)
    {
        private long _permits;

        protected override EtcdLockKeys KeysOf(string name) => EtcdSemaphoreKeys.Line(Options.Prefix, name);

        protected override ByteString HoldKey(LockRequest request, EtcdLockKeys keys, long leaseId)
            => EtcdSemaphoreKeys.Permit(keys, leaseId, Interlocked.Increment(ref _permits));

        /// <summary>
        /// Puts our key (setting the max count when the line is empty, else only under the same count) and reads
        /// the line, in one transaction; on another count reads that count and throws, having changed nothing.
        /// </summary>
        protected override async Task<Queued> EnqueueAsync(LockRequest request, EtcdHold hold, CancellationToken cancellationToken)
        {
            var line = hold.Keys;
            var maxKey = EtcdSemaphoreKeys.MaxCount(line);
            var count = ByteString.CopyFromUtf8(request.MaxHolders.ToString(CultureInfo.InvariantCulture));

            var txn = new TxnRequest();
            // An idle name (nobody holds or waits) takes this acquire's count.
            txn.Compare.Add(NoKeyBetween(line.KeyPrefixBytes, line.RangeEnd));
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = maxKey, Value = count } });
            txn.Success.Add(PutOwnKey(hold));
            txn.Success.Add(ReadLine(line));
            // A name in use admits only its own count. A transaction sent again after a lost answer finds our key.
            var inUse = new TxnRequest();
            inUse.Compare.Add(new Compare { Key = maxKey, Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = count });
            inUse.Compare.Add(new Compare { Key = hold.Key, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
            inUse.Success.Add(PutOwnKey(hold));
            inUse.Success.Add(ReadLine(line));
            inUse.Failure.Add(new RequestOp { RequestRange = new RangeRequest { Key = maxKey } });
            inUse.Failure.Add(ReadOwnKey(hold));
            inUse.Failure.Add(ReadLine(line));
            txn.Failure.Add(new RequestOp { RequestTxn = inUse });

            for (var restored = false; ; restored = true)
            {
                var response = await Connection.SendAsync("acquire", ct => Connection.Kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
                var revision = response.Header.Revision;
                if (response.Succeeded)
                    return Put(hold, revision, response.Responses[2].ResponseRange);
                var inner = response.Responses[0].ResponseTxn;
                if (inner.Succeeded)
                    return Put(hold, revision, inner.Responses[1].ResponseRange);
                if (inner.Responses[1].ResponseRange.Kvs.Count > 0)
                    return Found(hold, revision, inner.Responses[1].ResponseRange, inner.Responses[2].ResponseRange);
                if (inner.Responses[0].ResponseRange.Kvs.FirstOrDefault() is { } active)
                    throw new SemaphoreCountMismatchException(request.Name, "etcd", Endpoint, request.MaxHolders, ParseCount(maxKey, active.Value));
                if (restored)
                    throw new InvalidOperationException($"etcd key {maxKey.ToStringUtf8()} (the semaphore's max count) keeps vanishing while its line is in use; something outside Coord deletes it.");
                // The line is in use but its count is gone (deleted by hand): put ours back, only if still missing, and try again.
                var restore = new TxnRequest();
                restore.Compare.Add(new Compare { Key = maxKey, Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 });
                restore.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = maxKey, Value = count } });
                await Connection.SendAsync("acquire", ct => Connection.Kv.TxnAsync(restore, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Deletes our key, and the max-count key with it when ours was the line's last key, so an idle name leaves nothing behind.</summary>
        protected override async Task<bool> SendDeleteOwnKeyAsync(EtcdHold hold, string operation, CancellationToken cancellationToken)
        {
            var line = hold.Keys;
            var txn = new TxnRequest();
            txn.Compare.Add(NoKeyBetween(line.KeyPrefixBytes, hold.Key));
            txn.Compare.Add(NoKeyBetween(JustAfter(hold.Key), line.RangeEnd));
            txn.Success.Add(DeleteOwn(hold));
            txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdSemaphoreKeys.MaxCount(line) } });
            txn.Failure.Add(DeleteOwn(hold));
            var response = await Connection.SendAsync(operation, ct => Connection.Kv.TxnAsync(txn, cancellationToken: ct).ResponseAsync, cancellationToken).ConfigureAwait(false);
            return response.Responses[0].ResponseDeleteRange.Deleted > 0;
        }

        /// <summary>The first key after <paramref name="key"/> in etcd's byte order: <paramref name="key"/> followed by a zero byte.</summary>
        private static ByteString JustAfter(ByteString key)
        {
            var next = new byte[key.Length + 1];
            key.Span.CopyTo(next);
            return ByteString.CopyFrom(next);
        }

        private static RequestOp DeleteOwn(EtcdHold hold) => new() { RequestDeleteRange = new DeleteRangeRequest { Key = hold.Key } };

        private static int ParseCount(ByteString key, ByteString value)
            => int.TryParse(value.ToStringUtf8(), NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 1
                ? count
                : throw new InvalidOperationException($"etcd key {key.ToStringUtf8()} should hold the semaphore's max count (1 to {int.MaxValue}) but holds '{value.ToStringUtf8()}'.");
    }
}
