using System.Globalization;
using System.Text;
using System.Text.Json;
using Antoum.Sim.Config;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace Antoum.Sim.Reporting;

/// <summary>The text of a finished run's output files that the plots are drawn from (null when a file is absent).</summary>
public sealed record PlotInputs(string TimelineCsv, string? LayersCsv = null, string? PowerCsv = null, string? SummaryJson = null)
{
    public string TimelineName { get; init; } = "timeline.csv";

    public string LayersName { get; init; } = "layers.csv";

    public string PowerName { get; init; } = "power.csv";

    public string SummaryName { get; init; } = "summary.json";

    /// <summary>Reads the inputs of an output folder (timeline.csv must exist).</summary>
    public static PlotInputs FromFolder(string dir)
    {
        string timeline = Path.Combine(dir, "timeline.csv");
        if (!File.Exists(timeline))
        {
            throw new UserInputException($"{timeline}: not found (run 'antoum run' first; every run path writes timeline.csv)");
        }

        string? Read(string name) => File.Exists(Path.Combine(dir, name)) ? File.ReadAllText(Path.Combine(dir, name)) : null;
        return new PlotInputs(File.ReadAllText(timeline), Read("layers.csv"), Read("power.csv"), Read("summary.json"))
        {
            TimelineName = timeline,
            LayersName = Path.Combine(dir, "layers.csv"),
            PowerName = Path.Combine(dir, "power.csv"),
            SummaryName = Path.Combine(dir, "summary.json"),
        };
    }
}

/// <summary>
/// Plots of a finished run, drawn only from its output files (never from the model), each as SVG (OxyPlot's SVG
/// exporter) and PNG (OxyPlot.SkiaSharp, headless): utilization stacked per block class, bandwidth per level and power
/// over time from <c>timeline.csv</c>; energy by block class from <c>power.csv</c>; cycles per layer coloured by
/// bottleneck and a roofline per layer from <c>layers.csv</c> with the roofs of <c>summary.json</c>. The same inputs
/// always give the same bytes.
/// </summary>
public static class Plots
{
    public const int Width = 1000;
    public const int Height = 500;

