using System.Globalization;

namespace Coord.Stress.Reports;

/// <summary>Number formatting shared by the report formats (invariant culture, "–" for not measured).</summary>
public static class Numbers
{
    public static string Rate(double? v) => v is { } x ? x.ToString(x >= 100 ? "N0" : "N1", CultureInfo.InvariantCulture) : "–";
    public static string Ms(double? v) => v is { } x ? x.ToString(x >= 100 ? "N0" : x >= 10 ? "N1" : "N2", CultureInfo.InvariantCulture) : "–";
    /// <summary>A ratio to two decimals; one below 0.1 (a wait many times shorter than the peer's) keeps two significant digits and says how many times shorter, <c>0.0042× (1/237)</c>, instead of rounding to 0.00×.</summary>
    public static string Ratio(double? v) => v switch
    {
        null => "–",
        > 0 and < 0.1 and var x => string.Create(CultureInfo.InvariantCulture, $"{x:G2}× (1/{1 / x:0})"),
        var x => x.Value.ToString("0.00", CultureInfo.InvariantCulture) + "×",
    };

    /// <summary>A ratio with the same ratio pass by pass after it when there were several passes: <c>0.89× (passes 0.80, 1.13, 1.08)</c>.</summary>
    public static string Ratio(double? v, IReadOnlyList<double> byPass)
        => byPass.Count > 1 ? $"{Ratio(v)} (passes {string.Join(", ", byPass.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))})" : Ratio(v);
    public static string Index(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "–";
    public static string Per(double? v) => v is { } x ? x.ToString("0.0", CultureInfo.InvariantCulture) : "–";
    public static string Plain(double v) => double.IsNaN(v) ? "–" : v.ToString(Math.Abs(v) >= 100 || v == Math.Floor(v) ? "0" : "0.###", CultureInfo.InvariantCulture);
    /// <summary>Most holders of one name seen at once over what it admits, e.g. <c>4/4</c> for a saturated semaphore of 4 permits.</summary>
    public static string InUse(Engine.LockScenarioStats s) => string.Create(CultureInfo.InvariantCulture, $"{s.PeakInUse}/{s.Permits ?? 1}");
    public static string Csv(double? v) => v is { } x && !double.IsNaN(x) ? x.ToString("0.######", CultureInfo.InvariantCulture) : "";
}
