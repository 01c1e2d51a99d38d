using System.Globalization;
using System.Text;
using System.Text.Json;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Power;

/// <summary>
/// Energy per action, static and clock power, read from <c>configs/energy/*.json</c>. Every leaf is
/// <c>{ "value": ..., "derived" | "assumed" | "stated": "..." }</c>; picojoules (pJ) unless the name says milliwatts.
/// </summary>
public sealed record EnergyTable
{
    public const string DefaultFileName = "antoum-12nm.json";

    public required double Int8MacPj { get; init; }

    public required double Bf16MacPj { get; init; }

    /// <summary>Index-decode energy per group of <see cref="MacGroupSize"/> issued MACs, per sparse format (nofm, bitmap, csr, blockCsr).</summary>
    public required IReadOnlyDictionary<string, double> SparseDecodePerGroupPj { get; init; }

    public required double MacGroupSize { get; init; }

    public required double L1ReadPerBytePj { get; init; }

    public required double L1WritePerBytePj { get; init; }

    public required double L2ReadPerBytePj { get; init; }

    public required double L2WritePerBytePj { get; init; }

    public required double DramPerBytePj { get; init; }

    /// <summary>Background (standby + controller/PHY static) power of one DRAM interface, mW, whenever powered.</summary>
    public required double DramBackgroundPerInterfaceMilliwatts { get; init; }

    /// <summary>Energy of one all-bank refresh command, nJ.</summary>
    public required double DramRefreshPerCommandNj { get; init; }

    public required double NocPerByteHopPj { get; init; }

    public required double XbarPerBytePj { get; init; }

    public required double PciePerBytePj { get; init; }

    /// <summary>VPU energy per element, per precision (int8, bf16) and op class (add, sub, mul, max, min, relu, copy, scale).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> VpuPerElementPj { get; init; }

    /// <summary>VPU energy per gathered or scattered element.</summary>
    public required double VpuGatherPerElementPj { get; init; }

    /// <summary>Energy per element per SFA function (exp, rsqrt, recip, gelu, sigmoid, tanh, maxPool, avgPool, resize).</summary>
    public required IReadOnlyDictionary<string, double> SfaPerElementPj { get; init; }

    /// <summary>
    /// Efficiency of the on-board conversion from the card's input to the chip and DRAM rails (assumed, a physical
    /// figure); card power = on-board estimate / efficiency.
    /// </summary>
    public required double BoardEfficiency { get; init; }

    /// <summary>
    /// The one card-level calibration term (<c>card.dynamicOverheadFactor</c>): multiplies the energy of every counted
    /// on-chip action (MACs, index decode, L1/L2, NoC/crossbar, VPU, SFA, codec; not DRAM, PCIe, clock or static) for
    /// what the per-operation figures leave out. Fitted by <c>antoum power-fit</c> (rule: <see cref="AnchorTdpFraction"/>).
    /// </summary>
    public double DynamicOverheadFactor { get; init; } = 1.0;

    /// <summary>The rule of the calibration term: the S4 ResNet-50 anchor run draws this fraction of the S4 TDP.</summary>
    public double AnchorTdpFraction { get; init; }

    /// <summary>Video/JPEG decoder energy per decoded pixel (DRAM traffic counted separately).</summary>
    public double CodecPerPixelPj { get; init; }

    public required double ChipLeakageMilliwatts { get; init; }

    public required double GatedResidualFraction { get; init; }

    /// <summary>Clock power of a block kind while clocked (busy or stalled), in mW; "other" for any kind not listed.</summary>
    public required IReadOnlyDictionary<string, double> ClockMilliwatts { get; init; }

    /// <summary>The default table next to the program: <c>configs/energy/antoum-12nm.json</c>.</summary>
    public static string DefaultPath()
    {
        return Path.Combine(Config.ConfigLoader.DefaultConfigsDirectory(), "energy", DefaultFileName);
    }

    public static EnergyTable Load(string? path = null)
    {
        return Parse(File.ReadAllText(path ?? DefaultPath()));
    }

    public static EnergyTable Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        JsonElement e = root.GetProperty("energy");
        JsonElement clock = root.GetProperty("clock");
        var clocks = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (JsonProperty p in clock.EnumerateObject())
        {
            if (p.Name.EndsWith("Milliwatts", StringComparison.Ordinal))
            {
                clocks[p.Name[..^"Milliwatts".Length]] = V(p.Value);
            }
        }

