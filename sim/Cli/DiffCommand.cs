using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace Antoum.Sim.Cli;

/// <summary>
/// <c>antoum diff RUN_A RUN_B</c>: what changed between two finished runs — configuration keys (from each folder's
/// config.txt), throughput, per-block-class utilization (blocks.csv), bandwidth and traffic, power (summary.json) — as a
/// table on stdout and a chart of the relative changes (SVG and PNG). Reads only the output folders; simulates nothing.
/// </summary>
internal static class DiffCommand
{
    internal static Command Build(TextWriter stdout)
    {
        var a = new Argument<string>("run-a") { Description = "The first run's output folder (the baseline)." };
        var b = new Argument<string>("run-b") { Description = "The second run's output folder." };
        var chart = new Option<string>("--chart")
        {
            Description = "Base path of the chart of relative changes: writes BASE.svg and BASE.png.",
            DefaultValueFactory = _ => "diff",
        };
        var cmd = new Command("diff", "Compare two finished runs: changed configuration keys, throughput, utilization per block class, bandwidth, power; a table on stdout and a chart (SVG and PNG).")
        {
            a, b, chart,
        };
        cmd.SetAction(parse =>
        {
            string dirA = parse.GetValue(a)!, dirB = parse.GetValue(b)!;
            List<(string Key, string A, string B)> config = ConfigChanges(dirA, dirB);
            List<(string Metric, double A, double B)> metrics = Metrics(dirA, dirB);
            stdout.Write(Table(dirA, dirB, config, metrics));
            string basePath = parse.GetValue(chart)!;
            PlotModel model = Chart(metrics, dirA, dirB);
            OutputFolder.WriteFileAtomically(basePath + ".svg", Encoding.UTF8.GetBytes(Plots.Svg(model)));
            OutputFolder.WriteFileAtomically(basePath + ".png", Plots.Png(model));
            stdout.WriteLine($"chart: {basePath}.svg, {basePath}.png");
            return Program.ExitOk;
        });
        return cmd;
    }

    /// <summary>The rows of the diff table: metric name, value in A, value in B (in a fixed order).</summary>
    internal static List<(string Metric, double A, double B)> Metrics(string dirA, string dirB)
    {
        Dictionary<string, double> ma = Read(dirA), mb = Read(dirB);
        var names = new List<string>();
        foreach (string k in ma.Keys)
        {
            names.Add(k);
        }

        foreach (string k in mb.Keys)
        {
            if (!ma.ContainsKey(k))
            {
                names.Add(k);
            }
        }

        names.Sort(Order);
        var rows = new List<(string, double, double)>();
        foreach (string n in names)
        {
            rows.Add((n, ma.GetValueOrDefault(n, double.NaN), mb.GetValueOrDefault(n, double.NaN)));
        }

        return rows;
    }

    // Results first, then utilization, then power, each alphabetically.
    private static int Order(string x, string y)
    {
        static int Group(string s) => s.StartsWith("results.", StringComparison.Ordinal) ? 0 : s.StartsWith("utilization.", StringComparison.Ordinal) ? 1 : 2;
        int g = Group(x).CompareTo(Group(y));
        return g != 0 ? g : string.CompareOrdinal(x, y);
    }

    private static Dictionary<string, double> Read(string dir)
    {
        string summary = Path.Combine(dir, "summary.json");
        if (!File.Exists(summary))
        {
            throw new UserInputException($"{summary}: not found (expected a finished run's output folder)");
        }

        var m = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(summary));
            JsonElement root = doc.RootElement;
            if (root.TryGetProperty("results", out JsonElement results))
            {
                double seconds = 0;
                foreach (JsonProperty p in results.EnumerateObject())
                {
                    if (p.Value.ValueKind == JsonValueKind.Number)
                    {
                        m["results." + p.Name] = p.Value.GetDouble();
                        if (p.Name == "simulatedTimePs")
                        {
                            seconds = p.Value.GetDouble() / 1e12;
                        }
                    }
                }

                // Mean bandwidth per level for the program/network summaries, which record bytes only.
                foreach (string level in new[] { "dramBytes", "nocBytes", "pcieBytes" })
                {
                    if (seconds > 0 && m.TryGetValue("results." + level, out double bytes))
                    {
                        m["results." + level[..^"Bytes".Length] + "BytesPerSecond"] = bytes / seconds;
                    }
                }
            }

