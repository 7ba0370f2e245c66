using System.Net;
using System.Text.Json;

namespace Coord.Client.Internal;

/// <summary>The parts of a problem+json answer a client acts on.</summary>
internal sealed record ServiceProblem(HttpStatusCode Status, string? Code, string? Detail, int? ActiveMaxCount = null)
{
    public static async Task<ServiceProblem> ReadAsync(HttpResponseMessage answer, CancellationToken cancellationToken)
    {
        string? code = null, detail = null;
        int? activeMaxCount = null;
        try
        {
            var body = await answer.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > 0)
            {
                using var document = JsonDocument.Parse(body);
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    if (document.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String)
                        code = c.GetString();
                    if (document.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String)
                        detail = d.GetString();
                    if (document.RootElement.TryGetProperty("activeMaxCount", out var a) && a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out var active))
                        activeMaxCount = active;
                }
            }
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's error page); the status says enough.
        }
        return new ServiceProblem(answer.StatusCode, code, detail, activeMaxCount);
    }

    public string Describe() => $"{(int)Status} {Code ?? Status.ToString()}{(Detail is null ? "" : ": " + Detail)}";
}
