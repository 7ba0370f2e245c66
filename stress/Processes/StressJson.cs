using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coord.Stress.Processes;

/// <summary>JSON settings shared by worker files and the JSON report.</summary>
public static class StressJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };
}
