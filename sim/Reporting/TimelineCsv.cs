using System.Globalization;
using System.Text;
using Antoum.Sim.Config;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Reporting;

/// <summary>One layer of layers.csv as the plots use it.</summary>
public sealed record LayerPoint(string Layer, double Cycles, double Macs, double DramBytes, string Bottleneck);

/// <summary>A parsed <c>timeline.csv</c>: bin bounds and one value column per utilization or bandwidth series.</summary>
public sealed record TimelineTable(IReadOnlyList<ulong> StartPs, IReadOnlyList<ulong> EndPs, IReadOnlyList<string> Columns, IReadOnlyList<double[]> Values);

/// <summary>
/// <c>timeline.csv</c>: one row per time bin of a <see cref="TimelineSampler"/>: <c>start_ps,end_ps</c>, then
/// <c>util_KIND</c> per block kind (mean over the kind's instances of each instance's busy fraction in the bin; engines
/// book busy time when an operation starts, so it is first moved to the bins where the operation ran, see
/// <see cref="TimelineSpread"/>, and then clamped to [0, 1]), then <c>LEVEL_bytes_per_s</c> per memory level. Lines
/// starting with '#' are comments.
/// </summary>
public static class TimelineCsv
{
    public const string Comment = "# AntoumSim timeline: util_* = mean busy fraction of a block kind per bin, busy time carried from an operation's start over its duration, each instance clamped to [0,1]; *_bytes_per_s = bytes counted in the bin / bin length; power_w = estimated card power in the bin (docs/power.md)\n";

    public static string Format(TimelineSampler t, IReadOnlyList<double>? binWatts = null)
    {
        bool power = binWatts is not null && binWatts.Count == t.BinCount && t.BinCount > 0;
        CultureInfo c = CultureInfo.InvariantCulture;
        var kinds = new List<string>();
        var kindOf = new int[t.Blocks.Count];
        for (int b = 0; b < t.Blocks.Count; b++)
        {
            string k = t.Blocks[b].Kind;
            int i = kinds.IndexOf(k);
            if (i < 0)
            {
                i = kinds.Count;
                kinds.Add(k);
            }

            kindOf[b] = i;
        }

        var counts = new int[kinds.Count];
        foreach (int k in kindOf)
        {
            counts[k]++;
        }

        var sb = new StringBuilder(Comment).Append("start_ps,end_ps");
        foreach (string k in kinds)
        {
            sb.Append(",util_").Append(k);
        }

        foreach (string l in t.Levels)
        {
            sb.Append(',').Append(l).Append("_bytes_per_s");
        }

        if (power)
        {
            sb.Append(",power_w");
        }

        sb.Append('\n');
        var sums = new double[kinds.Count];
        var spread = new TimelineSpread(t);
        for (int bin = 0; bin < t.BinCount; bin++)
        {
            ulong start = t.BinStart(bin);
            ulong end = t.BinEnd(bin);
            double len = end - start;
            sb.Append(start.ToString(c)).Append(',').Append(end.ToString(c));
            Array.Clear(sums);
            for (int b = 0; b < kindOf.Length; b++)
            {
                sums[kindOf[b]] += Math.Clamp(spread.Busy(bin, b) / len, 0.0, 1.0);
            }

            for (int k = 0; k < kinds.Count; k++)
            {
                sb.Append(',').Append((sums[k] / counts[k]).ToString("0.######", c));
            }

            for (int l = 0; l < t.Levels.Count; l++)
            {
                sb.Append(',').Append((t.Bytes(bin, l) * 1e12 / len).ToString("0.###", c));
            }

            if (power)
            {
                sb.Append(',').Append(binWatts![bin].ToString("0.####", c));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Parses <c>timeline.csv</c> text; errors are <see cref="UserInputException"/>s naming the file and line.</summary>
    public static TimelineTable Parse(string text, string fileName)
    {
        string[] lines = text.Split('\n');
        string[]? header = null;
        var starts = new List<ulong>();
        var ends = new List<ulong>();
        var values = new List<double[]>();
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd('\r');
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] cells = line.Split(',');
            if (header is null)
            {
                if (cells.Length < 2 || cells[0] != "start_ps" || cells[1] != "end_ps")
                {
                    throw new UserInputException($"{fileName}:{n + 1}: expected a header starting with start_ps,end_ps");
                }

                header = cells;
                continue;
            }

            if (cells.Length != header.Length)
            {
                throw new UserInputException($"{fileName}:{n + 1}: expected {header.Length} columns, found {cells.Length}");
            }

            if (!ulong.TryParse(cells[0], NumberStyles.None, CultureInfo.InvariantCulture, out ulong s)
                || !ulong.TryParse(cells[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong e) || e <= s)
            {
                throw new UserInputException($"{fileName}:{n + 1}: start_ps and end_ps must be integers with start_ps < end_ps");
            }

            var row = new double[header.Length - 2];
            for (int i = 2; i < cells.Length; i++)
            {
                if (!double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out row[i - 2]) || !double.IsFinite(row[i - 2]))
                {
                    throw new UserInputException($"{fileName}:{n + 1}: column {header[i]}: '{cells[i]}' is not a number");
                }
            }

            starts.Add(s);
            ends.Add(e);
            values.Add(row);
        }

        if (header is null)
        {
            throw new UserInputException($"{fileName}:1: no header line (start_ps,end_ps,...)");
        }

        return new TimelineTable(starts, ends, header[2..], values);
    }

    /// <summary>Parses <c>layers.csv</c> rows (layer, cycles, MACs, DRAM bytes, bottleneck) for the layer plots.</summary>
    public static List<LayerPoint> ParseLayerPoints(string text, string fileName)
    {
        string[] lines = text.Split('\n');
        if (lines.Length == 0 || lines[0].TrimEnd('\r') != LayersCsv.Header)
        {
            throw new UserInputException($"{fileName}:1: expected the header {LayersCsv.Header}");
        }

        string[] header = LayersCsv.Header.Split(',');
        int macsCol = Array.IndexOf(header, "macs"), bytesCol = Array.IndexOf(header, "dram_bytes");
        var rows = new List<LayerPoint>();
        for (int n = 1; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            string[] cells = line.Split(',');
            if (cells.Length != header.Length
                || !double.TryParse(cells[3], NumberStyles.Float, CultureInfo.InvariantCulture, out double cycles)
                || !double.TryParse(cells[macsCol], NumberStyles.Float, CultureInfo.InvariantCulture, out double macs)
                || !double.TryParse(cells[bytesCol], NumberStyles.Float, CultureInfo.InvariantCulture, out double bytes))
            {
                throw new UserInputException($"{fileName}:{n + 1}: expected {header.Length} columns with numeric cycles, macs and dram_bytes");
            }

            rows.Add(new LayerPoint(cells[0], cycles, macs, bytes, cells[^1]));
        }

        return rows;
    }

    /// <summary>Sum of the raw (unclamped) busy ps of every bin for one block.</summary>
    public static ulong BusyTotal(TimelineSampler t, int block)
    {
        ulong sum = 0;
        for (int bin = 0; bin < t.BinCount; bin++)
        {
            sum += t.Busy(bin, block);
        }

        return sum;
    }
}
