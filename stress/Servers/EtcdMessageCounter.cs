using System.Globalization;

namespace Coord.Stress.Servers;

/// <summary>
/// etcd's Prometheus <c>grpc_server_msg_received_total</c> (or, with <paramref name="sent"/>,
/// <c>grpc_server_msg_sent_total</c>) summed over methods, from its <c>/metrics</c> endpoint on the client
/// URL: unary requests (answers) and every message on watch and keep-alive streams, so watch events
/// delivered to clients show among the messages sent.
/// </summary>
public sealed class EtcdMessageCounter(string clientUrl, bool sent = false) : IServerCounter
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(clientUrl), Timeout = TimeSpan.FromSeconds(10) };
    private readonly string _metric = sent ? "grpc_server_msg_sent_total{" : "grpc_server_msg_received_total{";

    /// <summary>Every etcd server counter of the stress runner, for the members at <paramref name="clientUrls"/>.</summary>
    public static IServerCounter[] For(IEnumerable<string> clientUrls)
        => [.. clientUrls.SelectMany(u => new IServerCounter[] { new EtcdMessageCounter(u), new EtcdMessageCounter(u, sent: true) })];

    public string Kind => sent ? "etcd grpc messages out" : "etcd grpc messages in";

    public async Task<long> ReadAsync(CancellationToken cancellationToken)
    {
        var text = await _http.GetStringAsync("/metrics", cancellationToken).ConfigureAwait(false);
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(_metric, StringComparison.Ordinal))
                continue;
            var value = line[(line.LastIndexOf(' ') + 1)..];
            sum += double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
        }
        return (long)sum;
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
