using System.Globalization;

namespace Coord.Stress.Servers;

/// <summary>
/// etcd's Prometheus <c>grpc_server_msg_received_total</c> summed over methods, from its <c>/metrics</c>
/// endpoint on the client URL: unary requests and every message on watch and keep-alive streams.
/// </summary>
public sealed class EtcdMessageCounter(string clientUrl) : IServerCounter
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(clientUrl), Timeout = TimeSpan.FromSeconds(10) };

    public string Kind => "etcd grpc messages";

    public async Task<long> ReadAsync(CancellationToken cancellationToken)
    {
        var text = await _http.GetStringAsync("/metrics", cancellationToken).ConfigureAwait(false);
        double sum = 0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith("grpc_server_msg_received_total{", StringComparison.Ordinal))
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
