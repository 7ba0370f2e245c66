using Coord.Locks.Etcd;
using Coord.Locks.Tests.Contract;
using Etcdserverpb;
using Google.Protobuf;

namespace Coord.Locks.Tests.Etcd;

public sealed class EtcdReaderWriterLockContractTests(EtcdServerFixture etcd) : ReaderWriterLockContractTests, IClassFixture<EtcdServerFixture>
{
    protected override Task<ReaderWriterLockProvider> CreateClientCoreAsync()
        => Task.FromResult<ReaderWriterLockProvider>(new EtcdReaderWriterLock(new EtcdLockOptions { Endpoints = [etcd.Server.ClientUrl], Prefix = EtcdServerFixture.Prefix }));

    /// <summary>Deletes the hold's key with a raw client, as an operator (or a Go service's bug) could.</summary>
    protected override async Task TakeAwayAsync(string name, string holderToken)
    {
        var key = (await ReadLineAsync(name)).SingleOrDefault(kv => kv.Value == ByteString.CopyFromUtf8(holderToken));
        Assert.True(key is not null, $"'{holderToken}' held nothing of '{name}'");
        Assert.Equal(1, (await etcd.Raw.GetConnection().KVClient.DeleteRangeAsync(new DeleteRangeRequest { Key = key.Key })).Deleted);
    }

    /// <summary>The keys of the line that do not hold: everything after a writer first in line, or from the first writer on.</summary>
    protected override async Task<int> WaitingAsync(string name)
    {
        var line = EtcdReaderWriterKeys.Line(EtcdServerFixture.Prefix, name);
        var keys = await ReadLineAsync(name);
        if (keys.Count > 0 && EtcdReaderWriterKeys.IsWriter(line, keys[0].Key))
            return keys.Count - 1;
        var holders = keys.TakeWhile(kv => EtcdReaderWriterKeys.IsReader(line, kv.Key)).Count();
        return keys.Count - holders;
    }

    private async Task<IReadOnlyList<Mvccpb.KeyValue>> ReadLineAsync(string name)
    {
        var range = EtcdLine.Line(EtcdReaderWriterKeys.Line(EtcdServerFixture.Prefix, name));
        range.KeysOnly = false;
        return (await etcd.Raw.GetConnection().KVClient.RangeAsync(range)).Kvs;
    }

    [Fact]
    public async Task Keys_follow_the_etcd_recipe_layout_readers_under_read_and_writers_under_write_on_one_session_lease()
    {
        var name = NewName("layout/with%");
        var client = await CreateClientAsync();
        await using var r1 = await client.AcquireReadLockAsync(name);
        await using var r2 = await client.AcquireReadLockAsync(name);
        var writer = client.AcquireWriteLockAsync(name, wait: NoHang);
        await UntilWaitingAsync(name, 1);

        var mutex = EtcdReaderWriterLock.MutexNameOf(EtcdServerFixture.Prefix, name);
        Assert.Equal($"{EtcdServerFixture.Prefix}%rw/{EtcdLockKeys.EncodeName(name)}", mutex);
        var keys = await ReadLineAsync(name);
        Assert.Equal(3, keys.Count);
        Assert.StartsWith($"{mutex}/read/", keys[0].Key.ToStringUtf8(), StringComparison.Ordinal);
        Assert.StartsWith($"{mutex}/read/", keys[1].Key.ToStringUtf8(), StringComparison.Ordinal);
        Assert.StartsWith($"{mutex}/write/", keys[2].Key.ToStringUtf8(), StringComparison.Ordinal);
        Assert.Single(keys.Select(kv => kv.Lease).Distinct());
        Assert.NotEqual(0, keys[0].Lease);
        Assert.Equal(r1.FencingToken, keys[0].CreateRevision);
        Assert.Equal(r2.FencingToken, keys[1].CreateRevision);

        await r1.ReleaseAsync();
        await r2.ReleaseAsync();
        await using var write = await writer.WaitAsync(NoHang);
        Assert.Equal(keys[2].CreateRevision, write.FencingToken);
    }

    [Fact]
    public async Task A_key_put_as_the_Go_recipe_puts_it_keeps_Coord_out_as_its_kind_says()
    {
        var name = NewName("go");
        var client = await CreateClientAsync();
        var mutex = EtcdReaderWriterLock.MutexNameOf(EtcdServerFixture.Prefix, name);
        var kv = etcd.Raw.GetConnection().KVClient;

        // A Go reader (recipe.RWMutex.RLock): a valueless key under <mutex>/read on its session lease.
        var goReader = ByteString.CopyFromUtf8($"{mutex}/read/{DateTime.UtcNow.Ticks * 100}");
        await kv.PutAsync(new PutRequest { Key = goReader });
        await using (var read = await client.TryAcquireReadLockAsync(name))
            Assert.NotNull(read);
        Assert.Null(await client.TryAcquireWriteLockAsync(name));
        var writer = client.AcquireWriteLockAsync(name, wait: NoHang);
        await UntilWaitingAsync(name, 1);
        await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = goReader });
        await using (await writer.WaitAsync(NoHang))
        {
            // A Go writer queued behind Coord's writer waits for it, as the recipe's Lock does; a Coord reader after both waits too.
            var goWriter = ByteString.CopyFromUtf8($"{mutex}/write/{DateTime.UtcNow.Ticks * 100}");
            await kv.PutAsync(new PutRequest { Key = goWriter });
            Assert.Null(await client.TryAcquireReadLockAsync(name));
            await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = goWriter });
        }
        await using var after = await client.TryAcquireReadLockAsync(name);
        Assert.NotNull(after);
    }
}
