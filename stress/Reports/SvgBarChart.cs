using System.Globalization;
using System.Net;
using System.Text;

namespace Coord.Stress.Reports;

/// <summary>A horizontal bar chart as inline SVG: no script, no fonts or styles fetched, readable offline.</summary>
public static class SvgBarChart
{
    private const int LabelWidth = 230;
    private const int BarArea = 420;
    private const int RowHeight = 22;

    /// <param name="highlight">Bars to draw in the second colour (peers).</param>
    public static string Render(string title, IReadOnlyList<(string Label, double Value, bool Highlight)> bars, Func<double, string> format)
    {
        var max = bars.Count == 0 ? 1 : Math.Max(bars.Max(b => b.Value), 1e-9);
        var height = 30 + bars.Count * RowHeight + 10;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{LabelWidth + BarArea + 110}\" height=\"{height}\" role=\"img\" aria-label=\"{WebUtility.HtmlEncode(title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"18\" font-family=\"sans-serif\" font-size=\"14\" font-weight=\"bold\">{WebUtility.HtmlEncode(title)}</text>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, value, highlight) = bars[i];
            var y = 30 + i * RowHeight;
            var width = double.IsFinite(value) ? Math.Max(1, value / max * BarArea) : 1;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth - 6}\" y=\"{y + 15}\" text-anchor=\"end\" font-family=\"sans-serif\" font-size=\"12\">{WebUtility.HtmlEncode(label)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{LabelWidth}\" y=\"{y + 3}\" width=\"{width:0.#}\" height=\"{RowHeight - 6}\" fill=\"{(highlight ? "#d9822b" : "#2b6cb0")}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{LabelWidth + width + 4:0.#}\" y=\"{y + 15}\" font-family=\"sans-serif\" font-size=\"12\">{WebUtility.HtmlEncode(format(value))}</text>");
        }
        svg.Append("</svg>");
        return svg.ToString();
    }
}