        return new EnergyTable
        {
            Int8MacPj = V(e, "int8MacPj"),
            Bf16MacPj = V(e, "bf16MacPj"),
            SparseDecodePerGroupPj = Map(e.GetProperty("sparseDecodePerGroupPj")),
            MacGroupSize = V(e, "macGroupSize"),
            L1ReadPerBytePj = V(e, "l1ReadPerBytePj"),
            L1WritePerBytePj = V(e, "l1WritePerBytePj"),
            L2ReadPerBytePj = V(e, "l2ReadPerBytePj"),
            L2WritePerBytePj = V(e, "l2WritePerBytePj"),
            DramPerBytePj = V(e, "dramPerBytePj"),
            DramBackgroundPerInterfaceMilliwatts = V(e, "dramBackgroundPerInterfaceMilliwatts"),
            DramRefreshPerCommandNj = V(e, "dramRefreshPerCommandNj"),
            NocPerByteHopPj = V(e, "nocPerByteHopPj"),
            XbarPerBytePj = V(e, "xbarPerBytePj"),
            PciePerBytePj = V(e, "pciePerBytePj"),
            VpuPerElementPj = Nested(e.GetProperty("vpuPerElementPj")),
            VpuGatherPerElementPj = V(e, "vpuGatherPerElementPj"),
            SfaPerElementPj = Map(e.GetProperty("sfaPerElementPj")),
            BoardEfficiency = V(root.GetProperty("card"), "boardEfficiency"),
            DynamicOverheadFactor = root.GetProperty("card").TryGetProperty("dynamicOverheadFactor", out JsonElement f) ? V(f) : 1.0,
            AnchorTdpFraction = root.GetProperty("card").TryGetProperty("anchorTdpFraction", out JsonElement a) ? V(a) : 0,
            CodecPerPixelPj = e.TryGetProperty("codecPerPixelPj", out JsonElement codec) ? V(codec) : 0,
            ChipLeakageMilliwatts = V(root.GetProperty("static"), "chipLeakageMilliwatts"),
            GatedResidualFraction = V(clock, "gatedResidualFraction"),
            ClockMilliwatts = clocks,
        };
    }

    /// <summary>Every <c>{ "value": ... }</c> leaf of an energy file with its provenance label (null when it has none).</summary>
    public static List<(string Path, string? Label)> Provenance(string json)
    {
        var result = new List<(string, string?)>();
        using var doc = JsonDocument.Parse(json);
        Walk(doc.RootElement, string.Empty, result);
        return result;
    }

    private static void Walk(JsonElement el, string path, List<(string, string?)> into)
    {
        if (el.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (el.TryGetProperty("value", out _))
        {
            string? label = null;
            foreach (string k in new[] { "stated", "derived", "assumed", "calibration" })
            {
                if (el.TryGetProperty(k, out JsonElement t) && t.ValueKind == JsonValueKind.String && t.GetString()!.Length > 0)
                {
                    label = k;
                }
            }

            into.Add((path, label));
            return;
        }

        foreach (JsonProperty p in el.EnumerateObject())
        {
            Walk(p.Value, path.Length == 0 ? p.Name : path + "." + p.Name, into);
        }
    }

    private static Dictionary<string, IReadOnlyDictionary<string, double>> Nested(JsonElement obj)
    {
        var map = new Dictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        foreach (JsonProperty p in obj.EnumerateObject())
        {
            map[p.Name] = Map(p.Value);
        }

        return map;
    }

    private static Dictionary<string, double> Map(JsonElement obj)
    {
        var map = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (JsonProperty p in obj.EnumerateObject())
        {
            map[p.Name] = V(p.Value);
        }

        return map;
    }

    private static double V(JsonElement parent, string name)
    {
        return V(parent.GetProperty(name));
    }

    private static double V(JsonElement leaf)
    {
        return leaf.GetProperty("value").GetDouble();
    }
}

/// <summary>
/// Power of a finished run from its statistics: each counted action (<see cref="EnergyCounters"/>: issued MACs per
/// precision, index decodes per sparse format, L1/L2 bytes read and written, DRAM bytes, NoC byte-hops, PCIe bytes, VPU
/// element-ops, SFA elements per function) times its energy; plus clock power of every block while busy or stalled (a
/// gated residual while idle, from <see cref="BlockActivity"/>); plus chip leakage, DRAM background power and DRAM
/// refreshes; everything divided by the board conversion efficiency (assumed). The one card-level calibration term,
/// <see cref="EnergyTable.DynamicOverheadFactor"/>, multiplies the counted on-chip action energies.
/// </summary>
public static class PowerModel
{
    public const string StaticCategory = "static";
    public const string DramBackgroundCategory = "dram.background";
    public const string DramRefreshCategory = "dram.refresh";
    public const string BoardCategory = "board";

    private const double Pj = 1e-12;

    /// <summary>Compatibility overload: one DRAM interface per chip is not assumed; DRAM background is left out.</summary>
    public static PowerReport Estimate(StatRegistry stats, ulong elapsedPs, int chips, int vpuLanes, ulong tdpMilliwatts, long samples, EnergyTable table)
    {
        return Estimate(stats, elapsedPs, new PowerContext(chips, 0, vpuLanes, tdpMilliwatts), samples, table);
    }

