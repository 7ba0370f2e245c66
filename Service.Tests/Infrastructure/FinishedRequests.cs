using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Coord.Service.Tests.Infrastructure;

/// <summary>
/// The paths of requests whose handling has ended on the service (ASP.NET Core's own "request stopped" diagnostic,
/// written once the pipeline, handler included, has returned), so a test can tell that a server-side handler finished.
/// </summary>
public sealed class FinishedRequests : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private const string Stop = "Microsoft.AspNetCore.Hosting.HttpRequestIn.Stop";

    private readonly ConcurrentQueue<string> _paths = new();
    private readonly List<IDisposable> _subscriptions = [];

    public FinishedRequests()
    {
        lock (_subscriptions)
            _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));
    }

    /// <summary>Polls until a request whose path contains <paramref name="marker"/> has finished (bounded); true when one has.</summary>
    public async Task<bool> FinishedAsync(string marker, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        while (!_paths.Any(p => p.Contains(marker, StringComparison.Ordinal)))
        {
            try
            {
                await Task.Delay(20, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
        return true;
    }

    public bool Finished(string marker) => _paths.Any(p => p.Contains(marker, StringComparison.Ordinal));

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener listener)
    {
        if (listener.Name != "Microsoft.AspNetCore")
            return;
        lock (_subscriptions)
            _subscriptions.Add(listener.Subscribe(this, (name, _, _) => name.StartsWith("Microsoft.AspNetCore.Hosting.HttpRequestIn", StringComparison.Ordinal)));
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == Stop && value.Value is HttpContext http)
            _paths.Enqueue(http.Request.Path.Value ?? "");
    }

    void IObserver<DiagnosticListener>.OnCompleted() { }
    void IObserver<DiagnosticListener>.OnError(Exception error) { }
    void IObserver<KeyValuePair<string, object?>>.OnCompleted() { }
    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error) { }

    public void Dispose()
    {
        lock (_subscriptions)
        {
            foreach (var subscription in _subscriptions)
                subscription.Dispose();
        }
    }
}
