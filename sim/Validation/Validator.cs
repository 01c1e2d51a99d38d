using System.Globalization;
using System.Text;
using System.Text.Json;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;

namespace Antoum.Sim.Validation;

/// <summary>One published figure and the run that reproduces it.</summary>
public sealed record ValidationCase(string Name, string Sku, string Workload, int Batch, string? Mode, double Published, string Source, bool IsAnchor)
{
    /// <summary>Bytes of one sample's input as the host sends it, when the case fixes it (else the workload's own).</summary>
    public long? InputBytesPerSample { get; init; }

    /// <summary>
    /// The measurement the published figure comes from: offline (MLPerf Offline, the harness keeps the card busy:
    /// steady state) or single (one batch at a time, the default: ByteMLPerf's Python harness times each batch).
    /// </summary>
    public RunScenario Scenario { get; init; } = RunScenario.Single;
}

/// <summary>A case's outcome: simulated throughput and the signed error against the published figure.</summary>
public sealed record ValidationRow(ValidationCase Case, double Simulated, double ErrorPercent, string Bottleneck);

/// <summary>
/// <c>antoum validate</c>: runs every case of <c>configs/validation/published.json</c> (the calibration anchor and the checks)
/// with the shipped configuration and reports simulated vs published throughput with the error. Nothing here is fitted:
/// the published figures are data with their sources, and any calibration lives in the SKU configuration, labelled
/// as calibration.
/// </summary>
public static class Validator
{
    public static IReadOnlyList<ValidationCase> LoadCases(string? path = null)
    {
        path ??= Path.Combine(ConfigLoader.DefaultConfigsDirectory(), "validation", "published.json");
        if (Directory.Exists(path))
        {
            throw new UserInputException($"{path}: is a folder; expected a validation cases JSON file");
        }

        if (!File.Exists(path))
        {
            throw new UserInputException($"{path}: file not found");
        }

        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            var cases = new List<ValidationCase> { Read(doc.RootElement.GetProperty("anchor"), isAnchor: true) };
            foreach (JsonElement c in doc.RootElement.GetProperty("checks").EnumerateArray())
            {
                cases.Add(Read(c, isAnchor: false));
            }

            return cases;
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{path}: line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}: malformed JSON: {JsonErrorText.Reason(e)}");
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new UserInputException($"{path}: expected an anchor object and a checks array of {{name, sku, workload, batch, samplesPerSecond, source}}: {e.Message}");
        }
    }

    /// <summary>
    /// The calibration parameters (configuration paths under chip.calibration) and their neutral values: with these
    /// the model is uncalibrated. <c>antoum validate</c> runs the anchor both ways; <c>--fit</c> searches them.
    /// </summary>
    public static IReadOnlyList<(string Key, int Neutral, int Min, int Max)> CalibrationParameters { get; } =
    [
        ("chip.calibration.spuFoldOverlapPercent", 0, 0, 100),
        ("chip.calibration.dmaSetupOverlapPercent", 0, 0, 100),
    ];

    /// <summary>--set overrides that put every calibration parameter at its neutral value.</summary>
    public static IReadOnlyList<string> Neutral() => CalibrationParameters.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Neutral}")).ToArray();

    public static ValidationRow Run(ValidationCase c, TextWriter? progress, IReadOnlyList<string>? sets = null)
    {
        progress?.WriteLine($"validate: {c.Name} ({c.Sku}, {c.Workload}, batch {c.Batch}, {(c.Scenario == RunScenario.Offline ? "offline" : "single")}) ...");
        ResolvedConfig config = ConfigLoader.Load(c.Sku, sets);
        WorkloadGraph graph = Networks.Resolve(c.Workload);
        if (c.InputBytesPerSample is { } input)
        {
            graph = graph with { InputBytesPerSample = input };
        }

        PartitionMode? mode = c.Mode is null ? null : Compiler.ParseMode(c.Mode);
        NetworkRunResult r = NetworkRun.Run(CardParameters.FromConfig(config.Config), graph, c.Batch, mode, ulong.MaxValue, ulong.MaxValue, scenario: c.Scenario);
        double simulated = r.Throughput.SamplesPerSecond;
        string bottleneck = Dominant(r);
        return new ValidationRow(c, simulated, (simulated - c.Published) / c.Published * 100.0, bottleneck);
    }

    /// <summary>
    /// S10 and S30 against S4 on the anchor's workload: batch scaled by the chip count, throughput ratio against the
    /// 2× and 3× the vendor states for compute (antoum-facts §1.0). A check, never fitted.
    /// </summary>
    /// <summary>
    /// Fits the calibration parameters to the anchor only: for each parameter in order (the others at their current
    /// value, starting from neutral), bisection over its integer range on the signed anchor error, which falls
    /// monotonically as an efficiency rises; returns the fitted --set values and the anchor row they give. A
    /// parameter whose whole range leaves the error on one side ends at the bound nearer the published figure.
    /// </summary>
    public static (List<string> Sets, ValidationRow Row) Fit(ValidationCase anchor, TextWriter? progress, IReadOnlyList<string>? baseSets = null)
    {
        var sets = new List<string>(baseSets ?? []);
        sets.AddRange(Neutral());
        ValidationRow row = Run(anchor, progress, sets);
        for (int i = 0; i < CalibrationParameters.Count; i++)
        {
            (string key, int neutral, _, int max) = CalibrationParameters[i];
            int at = sets.FindIndex(x => x.StartsWith(key + "=", StringComparison.Ordinal));
            string Set(int v) => string.Create(CultureInfo.InvariantCulture, $"{key}={v}");
            ValidationRow RunAt(int v)
            {
                sets[at] = Set(v);
                return Run(anchor, progress, sets);
            }

            if (row.ErrorPercent >= 0)
            {
                sets[at] = Set(neutral);
                break;
            }

            int lo = neutral, hi = max;
            ValidationRow hiRow = RunAt(hi);
            if (hiRow.ErrorPercent <= 0)
            {
                row = hiRow;
                continue;
            }

            ValidationRow loRow = row;
            while (hi - lo > 1)
            {
                int mid = lo + ((hi - lo) / 2);
                ValidationRow m = RunAt(mid);
                if (m.ErrorPercent < 0)
                {
                    (lo, loRow) = (mid, m);
                }
                else
                {
                    (hi, hiRow) = (mid, m);
                }
            }

            (int best, row) = Math.Abs(loRow.ErrorPercent) <= Math.Abs(hiRow.ErrorPercent) ? (lo, loRow) : (hi, hiRow);
            sets[at] = Set(best);
            break;
        }

        return (sets.Skip(baseSets?.Count ?? 0).ToList(), row);
    }

    public static List<(string Sku, int Chips, double SamplesPerSecond, double Ratio)> Scaling(ValidationCase anchor, double anchorSimulated, TextWriter? progress, IReadOnlyList<string>? sets = null)
    {
        var result = new List<(string, int, double, double)> { (anchor.Sku, 1, anchorSimulated, 1.0) };
        foreach ((string sku, int chips) in new[] { ("S10", 2), ("S30", 3) })
        {
            ValidationCase c = anchor with { Name = $"scaling {sku}", Sku = sku, Batch = anchor.Batch * chips, IsAnchor = false };
            ValidationRow r = Run(c, progress, sets);
            result.Add((sku, chips, r.Simulated, anchorSimulated > 0 ? r.Simulated / anchorSimulated : 0));
        }

        return result;
    }

    public static string Format(IReadOnlyList<ValidationRow> rows)
    {
        CultureInfo ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(ci, $"{"case",-56} {"scenario",-8} {"published",12} {"simulated",12} {"error",9}  bottleneck\n");
        foreach (ValidationRow r in rows)
        {
            string tag = r.Case.IsAnchor ? " [anchor]" : string.Empty;
            sb.Append(ci, $"{r.Case.Name + tag,-56} {(r.Case.Scenario == RunScenario.Offline ? "offline" : "single"),-8} {r.Case.Published,12:N1} {r.Simulated,12:N1} {r.ErrorPercent,8:+0.0;-0.0}%  {r.Bottleneck}\n");
        }

        return sb.ToString();
    }

    public static string ToCsv(IReadOnlyList<ValidationRow> rows)
    {
        CultureInfo ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("case,anchor,sku,workload,batch,scenario,published_samples_per_s,simulated_samples_per_s,error_percent,bottleneck,source\n");
        foreach (ValidationRow r in rows)
        {
            sb.Append(ci, $"\"{r.Case.Name}\",{(r.Case.IsAnchor ? 1 : 0)},{r.Case.Sku},{r.Case.Workload},{r.Case.Batch},{(r.Case.Scenario == RunScenario.Offline ? "offline" : "single")},{r.Case.Published.ToString("R", ci)},{r.Simulated.ToString("R", ci)},{r.ErrorPercent.ToString("0.###", ci)},{r.Bottleneck},\"{r.Case.Source.Replace("\"", "'", StringComparison.Ordinal)}\"\n");
        }

        return sb.ToString();
    }

    // The engine kind that is busiest over the whole run, by share of its engines' time.
    private static string Dominant(NetworkRunResult r)
    {
        var busy = new Dictionary<string, (long Busy, int Count)>(StringComparer.Ordinal);
        foreach (EngineRow e in r.Summary.Engines)
        {
            string kind = e.Engine.Contains("spu", StringComparison.Ordinal) ? "spu"
                : e.Engine.Contains("dma", StringComparison.Ordinal) ? "dma"
                : e.Engine.Contains("vpu", StringComparison.Ordinal) ? "vpu"
                : e.Engine.Contains("sfa", StringComparison.Ordinal) ? "sfa" : "cpu";
            busy[kind] = busy.TryGetValue(kind, out (long B, int C) v) ? (v.B + e.BusyCycles, v.C + 1) : (e.BusyCycles, 1);
        }

        string best = "sync";
        double share = 0;
        foreach (string kind in new[] { "spu", "dma", "vpu", "sfa" })
        {
            if (busy.TryGetValue(kind, out (long B, int C) v) && r.Summary.Cycles > 0)
            {
                double s = v.B / ((double)v.C * r.Summary.Cycles);
                if (s > share)
                {
                    share = s;
                    best = kind;
                }
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{best} ({share * 100:0}% busy)");
    }

    private static ValidationCase Read(JsonElement e, bool isAnchor)
    {
        return new ValidationCase(
            e.GetProperty("name").GetString()!,
            e.GetProperty("sku").GetString()!,
            e.GetProperty("workload").GetString()!,
            e.GetProperty("batch").GetInt32(),
            e.TryGetProperty("mode", out JsonElement m) ? m.GetString() : null,
            e.GetProperty("samplesPerSecond").GetDouble(),
            e.GetProperty("source").GetString()!,
            isAnchor)
        {
            InputBytesPerSample = e.TryGetProperty("inputBytesPerSample", out JsonElement ib) ? ib.GetInt64() : null,
            Scenario = e.TryGetProperty("scenario", out JsonElement sc) ? ThroughputMeasurement.Parse(sc.GetString()!) : RunScenario.Single,
        };
    }
}