    private static readonly OxyColor[] s_palette =
    [
        OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xff, 0x7f, 0x0e), OxyColor.FromRgb(0x2c, 0xa0, 0x2c),
        OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x94, 0x67, 0xbd), OxyColor.FromRgb(0x8c, 0x56, 0x4b),
        OxyColor.FromRgb(0xe3, 0x77, 0xc2), OxyColor.FromRgb(0x7f, 0x7f, 0x7f), OxyColor.FromRgb(0xbc, 0xbd, 0x22),
        OxyColor.FromRgb(0x17, 0xbe, 0xcf),
    ];

    /// <summary>The chart models of a run, by base name (no extension), in a fixed order.</summary>
    public static List<(string Name, string Title, PlotModel Model)> Models(PlotInputs input)
    {
        TimelineTable t = TimelineCsv.Parse(input.TimelineCsv, input.TimelineName);
        SummaryFacts facts = SummaryFacts.Parse(input.SummaryJson, input.SummaryName);
        var result = new List<(string, string, PlotModel)>
        {
            ("utilization", "Utilization", Utilization(t)),
            ("bandwidth", "Bandwidth", TimeSeries(t, string.Empty, "_bytes_per_s", "Bandwidth by level", "GB/s", 1e9)),
        };
        if (t.Columns.Contains("power_w"))
        {
            result.Add(("power", "Power over time", PowerOverTime(t, facts)));
        }

        if (input.PowerCsv is not null)
        {
            result.Add(("power-breakdown", "Energy by block class", PowerBreakdown(input.PowerCsv, input.PowerName)));
        }

        if (input.LayersCsv is not null)
        {
            List<LayerPoint> layers = TimelineCsv.ParseLayerPoints(input.LayersCsv, input.LayersName);
            result.Add(("layers", "Cycles per layer", Layers(layers)));
            if (facts.PeakOpsPerSecond > 0 && facts.ClockHz > 0)
            {
                result.Add(("roofline", "Roofline per layer", Roofline(layers, facts)));
            }
        }

        return result;
    }

    /// <summary>Every plot as <c>NAME.svg</c> (UTF-8 text) and <c>NAME.png</c>: file name → bytes.</summary>
    public static SortedDictionary<string, byte[]> Render(PlotInputs input, bool png = true)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach ((string name, _, PlotModel model) in Models(input))
        {
            files[name + ".svg"] = Encoding.UTF8.GetBytes(Svg(model));
            if (png)
            {
                files[name + ".png"] = Png(model);
            }
        }

        return files;
    }

    /// <summary>
    /// Everything <c>--plots</c> and <c>antoum plot</c> write, by path relative to the output folder:
    /// <c>plots/NAME.svg</c>, <c>plots/NAME.png</c> and <c>report.html</c>.
    /// </summary>
    public static SortedDictionary<string, byte[]> RenderFolder(PlotInputs input)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        var charts = new List<(string, string, string)>();
        foreach ((string name, string title, PlotModel model) in Models(input))
        {
            string svg = Svg(model);
            charts.Add((name, title, svg));
            files["plots/" + name + ".svg"] = Encoding.UTF8.GetBytes(svg);
            files["plots/" + name + ".png"] = Png(model);
        }

        files["report.html"] = Encoding.UTF8.GetBytes(ReportHtml.Build(input, charts));
        return files;
    }

    /// <summary>SVG text of a chart (invariant culture, no BOM).</summary>
    public static string Svg(PlotModel model) => Svg(model, Width, Height);

    /// <summary>SVG text of a chart of the given size in pixels (invariant culture, no BOM).</summary>
    public static string Svg(PlotModel model, int width, int height)
    {
        CultureInfo saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            var exporter = new SvgExporter { Width = width, Height = height };
            using var stream = new MemoryStream();
            exporter.Export(model, stream);
            return Encoding.UTF8.GetString(stream.ToArray()).TrimStart('\uFEFF');
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    /// <summary>PNG bytes of a chart (Skia, headless).</summary>
    public static byte[] Png(PlotModel model)
    {
        CultureInfo saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            var exporter = new OxyPlot.SkiaSharp.PngExporter { Width = Width, Height = Height };
            using var stream = new MemoryStream();
            exporter.Export(model, stream);
            return stream.ToArray();
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    private static PlotModel NewModel(string title, string? subtitle = null)
    {
        var model = new PlotModel { Title = title, Subtitle = subtitle, Background = OxyColors.White };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside });
        return model;
    }

    private static PlotModel Utilization(TimelineTable t)
    {
        PlotModel model = NewModel("Utilization by block class (stacked mean busy fraction per class)");
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "time (µs)" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "busy fraction, stacked (each class ≤ 1)", Minimum = 0 });
        var below = new double[t.Values.Count];
        int colour = 0;
        for (int col = 0; col < t.Columns.Count; col++)
        {
            string name = t.Columns[col];
            if (!name.StartsWith("util_", StringComparison.Ordinal))
            {
                continue;
            }

            OxyColor c = s_palette[colour++ % s_palette.Length];
            var area = new AreaSeries { Title = name["util_".Length..], Color = c, Fill = OxyColor.FromAColor(160, c), StrokeThickness = 1 };
            for (int row = 0; row < t.Values.Count; row++)
            {
                double top = below[row] + t.Values[row][col];
                area.Points.Add(new DataPoint(t.StartPs[row] / 1e6, top));
                area.Points.Add(new DataPoint(t.EndPs[row] / 1e6, top));
                area.Points2.Add(new DataPoint(t.StartPs[row] / 1e6, below[row]));
                area.Points2.Add(new DataPoint(t.EndPs[row] / 1e6, below[row]));
                below[row] = top;
            }

            model.Series.Add(area);
        }

        return model;
    }

    private static PlotModel TimeSeries(TimelineTable t, string prefix, string suffix, string title, string yTitle, double scale)
    {
        PlotModel model = NewModel(title);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "time (µs)" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = yTitle, Minimum = 0 });
        int colour = 0;
        for (int col = 0; col < t.Columns.Count; col++)
        {
            string name = t.Columns[col];
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal) || name.StartsWith("util_", StringComparison.Ordinal) || name == "power_w")
            {
                continue;
            }

            model.Series.Add(Steps(t, col, name[prefix.Length..^suffix.Length], s_palette[colour++ % s_palette.Length], scale));
        }

        return model;
    }

    private static LineSeries Steps(TimelineTable t, int col, string title, OxyColor colour, double scale)
    {
        var series = new LineSeries { Title = title, Color = colour, StrokeThickness = 1.5 };
        for (int row = 0; row < t.Values.Count; row++)
        {
            double v = t.Values[row][col] / scale;
            series.Points.Add(new DataPoint(t.StartPs[row] / 1e6, v));
            series.Points.Add(new DataPoint(t.EndPs[row] / 1e6, v));
        }

        return series;
    }

    private static PlotModel PowerOverTime(TimelineTable t, SummaryFacts facts)
    {
        int col = t.Columns.ToList().IndexOf("power_w");
        PlotModel model = NewModel("Estimated card power per time bin", facts.AverageWatts > 0
            ? string.Create(CultureInfo.InvariantCulture, $"average {facts.AverageWatts:0.00} W, TDP {facts.TdpWatts:0.#} W (docs/power.md)")
            : null);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "time (µs)" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "W", Minimum = 0 });
        model.Series.Add(Steps(t, col, "power", s_palette[3], 1.0));
        if (t.Values.Count > 0)
        {
            double x0 = t.StartPs[0] / 1e6, x1 = t.EndPs[^1] / 1e6;
            if (facts.AverageWatts > 0)
            {
                model.Series.Add(new LineSeries { Title = "average", Color = s_palette[0], LineStyle = LineStyle.Dash, Points = { new DataPoint(x0, facts.AverageWatts), new DataPoint(x1, facts.AverageWatts) } });
            }

            if (facts.TdpWatts > 0)
            {
                model.Series.Add(new LineSeries { Title = "TDP", Color = s_palette[7], LineStyle = LineStyle.Dot, Points = { new DataPoint(x0, facts.TdpWatts), new DataPoint(x1, facts.TdpWatts) } });
            }
        }

        return model;
    }

    private static PlotModel PowerBreakdown(string csv, string fileName)
    {
        var classes = new List<(string Class, double Joules)>();
        string[] lines = csv.Split('\n');
        if (lines.Length == 0 || lines[0].TrimEnd('\r') != "category,block_class,energy_j,share")
        {
            throw new UserInputException($"{fileName}:1: expected the header category,block_class,energy_j,share");
        }

        for (int n = 1; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            string[] cells = line.Split(',');
            if (cells.Length != 4 || !double.TryParse(cells[2], NumberStyles.Float, CultureInfo.InvariantCulture, out double j))
            {
                throw new UserInputException($"{fileName}:{n + 1}: expected category,block_class,energy_j,share with a numeric energy");
            }

            int k = classes.FindIndex(c => c.Class == cells[1]);
            if (k < 0)
            {
                classes.Add((cells[1], j));
            }
            else
            {
                classes[k] = (cells[1], classes[k].Joules + j);
            }
        }

        double total = 0;
        foreach ((_, double j) in classes)
        {
            total += j;
        }

        PlotModel model = NewModel("Energy by block class", string.Create(CultureInfo.InvariantCulture, $"total {total * 1e3:0.###} mJ"));
        var axis = new CategoryAxis { Position = AxisPosition.Left, StartPosition = 1, EndPosition = 0 };
        var bars = new BarSeries { StrokeThickness = 0, LabelFormatString = "{0:0.###} mJ", FontSize = 9 };
        for (int i = 0; i < classes.Count; i++)
        {
            axis.Labels.Add(classes[i].Class);
            bars.Items.Add(new BarItem(classes[i].Joules * 1e3) { Color = s_palette[i % s_palette.Length] });
        }

        model.Axes.Add(axis);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "energy (mJ)", Minimum = 0 });
        model.Series.Add(bars);
        return model;
    }

    private static PlotModel Layers(List<LayerPoint> rows)
    {
        var bottlenecks = new List<string>();
        foreach (LayerPoint r in rows)
        {
            if (!bottlenecks.Contains(r.Bottleneck))
            {
                bottlenecks.Add(r.Bottleneck);
            }
        }

        var legend = new StringBuilder();
        for (int i = 0; i < bottlenecks.Count; i++)
        {
            OxyColor c = s_palette[i % s_palette.Length];
            legend.Append(i == 0 ? string.Empty : ", ").Append(bottlenecks[i]).Append(" = #").Append(c.R.ToString("x2", CultureInfo.InvariantCulture))
                .Append(c.G.ToString("x2", CultureInfo.InvariantCulture)).Append(c.B.ToString("x2", CultureInfo.InvariantCulture));
        }

        var model = new PlotModel { Title = "Cycles per layer, coloured by bottleneck", Subtitle = legend.ToString(), Background = OxyColors.White };
        var categories = new CategoryAxis { Position = AxisPosition.Left, StartPosition = 1, EndPosition = 0, FontSize = 8 };
        var bars = new BarSeries { StrokeThickness = 0 };
        foreach (LayerPoint r in rows)
        {
            categories.Labels.Add(r.Layer);
            bars.Items.Add(new BarItem(r.Cycles) { Color = s_palette[bottlenecks.IndexOf(r.Bottleneck) % s_palette.Length] });
        }

        model.Axes.Add(categories);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "cycles", Minimum = 0 });
        model.Series.Add(bars);
        return model;
    }

    /// <summary>
    /// Roofline: per layer with MACs, DRAM bytes and time, attained ops/s (2 × MACs / layer time) against operational
    /// intensity (2 × MACs / DRAM bytes), under the roofs min(peak ops/s, DRAM bandwidth × intensity).
    /// </summary>
    private static PlotModel Roofline(List<LayerPoint> rows, SummaryFacts facts)
    {
        var points = new List<(double X, double Y, string Bottleneck)>();
        int skipped = 0;
        foreach (LayerPoint r in rows)
        {
            if (r.Macs <= 0 || r.DramBytes <= 0 || r.Cycles <= 0)
            {
                skipped++;
                continue;
            }

            double ops = 2.0 * r.Macs;
            points.Add((ops / r.DramBytes, ops / (r.Cycles / facts.ClockHz), r.Bottleneck));
        }

        double ridge = facts.PeakOpsPerSecond / facts.DramBytesPerSecond;
        double xMin = ridge / 100, xMax = ridge * 100;
        foreach ((double x, _, _) in points)
        {
            xMin = Math.Min(xMin, x / 2);
            xMax = Math.Max(xMax, x * 2);
        }

        PlotModel model = NewModel("Roofline per layer (DRAM)", string.Create(CultureInfo.InvariantCulture,
            $"compute roof {facts.PeakOpsPerSecond / 1e12:0.##} TOPS, DRAM roof {facts.DramBytesPerSecond / 1e9:0.#} GB/s; {points.Count} layers shown, {skipped} without MACs or DRAM bytes left out"));
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Title = "operational intensity (ops per DRAM byte)", Minimum = xMin, Maximum = xMax });
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Left, Title = "attained ops/s" });
        var roof = new LineSeries { Title = "roof", Color = OxyColors.Black, StrokeThickness = 2 };
        roof.Points.Add(new DataPoint(xMin, facts.DramBytesPerSecond * xMin));
        roof.Points.Add(new DataPoint(ridge, facts.PeakOpsPerSecond));
        roof.Points.Add(new DataPoint(xMax, facts.PeakOpsPerSecond));
        model.Series.Add(roof);
        var byBottleneck = new List<ScatterSeries>();
        foreach ((double x, double y, string b) in points)
        {
            ScatterSeries? s = byBottleneck.Find(v => v.Title == b);
            if (s is null)
            {
                s = new ScatterSeries { Title = b, MarkerType = MarkerType.Circle, MarkerSize = 3, MarkerFill = s_palette[byBottleneck.Count % s_palette.Length] };
                byBottleneck.Add(s);
                model.Series.Add(s);
            }

            s.Points.Add(new ScatterPoint(x, y));
        }

        return model;
    }
}

/// <summary>The figures of summary.json the plots and the report use (zero when absent).</summary>
public sealed record SummaryFacts(double ClockHz, double PeakOpsPerSecond, double DramBytesPerSecond, double AverageWatts, double TdpWatts)
{
    public static SummaryFacts Parse(string? json, string fileName)
    {
        if (json is null)
        {
            return new SummaryFacts(0, 0, 0, 0, 0);
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            JsonElement root = doc.RootElement;
            double Num(string obj, string name) =>
                root.TryGetProperty(obj, out JsonElement o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : 0;
            double peak = 0, bw = 0;
            if (root.TryGetProperty("results", out JsonElement r) && r.ValueKind == JsonValueKind.Object && r.TryGetProperty("roofs", out JsonElement roofs))
            {
                peak = roofs.GetProperty("peakOpsPerSecond").GetDouble();
                bw = roofs.GetProperty("dramBytesPerSecond").GetDouble();
            }

            return new SummaryFacts(Num("results", "clockHz"), peak, bw, Num("power", "averageWatts"), Num("power", "tdpWatts"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new UserInputException($"{fileName}: not a readable AntoumSim summary.json ({e.Message})");
        }
    }
}
