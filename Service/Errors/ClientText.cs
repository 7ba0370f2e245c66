using System.Text.Json;
using System.Text.RegularExpressions;

namespace Coord.Service.Errors;

/// <summary>
/// Framework messages reworded for API clients: they name parameters and JSON paths, never .NET
/// types (<c>System.Nullable`1[System.Int64]</c>, the service's own body classes), which mean nothing to a
/// client and say more about the server than it needs to know.
/// </summary>
public static partial class ClientText
{
    /// <summary>A JSON error as "what is wrong at which path", in JSON's words.</summary>
    public static string JsonError(JsonException json)
    {
        var path = string.IsNullOrEmpty(json.Path) ? "$" : json.Path;
        var message = json.Message;
        if (UnknownMember().Match(message) is { Success: true } unknown)
            return $"the property '{unknown.Groups["name"].Value}' is not accepted here (see /openapi/v1.json for the fields of this body).";
        if (ConversionTarget().Match(message) is { Success: true } conversion)
            return $"the value at {path} must be {JsonKind(conversion.Groups["type"].Value)}.";
        return WithoutTypeNames(message);
    }

    /// <summary>Drops the .NET type from framework phrases such as <c>parameter "int count"</c>; anything else that still names a type is replaced.</summary>
    public static string WithoutTypeNames(string message)
    {
        var cleaned = TypedParameter().Replace(message, "parameter \"${name}\"");
        return TypeName().IsMatch(cleaned) ? "The request could not be read; see /openapi/v1.json for what this endpoint accepts." : cleaned;
    }

    private static string JsonKind(string dotNetType) => dotNetType switch
    {
        var t when t.Contains("Int", StringComparison.Ordinal) || t.Contains("Decimal", StringComparison.Ordinal) => "a whole number",
        var t when t.Contains("Double", StringComparison.Ordinal) || t.Contains("Single", StringComparison.Ordinal) => "a number",
        var t when t.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        var t when t.Contains("String", StringComparison.Ordinal) => "a string",
        var t when t.Contains("[]", StringComparison.Ordinal) || t.Contains("List", StringComparison.Ordinal) => "an array",
        _ => "a JSON object with the documented fields",
    };

    [GeneratedRegex(@"The JSON property '(?<name>[^']*)' could not be mapped", RegexOptions.CultureInvariant)]
    private static partial Regex UnknownMember();

    [GeneratedRegex(@"could not be converted to (?<type>\S+)", RegexOptions.CultureInvariant)]
    private static partial Regex ConversionTarget();

    [GeneratedRegex(@"parameter ""[^""]*?\s(?<name>\w+)""", RegexOptions.CultureInvariant)]
    private static partial Regex TypedParameter();

    [GeneratedRegex(@"\b(System|Microsoft|Coord)\.[A-Z]|`\d|\bNullable\b", RegexOptions.CultureInvariant)]
    private static partial Regex TypeName();
}
