using System.Globalization;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Power;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Sweep;

/// <summary>
/// Runs one sweep point in process, the way <c>antoum run --workload</c> does (load the SKU config with the point's
/// overrides, compile, simulate, estimate power) and turns the result into one <c>sweep.csv</c> row. A point that
/// cannot run — a value the config rejects, a graph the compiler cannot fit (e.g. a tile no longer fits L1), a
/// deadlock or an event limit — becomes an <c>infeasible</c> row with the reason; it never stops the sweep.
/// </summary>
public sealed class SweepEvaluator
{
    /// <summary>Result columns after the point's identity and parameters (see docs/sweeps.md for each).</summary>
    public static IReadOnlyList<string> ResultColumns { get; } = BuildResultColumns();

    private static readonly string[] s_kinds = Enum.GetNames<EngineKind>().Select(n => n.ToLowerInvariant()).ToArray();

    private readonly SweepSpec _spec;
    private readonly CompileCache? _cache;
    private readonly EnergyTable _energy;

    public SweepEvaluator(SweepSpec spec, CompileCache? cache)
    {
        _spec = spec;
        _cache = cache;
        _energy = EnergyTable.Load();
    }

    /// <summary>The CSV header: point, workload, sku, batch, mode, every parameter, then <see cref="ResultColumns"/>.</summary>
    public static IReadOnlyList<string> Header(SweepSpec spec)
    {
        var h = new List<string> { "point", "workload", "sku", "batch", "mode" };
        h.AddRange(spec.Parameters);
        h.AddRange(ResultColumns);
        return h;
    }

    private static List<string> BuildResultColumns()
    {
        var c = new List<string> { "status", "reason", "samples_per_s", "latency_ms", "cycles", "macs" };
        foreach (string k in Enum.GetNames<EngineKind>())
        {
            c.Add("util_" + k.ToLowerInvariant());
        }

        c.AddRange(["dram_gb_per_s", "noc_gb_per_s", "pcie_gb_per_s", "power_avg_w", "power_peak_w", "power_dynamic_w", "energy_per_sample_mj", "samples_per_s_per_w", "mac_units", "sram_bytes", "area_proxy", "bottleneck"]);
        return c;
    }

