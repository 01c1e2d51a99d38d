using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Antoum.Sim.Sweep;

/// <summary>
/// Charts of a sweep.csv (drawn from the CSV only, so the same file always gives the same SVG bytes):
/// <c>pareto-power.svg</c> (throughput vs average power) and <c>pareto-area.svg</c> (throughput vs area proxy) with
/// the Pareto-optimal points of each workload/SKU/batch group marked and joined; and per swept parameter
/// <c>sensitivity-P.svg</c> (throughput vs P, one line per combination of the other parameters) and
/// <c>speedup-P.svg</c> (the same lines divided by their first point's throughput).
/// </summary>
public static class SweepPlots
{
    private const int Width = 1000;
    private const int Height = 560;
    private const int MaxLegendEntries = 16;

    private static readonly OxyColor[] s_palette =
    [
        OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xff, 0x7f, 0x0e), OxyColor.FromRgb(0x2c, 0xa0, 0x2c),
        OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x94, 0x67, 0xbd), OxyColor.FromRgb(0x8c, 0x56, 0x4b),
        OxyColor.FromRgb(0xe3, 0x77, 0xc2), OxyColor.FromRgb(0x7f, 0x7f, 0x7f), OxyColor.FromRgb(0xbc, 0xbd, 0x22),
        OxyColor.FromRgb(0x17, 0xbe, 0xcf),
    ];

    private static readonly MarkerType[] s_markers = [MarkerType.Circle, MarkerType.Square, MarkerType.Triangle, MarkerType.Diamond];

    /// <summary>File name → SVG text for a sweep.csv.</summary>
    public static SortedDictionary<string, string> Render(string csvText, string fileName = "sweep.csv")
    {
        SweepCsv.Table t = SweepCsv.Parse(csvText, fileName);
        int status = t.Column("status");
        if (status < 0 || t.Column("samples_per_s") < 0)
        {
            throw new Config.UserInputException($"{fileName}: not a sweep.csv (no status / samples_per_s columns)");
        }

        var ok = t.Rows.Where(r => r[status] == "ok").ToList();
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["pareto-power.svg"] = Svg(Pareto(t, ok, "power_avg_w", "average power (W)", "Pareto front: throughput vs average power (filled: Pareto-optimal)")),
            ["pareto-area.svg"] = Svg(Pareto(t, ok, "area_proxy", "area proxy (INT8-MAC equivalents)", "Pareto front: throughput vs area proxy (filled: Pareto-optimal)")),
        };
        int first = t.Column("mode") + 1;
        for (int c = first; c < status; c++)
        {
            if (ok.Select(r => r[c]).Distinct(StringComparer.Ordinal).Count() < 2)
            {
                continue;
            }

            string safe = SafeName(t.Header[c]);
            result["sensitivity-" + safe + ".svg"] = Svg(Sensitivity(t, ok, c, speedup: false));
            result["speedup-" + safe + ".svg"] = Svg(Sensitivity(t, ok, c, speedup: true));
        }

        return result;
    }

    private static string SafeName(string s)
    {
        var sb = new StringBuilder();
        foreach (char ch in s)
        {
            sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '-' or '_' ? ch : '_');
        }

        return sb.ToString();
    }

    private static string Group(SweepCsv.Table t, IReadOnlyList<string> r) =>
        $"{r[t.Column("workload")]} {r[t.Column("sku")]} b{r[t.Column("batch")]}";

    /// <summary>Indices of the Pareto-optimal rows among <paramref name="pts"/> (maximise y, minimise x): no other point has
    /// x ≤ and y ≥ with one strict.</summary>
    public static List<int> ParetoFront(IReadOnlyList<(double X, double Y)> pts)
    {
        ArgumentNullException.ThrowIfNull(pts);
        var front = new List<int>();
        for (int i = 0; i < pts.Count; i++)
        {
            bool dominated = false;
            for (int j = 0; j < pts.Count && !dominated; j++)
            {
                dominated = j != i && pts[j].X <= pts[i].X && pts[j].Y >= pts[i].Y && (pts[j].X < pts[i].X || pts[j].Y > pts[i].Y);
            }

            if (!dominated)
            {
                front.Add(i);
            }
        }

        front.Sort((a, b) => pts[a].X != pts[b].X ? pts[a].X.CompareTo(pts[b].X) : pts[a].Y.CompareTo(pts[b].Y));
        return front;
    }

    private static PlotModel Pareto(SweepCsv.Table t, List<IReadOnlyList<string>> ok, string xColumn, string xTitle, string title)
    {
        var model = new PlotModel { Title = title };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = xTitle });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "throughput (samples/s)", Minimum = 0 });
        int x = t.Column(xColumn);
        int y = t.Column("samples_per_s");
        var groups = new List<string>();
        foreach (IReadOnlyList<string> r in ok)
        {
            if (!groups.Contains(Group(t, r)))
            {
                groups.Add(Group(t, r));
            }
        }

        for (int g = 0; g < groups.Count; g++)
        {
            OxyColor colour = s_palette[g % s_palette.Length];
            var pts = ok.Where(r => Group(t, r) == groups[g]).Select(r => (Num(r[x]), Num(r[y]))).ToList();
            var all = new ScatterSeries { Title = groups[g], MarkerType = MarkerType.Circle, MarkerSize = 3, MarkerFill = OxyColors.Undefined, MarkerStroke = colour, MarkerStrokeThickness = 1 };
            foreach ((double px, double py) in pts)
            {
                all.Points.Add(new ScatterPoint(px, py));
            }

            var frontLine = new LineSeries { Title = groups[g] + " Pareto front", Color = colour, StrokeThickness = 1.5, MarkerType = MarkerType.Circle, MarkerSize = 5, MarkerFill = colour };
            foreach (int i in ParetoFront(pts))
            {
                frontLine.Points.Add(new DataPoint(pts[i].Item1, pts[i].Item2));
            }

            model.Series.Add(all);
            model.Series.Add(frontLine);
        }

        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightBottom, LegendPlacement = LegendPlacement.Inside, LegendBackground = OxyColor.FromAColor(220, OxyColors.White), LegendBorder = OxyColors.Gray });
        return model;
    }

    private static PlotModel Sensitivity(SweepCsv.Table t, List<IReadOnlyList<string>> ok, int column, bool speedup)
    {
        string name = t.Header[column];
        int y = t.Column("samples_per_s");
        int status = t.Column("status");
        List<string> values = ok.Select(r => r[column]).Distinct(StringComparer.Ordinal).ToList();
        bool numeric = values.All(v => LeadingNumber(v) is not null);
        if (numeric)
        {
            values.Sort((a, b) => LeadingNumber(a)!.Value.CompareTo(LeadingNumber(b)!.Value));
        }

        var model = new PlotModel
        {
            Title = speedup ? $"Speed-up vs {name} (throughput / the line's first point)" : $"Throughput vs {name}",
            Subtitle = "one line per combination of the other varying columns (workload, SKU, batch, mode, parameters)",
        };
        if (numeric)
        {
            model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = name + (Unit(values[0]) is { Length: > 0 } u ? " (" + u + ")" : string.Empty) });
        }
        else
        {
            var cat = new CategoryAxis { Position = AxisPosition.Bottom, Title = name };
            cat.Labels.AddRange(values);
            model.Axes.Add(cat);
        }

        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = speedup ? "speed-up (x)" : "throughput (samples/s)", Minimum = 0 });
        var lines = new List<string>();
        var members = new List<List<IReadOnlyList<string>>>();
        var varying = new bool[status];
        for (int c = 1; c < status; c++)
        {
            varying[c] = ok.Select(r => r[c]).Distinct(StringComparer.Ordinal).Skip(1).Any();
        }

        foreach (IReadOnlyList<string> r in ok)
        {
            var key = new StringBuilder();
            for (int c = 1; c < status; c++)
            {
                // The line's label names the columns that vary between lines (workload, SKU, ... or other parameters).
                if (c != column && varying[c])
                {
                    key.Append(c <= t.Column("mode") ? string.Empty : t.Header[c] + "=").Append(r[c]).Append(' ');
                }
            }

            string k = key.Length == 0 ? "all points" : key.ToString().TrimEnd();
            int i = lines.IndexOf(k);
            if (i < 0)
            {
                lines.Add(k);
                members.Add([]);
                i = lines.Count - 1;
            }

            members[i].Add(r);
        }

        for (int l = 0; l < lines.Count; l++)
        {
            var series = new LineSeries
            {
                Title = l < MaxLegendEntries ? lines[l] : null,
                Color = s_palette[l % s_palette.Length],
                StrokeThickness = 1.5,
                // Colours repeat after 10 lines; the marker shape changes with each round, so lines stay apart.
                MarkerType = s_markers[l / s_palette.Length % s_markers.Length],
                MarkerSize = 3.5,
                MarkerFill = s_palette[l % s_palette.Length],
                LineStyle = l / s_palette.Length % 2 == 0 ? LineStyle.Solid : LineStyle.Dash,
            };
            var sorted = members[l].OrderBy(r => values.IndexOf(r[column])).ToList();
            double baseline = Num(sorted[0][y]);
            foreach (IReadOnlyList<string> r in sorted)
            {
                double xv = numeric ? LeadingNumber(r[column])!.Value : values.IndexOf(r[column]);
                double v = Num(r[y]);
                series.Points.Add(new DataPoint(xv, speedup ? (baseline > 0 ? v / baseline : 0) : v));
            }

            model.Series.Add(series);
        }

        model.Legends.Add(new Legend { LegendPosition = LegendPosition.LeftTop, LegendPlacement = LegendPlacement.Inside, LegendFontSize = 10, LegendBackground = OxyColor.FromAColor(220, OxyColors.White), LegendBorder = OxyColors.Gray });
        return model;
    }

    private static double Num(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : 0;

    /// <summary>The number a value starts with ("41GB/s" → 41, "87.5%" → 87.5, "8x" → 8); null for "16x32", "csr".</summary>
    public static double? LeadingNumber(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] is '.' or '-' or '+' || (i > 0 && s[i] is 'e' or 'E' && i + 1 < s.Length && (char.IsAsciiDigit(s[i + 1]) || s[i + 1] is '-' or '+'))))
        {
            i++;
        }

        if (i == 0 || !double.TryParse(s.AsSpan(0, i), NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
        {
            return null;
        }

        string unit = s[i..];
        return unit.Any(char.IsAsciiDigit) ? null : v;
    }

    private static string Unit(string s)
    {
        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] is '.' or '-' or '+'))
        {
            i++;
        }

        return s[i..];
    }

    private static string Svg(PlotModel model)
    {
        model.Background = OxyColors.White;
        model.Padding = new OxyThickness(8, 16, 8, 8);
        return Reporting.Plots.Svg(model, Width, Height);
    }
}
