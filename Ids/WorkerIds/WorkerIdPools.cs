using System.Text.RegularExpressions;

namespace Coord.Ids.WorkerIds;

/// <summary>A pool name becomes part of a key or node path, so only characters that cannot change its structure pass.</summary>
internal static partial class WorkerIdPools
{
    public static void Validate(string pool, string setting)
    {
        if (pool is null || !Name().IsMatch(pool))
            throw new ArgumentException($"{setting} must be 1 to 128 letters, digits, '.', '_' or '-' (not '.' or '..'); '{pool}' is not.");
    }

    [GeneratedRegex(@"^(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex Name();
}
