using System.CommandLine.Parsing;
using System.Globalization;

namespace Coord.Stress.Cli;

/// <summary>Parsing of option values: durations such as <c>5s</c>, <c>250ms</c>, <c>2m</c>, and comma-separated lists.</summary>
public static class CliValues
{
    public static TimeSpan ParseDuration(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        (string Suffix, double Scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (t.EndsWith(suffix, StringComparison.Ordinal) && double.TryParse(t[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
                return TimeSpan.FromSeconds(n * scale);
        }
        if (TimeSpan.TryParse(t, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
            return span;
        throw new ArgumentException($"'{text}' is not a duration: use a number with ms, s, m or h (e.g. 250ms, 5s, 2m) or hh:mm:ss.");
    }

    public static TimeSpan Duration(ArgumentResult result)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        try
        {
            return ParseDuration(token);
        }
        catch (ArgumentException e)
        {
            result.AddError(e.Message);
            return TimeSpan.Zero;
        }
    }

    public static IReadOnlyList<string> List(string text) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static IReadOnlyList<int> IntList(string text, string option)
    {
        var values = new List<int>();
        foreach (var part in List(text))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < 1)
                throw new ArgumentException($"{option} takes positive whole numbers separated by commas (e.g. 1,32); '{part}' is not one.");
            values.Add(n);
        }
        if (values.Count == 0)
            throw new ArgumentException($"{option} needs at least one number.");
        return values;
    }
}
