using System.Text;
using System.Text.Json;

namespace Coord.Service.Tests.Infrastructure;

/// <summary>Reads a text/event-stream response as the test needs it: each event's name, id and data, and the comments between them.</summary>
public sealed class EventStreamReader(Stream body) : IDisposable
{
    private readonly StreamReader _reader = new(body, Encoding.UTF8);

    /// <summary>One event, or a comment (<see cref="Comment"/> set, the rest null).</summary>
    public sealed record Item(string? Event, string? Id, string? Data, string? Comment)
    {
        public ElectionApi.Leader Leader => JsonSerializer.Deserialize<ElectionApi.Leader>(Data!, JsonSerializerOptions.Web)!;
    }

    /// <summary>The next event or comment; null when the stream ended. Bounded by <paramref name="within"/>.</summary>
    public async Task<Item?> NextAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        string? name = null, id = null;
        StringBuilder? data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(timeout.Token);
            if (line is null)
                return null;
            if (line.Length == 0)
            {
                if (name is null && id is null && data is null)
                    continue;
                return new Item(name ?? "message", id, data?.ToString(), null);
            }
            if (line.StartsWith(':'))
            {
                // The blank line after it is skipped by the next call, as a line with nothing gathered.
                if (name is null && id is null && data is null)
                    return new Item(null, null, null, line[1..].Trim());
                continue;
            }
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event":
                    name = value;
                    break;
                case "id":
                    id = value;
                    break;
                case "data":
                    data = data is null ? new StringBuilder(value) : data.Append('\n').Append(value);
                    break;
            }
        }
    }

    /// <summary>The next event, skipping comments.</summary>
    public async Task<Item?> NextEventAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            var item = await NextAsync(left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1));
            if (item is null || item.Comment is null)
                return item;
        }
    }

    public void Dispose() => _reader.Dispose();
}
