using System.Globalization;
using System.Text;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Validation;

namespace Antoum.Sim.Power;

/// <summary>One run of the power calibration: the case, its throughput and its power with and without the term.</summary>
public sealed record PowerFitRow(string Name, string Sku, int Batch, double SamplesPerSecond, double UncalibratedWatts, double CalibratedWatts, double TdpWatts);

/// <summary>
/// Fits the one card-level calibration term, <see cref="EnergyTable.DynamicOverheadFactor"/>, on the S4 ResNet-50
/// anchor (the throughput anchor of <c>configs/validation/published.json</c>, with its MLPerf inputs) and checks the
/// result on S10 and S30 (batch × chips, same inputs), which are never fitted. Card power is linear in the factor f:
/// P(f) = (f·D + E) / (η·T), with D the counted on-chip action energy, E every other on-board energy, η the board
/// efficiency and T the run time, so f = (F·TDP·η·T − E) / D for the rule's fraction F of the TDP: one run, no search.
/// </summary>
public static class PowerCalibration
{
    /// <summary>The fit: the factor, the anchor row at f = 1 and at the fitted f, and the check rows at the fitted f.</summary>
    public sealed record Result(double Factor, double TargetWatts, PowerFitRow Anchor, IReadOnlyList<PowerFitRow> Checks);

    public static Result Fit(EnergyTable table, TextWriter? progress, IReadOnlyList<string>? sets = null, bool checks = true)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.AnchorTdpFraction is <= 0 or > 1)
        {
            throw new UserInputException($"configs/energy/{EnergyTable.DefaultFileName}: card.anchorTdpFraction must be in (0, 1], got {table.AnchorTdpFraction.ToString(CultureInfo.InvariantCulture)}");
        }

        ValidationCase anchor = Validator.LoadCases().First(c => c.IsAnchor);
        EnergyTable neutral = table with { DynamicOverheadFactor = 1.0 };
        (PowerReport raw, double sps, double tdp) = RunCase(anchor, anchor.Sku, anchor.Batch, neutral, progress, sets);
        double onChip = 0;
        for (int i = 0; i < raw.Items.Count; i++)
        {
            int k = CategoryIndex(raw.Items[i].Category);
            if (k >= 0 && EnergyCounters.IsOnChip(k))
            {
                onChip += raw.Items[i].Joules;
            }
        }

        double target = table.AnchorTdpFraction * tdp;
        double onBoard = raw.OnBoardJoules;
        double others = onBoard - onChip;
        double factor = onChip > 0 ? ((target * table.BoardEfficiency * raw.SecondsSimulated) - others) / onChip : double.NaN;
        if (!(factor > 0))
        {
            throw new UserInputException(string.Create(CultureInfo.InvariantCulture,
                $"power-fit: the anchor's power without on-chip actions ({others / table.BoardEfficiency / raw.SecondsSimulated:0.00} W) already exceeds the target {target:0.00} W; no positive factor fits"));
        }

        EnergyTable fitted = table with { DynamicOverheadFactor = factor };
        double calibrated = (onBoard + (onChip * (factor - 1))) / table.BoardEfficiency / raw.SecondsSimulated;
        var anchorRow = new PowerFitRow(anchor.Name, anchor.Sku, anchor.Batch, sps, raw.AverageWatts, calibrated, tdp);
        var rows = new List<PowerFitRow>();
        if (checks)
        {
            foreach ((string sku, int chips) in new[] { ("S10", 2), ("S30", 3) })
            {
                (PowerReport r, double s, double t) = RunCase(anchor, sku, anchor.Batch * chips, fitted, progress, sets);
                rows.Add(new PowerFitRow($"check: {anchor.Workload} on {sku}, batch x {chips}", sku, anchor.Batch * chips, s, r.UncalibratedWatts, r.AverageWatts, t));
            }
        }

        return new Result(factor, target, anchorRow, rows);
    }

    /// <summary>Runs a case's workload with its inputs on <paramref name="sku"/> and estimates its power with <paramref name="table"/>.</summary>
    public static (PowerReport Power, double SamplesPerSecond, double TdpWatts) RunCase(ValidationCase c, string sku, int batch, EnergyTable table, TextWriter? progress, IReadOnlyList<string>? sets = null)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(table);
        progress?.WriteLine($"power-fit: {c.Workload} on {sku}, batch {batch} ...");
        ResolvedConfig config = ConfigLoader.Load(sku, sets);
        CardParameters p = CardParameters.FromConfig(config.Config);
        WorkloadGraph graph = Networks.Resolve(c.Workload);
        if (c.InputBytesPerSample is { } input)
        {
            graph = graph with { InputBytesPerSample = input };
        }

        PartitionMode? mode = c.Mode is null ? null : Compiler.ParseMode(c.Mode);
        // The case's own scenario (the anchor: offline steady state): power is the whole run's energy over its time, the
        // throughput the scenario's measurement, as 'antoum run' reports them.
        NetworkRunResult r = NetworkRun.Run(p, graph, batch, mode, ulong.MaxValue, ulong.MaxValue, timeline: true, scenario: c.Scenario);
        ulong ps = r.Summary.SimulatedPs;
        var ctx = new PowerContext(p.Chips, p.Chips * p.Clusters, p.VpuLanes, p.TdpMilliwatts);
        PowerReport power = PowerModel.Estimate(r.Model.Sim.Stats, ps, ctx, (long)batch * r.Throughput.Batches, table, r.Model.Timeline);
        return (power, r.Throughput.SamplesPerSecond, p.TdpMilliwatts / 1e3);
    }

    /// <summary>The report printed by <c>antoum power-fit</c>.</summary>
    public static string Format(Result r, EnergyTable table)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(table);
        CultureInfo c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"rule: the anchor draws card.anchorTdpFraction {table.AnchorTdpFraction:0.###} x TDP {r.Anchor.TdpWatts:0.#} W = {r.TargetWatts:0.00} W\n");
        sb.Append(c, $"fitted: card.dynamicOverheadFactor = {r.Factor:0.000} (configs/energy/{EnergyTable.DefaultFileName}; now {table.DynamicOverheadFactor:0.000})\n");
        sb.Append(c, $"{"run",-46} {"batch",5} {"samples/s",12} {"uncalibrated W",15} {"calibrated W",13} {"TDP W",6}\n");
        foreach (PowerFitRow row in new[] { r.Anchor }.Concat(r.Checks))
        {
            sb.Append(c, $"{row.Name,-46} {row.Batch,5} {row.SamplesPerSecond,12:N1} {row.UncalibratedWatts,15:0.00} {row.CalibratedWatts,13:0.00} {row.TdpWatts,6:0}\n");
        }

        return sb.ToString();
    }

    private static int CategoryIndex(string name)
    {
        for (int i = 0; i < EnergyCounters.Count; i++)
        {
            if (EnergyCounters.Name(i) == name)
            {
                return i;
            }
        }

        return -1;
    }
}