    public static PowerReport Estimate(StatRegistry stats, ulong elapsedPs, PowerContext ctx, long samples, EnergyTable table, Reporting.TimelineSampler? timeline = null)
    {
        EnergyCounters counters = EnergyCounters.From(stats);
        var items = new List<EnergyItem>();
        double scaledOnChip = 0;
        for (int i = 0; i < EnergyCounters.Count; i++)
        {
            double raw = counters.Total(i) * EnergyCounters.PjPerUnit(i, table, ctx.VpuLanes) * Pj;
            double scale = Scale(i, table);
            scaledOnChip += raw * (scale - 1.0);
            items.Add(new EnergyItem(EnergyCounters.Name(i), EnergyCounters.BlockClass(i), raw * scale));
        }

        items.Add(new EnergyItem(DramRefreshCategory, "dram", Refreshes(stats, elapsedPs) * table.DramRefreshPerCommandNj * 1e-9));
        var clockByKind = new List<(string Kind, double Joules)>();
        foreach (BlockActivity b in stats.Blocks)
        {
            ulong busy = Math.Min(b.BusyPs(), elapsedPs);
            ulong stall = Math.Min(b.StallPs(), elapsedPs - busy);
            double j = ClockJoules(table, b.Kind, busy + stall, elapsedPs);
            int k = clockByKind.FindIndex(x => x.Kind == b.Kind);
            if (k < 0)
            {
                clockByKind.Add((b.Kind, j));
            }
            else
            {
                clockByKind[k] = (b.Kind, clockByKind[k].Joules + j);
            }
        }

        foreach ((string kind, double j) in clockByKind)
        {
            items.Add(new EnergyItem("clock." + kind, kind, j));
        }

        items.Add(new EnergyItem(StaticCategory, "chip", ctx.Chips * table.ChipLeakageMilliwatts * 1e-3 * elapsedPs * Pj));
        items.Add(new EnergyItem(DramBackgroundCategory, "dram", ctx.DramInterfaces * table.DramBackgroundPerInterfaceMilliwatts * 1e-3 * elapsedPs * Pj));
        double onBoard = 0;
        foreach (EnergyItem i in items)
        {
            onBoard += i.Joules;
        }

        items.Add(new EnergyItem(BoardCategory, "board", onBoard * ((1.0 / table.BoardEfficiency) - 1.0)));
        var report = new PowerReport
        {
            Items = items,
            SecondsSimulated = elapsedPs * Pj,
            Samples = samples,
            TdpWatts = ctx.TdpMilliwatts / 1e3,
            BoardEfficiency = table.BoardEfficiency,
            DynamicOverheadFactor = table.DynamicOverheadFactor,
            UncalibratedJoules = (onBoard - scaledOnChip) / table.BoardEfficiency,
            IdleWatts = IdleWatts(stats, ctx, table),
        };
        double[]? bins = timeline is null ? null : BinWatts(timeline, stats, elapsedPs, ctx, table);
        if (bins is null || bins.Length == 0)
        {
            return report with { PeakWatts = report.AverageWatts };
        }

        int peak = 0;
        for (int i = 1; i < bins.Length; i++)
        {
            if (bins[i] > bins[peak])
            {
                peak = i;
            }
        }

        return report with { PeakWatts = bins[peak], PeakBinStartPs = timeline!.BinStart(peak), PeakBinPs = timeline.BinPs, BinWatts = bins };
    }

    /// <summary>
    /// Per-bin power of a run whose bins do not see all of its counted actions (pipelines: the classifier's counters
    /// are replayed per batch after the run): the energy the bins miss (the run total minus the bins' sum) is placed
    /// in the bins in proportion to the busy time of timeline activity <paramref name="activity"/> (the classifier)
    /// there, or to bin length when it never ran, so the bins again sum to the run total. Returns the report with its
    /// bins and peak.
    /// </summary>
    public static PowerReport PlaceRemainder(PowerReport report, Reporting.TimelineSampler t, int activity)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(t);
        if (report.BinWatts.Count != t.BinCount || t.BinCount == 0)
        {
            return report;
        }

        var spread = new Reporting.TimelineSpread(t);
        double binJoules = 0, weight = 0;
        var w = new double[t.BinCount];
        for (int bin = 0; bin < w.Length; bin++)
        {
            double len = t.BinEnd(bin) - t.BinStart(bin);
            binJoules += report.BinWatts[bin] * len * Pj;
            w[bin] = activity >= 0 && activity < t.Blocks.Count ? spread.Busy(bin, activity) : 0;
            weight += w[bin];
        }

