using Coord.Locks.Etcd;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Coord.Locks.Tests.Etcd;

/// <summary>The etcd lock clients one test made, each standing in for a separate process; disposed together when the test ends.</summary>
internal sealed class EtcdTestClients(ITestOutputHelper? output = null) : IAsyncDisposable
{
    private readonly List<EtcdLock> _clients = [];

    public EtcdLock Create(IEnumerable<string> endpoints, string prefix = EtcdServerFixture.Prefix, TimeSpan? connectTimeout = null)
    {
        var client = new EtcdLock(
            new EtcdLockOptions { Endpoints = [.. endpoints], Prefix = prefix, ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(5) },
            output is null ? null : new OutputLogger(output));
        lock (_clients)
            _clients.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        EtcdLock[] clients;
        lock (_clients)
            clients = [.. _clients];
        foreach (var client in clients)
            await client.DisposeAsync();
    }

    /// <summary>Shows the backend's warnings (failed renewals and releases) in the test's output.</summary>
    private sealed class OutputLogger(ITestOutputHelper output) : ILogger<EtcdLock>
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            try
            {
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel}: {formatter(state, exception)} {exception?.GetType().Name} {exception?.Message}");
            }
            catch (InvalidOperationException)
            {
                // The test has ended; its output is closed.
            }
        }
    }
}
