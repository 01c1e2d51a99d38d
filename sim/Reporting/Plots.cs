using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace Antoum.Sim.Reporting;

/// <summary>
/// SVG plots of a finished run, drawn only from its CSV outputs (never from the model): <c>utilization.svg</c> and
/// <c>bandwidth.svg</c> from <c>timeline.csv</c>, <c>layers.svg</c> from <c>layers.csv</c>. The same CSV text
/// always gives the same SVG bytes.
/// </summary>
public static class Plots
{
    private const int Width = 1000;
    private const int Height = 500;

    private static readonly OxyColor[] s_palette =
    [
        OxyColor.FromRgb(0x1f, 0x77, 0xb4), OxyColor.FromRgb(0xff, 0x7f, 0x0e), OxyColor.FromRgb(0x2c, 0xa0, 0x2c),
        OxyColor.FromRgb(0xd6, 0x27, 0x28), OxyColor.FromRgb(0x94, 0x67, 0xbd), OxyColor.FromRgb(0x8c, 0x56, 0x4b),
        OxyColor.FromRgb(0xe3, 0x77, 0xc2), OxyColor.FromRgb(0x7f, 0x7f, 0x7f), OxyColor.FromRgb(0xbc, 0xbd, 0x22),
        OxyColor.FromRgb(0x17, 0xbe, 0xcf),
    ];

    /// <summary>The plots of an output folder's CSV texts: file name → SVG text. <paramref name="layersCsv"/> may be null.</summary>
    public static SortedDictionary<string, string> Render(string timelineCsv, string? layersCsv, string timelineName = "timeline.csv", string layersName = "layers.csv")
    {
        TimelineTable t = TimelineCsv.Parse(timelineCsv, timelineName);
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["utilization.svg"] = Svg(TimeSeries(t, "util_", string.Empty, "Utilization by block kind (busy fraction, clamped to [0,1])", "busy fraction")),
            ["bandwidth.svg"] = Svg(TimeSeries(t, string.Empty, "_bytes_per_s", "Bandwidth by level", "GB/s")),
        };
        if (layersCsv is not null)
        {
            result["layers.svg"] = Svg(Layers(TimelineCsv.ParseLayers(layersCsv, layersName)));
        }

        return result;
    }

    private static PlotModel TimeSeries(TimelineTable t, string prefix, string suffix, string title, string yTitle)
    {
        var model = new PlotModel { Title = title };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "time (µs)" });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = yTitle, Minimum = 0 });
        bool gb = suffix.Length > 0;
        int colour = 0;
        for (int col = 0; col < t.Columns.Count; col++)
        {
            string name = t.Columns[col];
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(suffix, StringComparison.Ordinal) || (gb && name.StartsWith("util_", StringComparison.Ordinal)))
            {
                continue;
            }

            var series = new LineSeries { Title = name[prefix.Length..^suffix.Length], Color = s_palette[colour++ % s_palette.Length], StrokeThickness = 1.5 };
            for (int row = 0; row < t.Values.Count; row++)
            {
                double v = t.Values[row][col] / (gb ? 1e9 : 1.0);
                series.Points.Add(new DataPoint(t.StartPs[row] / 1e6, v));
                series.Points.Add(new DataPoint(t.EndPs[row] / 1e6, v));
            }

            model.Series.Add(series);
        }

        model.Legends.Add(new OxyPlot.Legends.Legend { LegendPosition = OxyPlot.Legends.LegendPosition.RightTop, LegendPlacement = OxyPlot.Legends.LegendPlacement.Outside });
        return model;
    }

    private static PlotModel Layers(List<(string Layer, double Cycles, string Bottleneck)> rows)
    {
        var bottlenecks = new List<string>();
        foreach ((_, _, string b) in rows)
        {
            if (!bottlenecks.Contains(b))
            {
                bottlenecks.Add(b);
            }
        }

        var legend = new StringBuilder();
        for (int i = 0; i < bottlenecks.Count; i++)
        {
            OxyColor c = s_palette[i % s_palette.Length];
            legend.Append(i == 0 ? string.Empty : ", ").Append(bottlenecks[i]).Append(" = #").Append(c.R.ToString("x2", CultureInfo.InvariantCulture))
                .Append(c.G.ToString("x2", CultureInfo.InvariantCulture)).Append(c.B.ToString("x2", CultureInfo.InvariantCulture));
        }

        var model = new PlotModel { Title = "Cycles per layer, coloured by bottleneck", Subtitle = legend.ToString() };
        var categories = new CategoryAxis { Position = AxisPosition.Left, StartPosition = 1, EndPosition = 0, FontSize = 8 };
        var bars = new BarSeries { StrokeThickness = 0 };
        foreach ((string layer, double cycles, string b) in rows)
        {
            categories.Labels.Add(layer);
            bars.Items.Add(new BarItem(cycles) { Color = s_palette[bottlenecks.IndexOf(b) % s_palette.Length] });
        }

        model.Axes.Add(categories);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "cycles", Minimum = 0 });
        model.Series.Add(bars);
        return model;
    }

    private static string Svg(PlotModel model)
    {
        CultureInfo saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            var exporter = new SvgExporter { Width = Width, Height = Height };
            using var stream = new MemoryStream();
            exporter.Export(model, stream);
            return Encoding.UTF8.GetString(stream.ToArray()).TrimStart('\uFEFF');
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }
}
