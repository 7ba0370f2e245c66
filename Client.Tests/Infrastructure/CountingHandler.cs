using System.Collections.Concurrent;

namespace Coord.Client.Tests.Infrastructure;

/// <summary>Counts the requests that reach the wire, by method: placed inside the client's retry handler, it sees every attempt.</summary>
public sealed class CountingHandler(ConcurrentDictionary<HttpMethod, int> counts) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        counts.AddOrUpdate(request.Method, 1, (_, n) => n + 1);
        return base.SendAsync(request, cancellationToken);
    }
}