        double missing = report.TotalJoules - binJoules;
        var watts = new double[w.Length];
        int peak = 0;
        for (int bin = 0; bin < w.Length; bin++)
        {
            double len = t.BinEnd(bin) - t.BinStart(bin);
            double share = weight > 0 ? w[bin] / weight : len / (t.BinEnd(w.Length - 1) - t.BinStart(0));
            watts[bin] = len > 0 ? report.BinWatts[bin] + (missing * share / (len * Pj)) : report.BinWatts[bin];
            if (watts[bin] > watts[peak])
            {
                peak = bin;
            }
        }

        return report with { BinWatts = watts, PeakWatts = watts[peak], PeakBinStartPs = t.BinStart(peak), PeakBinPs = t.BinPs };
    }

    /// <summary>
    /// Power of the powered, idle card: chip leakage, DRAM background and every block's gated clock residual, over
    /// the board efficiency (refresh comes on top when the LPDDR4x model runs).
    /// </summary>
    public static double IdleWatts(StatRegistry stats, PowerContext ctx, EnergyTable table)
    {
        double mw = (ctx.Chips * table.ChipLeakageMilliwatts) + (ctx.DramInterfaces * table.DramBackgroundPerInterfaceMilliwatts);
        foreach (BlockActivity b in stats.Blocks)
        {
            mw += ClockMilliwatts(table, b.Kind) * table.GatedResidualFraction;
        }

        return mw * 1e-3 / table.BoardEfficiency;
    }

    /// <summary>
    /// Card power per timeline bin, W: the bin's counted actions and each block's busy and stall time, both moved to
    /// the bins where the operations ran (<see cref="Reporting.TimelineSpread"/>: an operation's energy is spread over
    /// its duration, not booked at its start), clock power while busy or stalled (clocked) and the gated residual for
    /// the rest of the bin, leakage, DRAM background, refresh at the run's mean refresh power, over the board
    /// efficiency. The bins' energies sum to the run total.
    /// </summary>
    public static double[] BinWatts(Reporting.TimelineSampler t, StatRegistry stats, ulong elapsedPs, PowerContext ctx, EnergyTable table)
    {
        var pj = new double[EnergyCounters.Count];
        for (int i = 0; i < pj.Length; i++)
        {
            pj[i] = EnergyCounters.PjPerUnit(i, table, ctx.VpuLanes) * Scale(i, table);
        }

        double refreshWatts = elapsedPs == 0 ? 0 : Refreshes(stats, elapsedPs) * table.DramRefreshPerCommandNj * 1e-9 / (elapsedPs * Pj);
        double constantWatts = ((ctx.Chips * table.ChipLeakageMilliwatts) + (ctx.DramInterfaces * table.DramBackgroundPerInterfaceMilliwatts)) * 1e-3 + refreshWatts;
        var mw = new double[t.Blocks.Count];
        for (int b = 0; b < mw.Length; b++)
        {
            mw[b] = ClockMilliwatts(table, t.Blocks[b].Kind);
        }

        var spread = new Reporting.TimelineSpread(t);
        var watts = new double[t.BinCount];
        for (int bin = 0; bin < watts.Length; bin++)
        {
            double len = t.BinEnd(bin) - t.BinStart(bin);
            double joules = 0;
            for (int i = 0; i < pj.Length; i++)
            {
                joules += spread.Actions(bin, i) * pj[i] * Pj;
            }

            for (int b = 0; b < mw.Length; b++)
            {
                double clocked = spread.Busy(bin, b) + spread.Stall(bin, b);
                joules += mw[b] * 1e-3 * (clocked + (table.GatedResidualFraction * (len - clocked))) * Pj;
            }

            watts[bin] = len > 0 ? ((joules / (len * Pj)) + constantWatts) / table.BoardEfficiency : constantWatts / table.BoardEfficiency;
        }

        return watts;
    }

    /// <summary>The calibration multiplier of a category: the dynamic overhead factor for on-chip actions, else 1.</summary>
    public static double Scale(int category, EnergyTable table) => EnergyCounters.IsOnChip(category) ? table.DynamicOverheadFactor : 1.0;

    private static double ClockMilliwatts(EnergyTable table, string kind) =>
        table.ClockMilliwatts.TryGetValue(kind, out double m) ? m : table.ClockMilliwatts.GetValueOrDefault("other");

    private static double ClockJoules(EnergyTable table, string kind, ulong clockedPs, ulong elapsedPs) =>
        ClockMilliwatts(table, kind) * 1e-3 * (clockedPs + (table.GatedResidualFraction * (elapsedPs - clockedPs))) * Pj;

    private static double Refreshes(StatRegistry stats, ulong elapsedPs)
    {
        double n = 0;
        foreach (Statistic s in stats.All)
        {
            if (s.Name.EndsWith(".dram.device.refreshes", StringComparison.Ordinal))
            {
                n += s switch { Formula f => f.Evaluate(), Counter c => c.Value, _ => 0 };
            }
        }

        return n;
    }
}
