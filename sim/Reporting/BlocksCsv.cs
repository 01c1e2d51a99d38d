using System.Globalization;
using System.Text;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Reporting;

/// <summary>
/// <c>blocks.csv</c>: one row per block instance: busy, stall and idle cycles (at the block's clock), utilization
/// (busy / elapsed), bytes in and out. Rows in build order; numbers culture-invariant.
/// </summary>
public static class BlocksCsv
{
    public const string Header = "block,kind,busy_cycles,stall_cycles,idle_cycles,utilization,bytes_in,bytes_out";

    public static string Format(StatRegistry stats, ulong elapsedPs)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (BlockActivity b in stats.Blocks)
        {
            ulong busy = Math.Min(b.BusyPs(), elapsedPs);
            ulong stall = Math.Min(b.StallPs(), elapsedPs - busy);
            ulong idle = elapsedPs - busy - stall;
            sb.Append(b.Name).Append(',').Append(b.Kind).Append(',')
                .Append(Cycles(busy, b.ClockHz)).Append(',')
                .Append(Cycles(stall, b.ClockHz)).Append(',')
                .Append(Cycles(idle, b.ClockHz)).Append(',')
                .Append(elapsedPs == 0 ? "0" : ((double)busy / elapsedPs).ToString("0.######", CultureInfo.InvariantCulture)).Append(',')
                .Append(b.BytesIn().ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(b.BytesOut().ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Mean utilization per block kind, in first-seen order (for the console summary).</summary>
    public static List<(string Kind, int Count, double Utilization)> ByKind(StatRegistry stats, ulong elapsedPs)
    {
        var kinds = new List<(string Kind, int Count, double Sum)>();
        foreach (BlockActivity b in stats.Blocks)
        {
            double u = elapsedPs == 0 ? 0 : Math.Min(1.0, (double)b.BusyPs() / elapsedPs);
            int i = kinds.FindIndex(k => k.Kind == b.Kind);
            if (i < 0)
            {
                kinds.Add((b.Kind, 1, u));
            }
            else
            {
                kinds[i] = (b.Kind, kinds[i].Count + 1, kinds[i].Sum + u);
            }
        }

        var result = new List<(string, int, double)>(kinds.Count);
        foreach ((string kind, int count, double sum) in kinds)
        {
            result.Add((kind, count, sum / count));
        }

        return result;
    }

    private static string Cycles(ulong ps, ulong clockHz)
    {
        return ((ulong)((UInt128)ps * clockHz / 1_000_000_000_000UL)).ToString(CultureInfo.InvariantCulture);
    }
}