    /// <summary>Runs the point and returns its CSV fields (not yet quoted), in <see cref="Header"/> order.</summary>
    public IReadOnlyList<string> Evaluate(SweepPoint point)
    {
        var row = new List<string>
        {
            point.Index.ToString(CultureInfo.InvariantCulture), point.Workload, point.Sku, point.Batch.ToString(CultureInfo.InvariantCulture), point.Mode ?? "auto",
        };
        row.AddRange(point.Values);
        try
        {
            Run(point, row);
        }
        catch (Exception e) when (e is UserInputException or CompileException or IsaException or WorkloadException)
        {
            Infeasible(row, point, e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or OverflowException or IndexOutOfRangeException or SimInvariantException)
        {
            // A simulator bug on one point must not take the sweep down: the row says so, with the exception type.
            Infeasible(row, point, "internal error (" + e.GetType().Name + "): " + e.Message);
        }

        return row;
    }

    private static void Infeasible(List<string> row, SweepPoint point, string reason)
    {
        row.RemoveRange(5 + point.Values.Count, row.Count - (5 + point.Values.Count));
        row.Add("infeasible");
        row.Add(reason.ReplaceLineEndings(" "));
        while (row.Count < 5 + point.Values.Count + ResultColumns.Count)
        {
            row.Add(string.Empty);
        }
    }

    private void Run(SweepPoint point, List<string> row)
    {
        ResolvedConfig config = ConfigLoader.Load(point.Sku, SweepParameters.ConfigOverrides(_spec, point));
        CardParameters p = CardParameters.FromConfig(config.Config);
        WorkloadGraph graph = SweepParameters.ApplyWorkloadParameters(Cli.CompileCommand.ResolveWorkload(point.Workload), _spec, point);
        PartitionMode? mode = point.Mode is null ? null : Compiler.ParseMode(point.Mode);
        CompileTarget target = CompilerTarget.From(p);
        var options = new CompileOptions { Mode = mode };
        CompileResult compiled = _cache is null ? Compiler.Compile(graph, point.Batch, target, options) : _cache.GetOrCompile(graph, point.Batch, target, options);
        ulong maxEvents = _spec.MaxEvents == 0 ? ulong.MaxValue : _spec.MaxEvents;
        // The timeline sampler (a background observer: results unchanged) gives the power model its bins for the peak.
        NetworkRunResult result = NetworkRun.Run(p, compiled, graph.Name, ulong.MaxValue, maxEvents, timeline: true);
        ProgramSummary s = result.Summary;
        PowerReport power = PowerModel.Estimate(result.Model.Sim.Stats, s.SimulatedPs, new PowerContext(p.Chips, p.Chips * p.Clusters, p.VpuLanes, p.TdpMilliwatts), point.Batch, _energy, result.Model.Timeline);

        row[4] = CompileReport.ModeName(compiled.Report.Mode);
        double seconds = s.SimulatedPs / 1e12;
        row.Add("ok");
        row.Add(string.Empty);
        row.Add(F(seconds > 0 ? point.Batch / seconds : 0));
        row.Add(F(s.SimulatedPs / 1e9));
        row.Add(s.Cycles.ToString(CultureInfo.InvariantCulture));
        row.Add(compiled.Report.TotalMacs.ToString(CultureInfo.InvariantCulture));
        List<(string Kind, int Count, double Utilization)> byKind = BlocksCsv.ByKind(result.Model.Sim.Stats, s.SimulatedPs);
        foreach (string kind in s_kinds)
        {
            int i = byKind.FindIndex(k => k.Kind == kind);
            row.Add(F(i < 0 ? 0 : byKind[i].Utilization));
        }

        row.Add(F(seconds > 0 ? s.DramBytes / seconds / 1e9 : 0));
        row.Add(F(seconds > 0 ? s.NocBytes / seconds / 1e9 : 0));
        row.Add(F(seconds > 0 ? s.PcieBytes / seconds / 1e9 : 0));
        row.Add(F(power.AverageWatts));
        row.Add(F(power.PeakWatts));
        row.Add(F(power.DynamicWatts));
        row.Add(F(power.JoulesPerSample * 1e3));
        row.Add(F(power.SamplesPerSecondPerWatt));
        (long macUnits, long sramBytes, double area) = Area(p, _spec.SramBytesPerMac);
        row.Add(macUnits.ToString(CultureInfo.InvariantCulture));
        row.Add(sramBytes.ToString(CultureInfo.InvariantCulture));
        row.Add(F(area));
        row.Add(Bottleneck(result.Layers));
    }

    /// <summary>
    /// The area proxy: MAC units = chips × clusters × SPUs per cluster × rows × cols; SRAM bytes = chips × clusters ×
    /// (SPUs per cluster × L1 + L2); area proxy = MAC units + SRAM bytes / <paramref name="sramBytesPerMac"/>, in
    /// units of one INT8 MAC's area.
    /// </summary>
    public static (long MacUnits, long SramBytes, double AreaProxy) Area(CardParameters p, double sramBytesPerMac)
    {
        ArgumentNullException.ThrowIfNull(p);
        long clusters = (long)p.Chips * p.Clusters;
        long macUnits = clusters * p.SpusPerCluster * p.SpuRows * p.SpuCols;
        long sram = clusters * (((long)p.SpusPerCluster * (long)p.L1Bytes) + (long)p.L2Bytes);
        return (macUnits, sram, macUnits + (sram / sramBytesPerMac));
    }

    /// <summary>The bottleneck of the run: the layers.csv bottleneck label that accounts for most layer cycles
    /// (ties: the ordinal-first label).</summary>
    public static string Bottleneck(IReadOnlyList<LayerRow> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var labels = new List<string>();
        var cycles = new List<ulong>();
        foreach (LayerRow l in layers)
        {
            int i = labels.IndexOf(l.Bottleneck);
            if (i < 0)
            {
                labels.Add(l.Bottleneck);
                cycles.Add(l.Cycles);
            }
            else
            {
                cycles[i] += l.Cycles;
            }
        }

        string best = string.Empty;
        ulong bestCycles = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            if (best.Length == 0 || cycles[i] > bestCycles || (cycles[i] == bestCycles && string.CompareOrdinal(labels[i], best) < 0))
            {
                (best, bestCycles) = (labels[i], cycles[i]);
            }
        }

        return best;
    }

    /// <summary>A number as written in sweep.csv: invariant culture, 6 significant digits.</summary>
    public static string F(double v) => double.IsFinite(v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "0";
}