            if (root.TryGetProperty("power", out JsonElement power))
            {
                foreach (string k in new[] { "averageWatts", "peakWatts", "uncalibratedAverageWatts", "dynamicWatts", "staticWatts", "joulesPerSample", "samplesPerSecondPerWatt" })
                {
                    if (power.TryGetProperty(k, out JsonElement v) && v.ValueKind == JsonValueKind.Number)
                    {
                        m["power." + k] = v.GetDouble();
                    }
                }
            }
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{summary}: not valid JSON ({e.Message})");
        }

        string blocks = Path.Combine(dir, "blocks.csv");
        if (File.Exists(blocks))
        {
            var sum = new Dictionary<string, (double Sum, int Count)>(StringComparer.Ordinal);
            string[] lines = File.ReadAllLines(blocks);
            for (int i = 1; i < lines.Length; i++)
            {
                string[] c = lines[i].Split(',');
                if (c.Length < 6 || !double.TryParse(c[5], NumberStyles.Float, CultureInfo.InvariantCulture, out double u))
                {
                    throw new UserInputException($"{blocks}:{i + 1}: expected block,kind,busy,stall,idle,utilization,...");
                }

                (double s, int n) = sum.GetValueOrDefault(c[1]);
                sum[c[1]] = (s + u, n + 1);
            }

            foreach ((string kind, (double s, int n)) in sum)
            {
                m["utilization." + kind] = s / n;
            }
        }

        return m;
    }

    /// <summary>Configuration keys whose values differ, from each folder's config.txt (the resolved tree).</summary>
    internal static List<(string Key, string A, string B)> ConfigChanges(string dirA, string dirB)
    {
        Dictionary<string, string>? a = ConfigValues(dirA), b = ConfigValues(dirB);
        var changes = new List<(string, string, string)>();
        if (a is null || b is null)
        {
            return changes;
        }

        var keys = new SortedSet<string>(a.Keys, StringComparer.Ordinal);
        keys.UnionWith(b.Keys);
        foreach (string k in keys)
        {
            string va = a.GetValueOrDefault(k, "(absent)"), vb = b.GetValueOrDefault(k, "(absent)");
            if (va != vb)
            {
                changes.Add((k, va, vb));
            }
        }

        return changes;
    }

    /// <summary>Flattens config.txt (indented tree, "key = value   [provenance]") into dotted keys.</summary>
    internal static Dictionary<string, string>? ConfigValues(string dir)
    {
        string path = Path.Combine(dir, "config.txt");
        if (!File.Exists(path))
        {
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var stack = new List<string>();
        foreach (string raw in File.ReadAllLines(path))
        {
            if (raw.Length == 0 || raw.StartsWith('#'))
            {
                continue;
            }

            int indent = raw.Length - raw.TrimStart(' ').Length;
            int depth = indent / 2;
            string line = raw.Trim();
            int eq = line.IndexOf(" = ", StringComparison.Ordinal);
            string key = (eq < 0 ? line : line[..eq]).Trim();
            if (stack.Count > depth)
            {
                stack.RemoveRange(depth, stack.Count - depth);
            }

            if (eq < 0)
            {
                stack.Add(key);
                continue;
            }

            string value = line[(eq + 3)..];
            int label = value.LastIndexOf("   [", StringComparison.Ordinal);
            values[string.Join('.', stack.Append(key))] = (label < 0 ? value : value[..label]).Trim();
        }

        return values;
    }

    private static string Table(string dirA, string dirB, List<(string Key, string A, string B)> config, List<(string Metric, double A, double B)> metrics)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"A = {dirA}\nB = {dirB}\n\n");
        if (ConfigValues(dirA) is null || ConfigValues(dirB) is null)
        {
            sb.Append("configuration: config.txt missing in a folder (runs from before it was written); compare summary.json provenance.configHash\n\n");
        }
        else if (config.Count == 0)
        {
            sb.Append("configuration: no key changed\n\n");
        }
        else
        {
            sb.Append(c, $"configuration: {config.Count} key(s) changed\n");
            foreach ((string k, string va, string vb) in config)
            {
                sb.Append(c, $"  {k,-48} {va,20} -> {vb}\n");
            }

            sb.Append('\n');
        }

        sb.Append(c, $"{"metric",-42} {"A",16} {"B",16} {"change",9}\n");
        foreach ((string name, double va, double vb) in metrics)
        {
            sb.Append(c, $"{name,-42} {Num(va),16} {Num(vb),16} {Change(va, vb),9}\n");
        }

        return sb.ToString();
    }

    private static string Num(double v) => double.IsNaN(v) ? "-" : v.ToString(Math.Abs(v) >= 1e6 ? "0.####e+0" : "0.####", CultureInfo.InvariantCulture);

    /// <summary>The change column: "0%" when equal, "0.0%" for a change that rounds to zero (either sign), else signed.</summary>
    internal static string Change(double a, double b) =>
        double.IsNaN(a) || double.IsNaN(b) ? "-" : a == b ? "0%" : a == 0 ? "new" : Math.Round((b - a) / Math.Abs(a) * 100, 1).ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture) + "%";

    private static PlotModel Chart(List<(string Metric, double A, double B)> metrics, string dirA, string dirB)
    {
        var model = new PlotModel { Title = "Change from A to B (%)", Subtitle = "A = " + dirA + ", B = " + dirB, Background = OxyColors.White };
        var axis = new CategoryAxis { Position = AxisPosition.Left, StartPosition = 1, EndPosition = 0, FontSize = 9 };
        var bars = new BarSeries { StrokeThickness = 0, LabelFormatString = "{0:0.#}%", FontSize = 8 };
        foreach ((string name, double a, double b) in metrics)
        {
            if (double.IsNaN(a) || double.IsNaN(b) || a == 0)
            {
                continue;
            }

            double pct = (b - a) / Math.Abs(a) * 100;
            axis.Labels.Add(name);
            bars.Items.Add(new BarItem(pct) { Color = pct >= 0 ? OxyColor.FromRgb(0x2c, 0xa0, 0x2c) : OxyColor.FromRgb(0xd6, 0x27, 0x28) });
        }

        model.Axes.Add(axis);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "change (%)" });
        model.Series.Add(bars);
        return model;
    }
}
