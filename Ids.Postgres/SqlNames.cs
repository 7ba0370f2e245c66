using System.Text.RegularExpressions;

namespace Coord.Ids;

/// <summary>Table names go into SQL text, so only plain (optionally schema-qualified) identifiers pass.</summary>
internal static partial class SqlNames
{
    public static void ValidateTableName(string name, string setting)
    {
        if (name is null || !Identifier().IsMatch(name))
            throw new ArgumentException($"{setting} must be a plain SQL identifier such as 'leaf_alloc' or 'ids.leaf_alloc' (letters, digits, underscores, up to 63 each), not '{name}'.");
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$")]
    private static partial Regex Identifier();
}
