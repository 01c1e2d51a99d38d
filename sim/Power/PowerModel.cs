using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
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

    public required double SparseDecodePerGroupPj { get; init; }

    public required double MacGroupSize { get; init; }

    public required double L1ReadPerBytePj { get; init; }

    public required double L1WritePerBytePj { get; init; }

    public required double L2ReadPerBytePj { get; init; }

    public required double L2WritePerBytePj { get; init; }

    public required double DramPerBytePj { get; init; }

    public required double NocPerByteHopPj { get; init; }

    public required double XbarPerBytePj { get; init; }

    public required double PciePerBytePj { get; init; }

    public required double VpuPerElementOpPj { get; init; }

    public required double SfaPerElementPj { get; init; }

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
            SparseDecodePerGroupPj = V(e, "sparseDecodePerGroupPj"),
            MacGroupSize = V(e, "macGroupSize"),
            L1ReadPerBytePj = V(e, "l1ReadPerBytePj"),
            L1WritePerBytePj = V(e, "l1WritePerBytePj"),
            L2ReadPerBytePj = V(e, "l2ReadPerBytePj"),
            L2WritePerBytePj = V(e, "l2WritePerBytePj"),
            DramPerBytePj = V(e, "dramPerBytePj"),
            NocPerByteHopPj = V(e, "nocPerByteHopPj"),
            XbarPerBytePj = V(e, "xbarPerBytePj"),
            PciePerBytePj = V(e, "pciePerBytePj"),
            VpuPerElementOpPj = V(e, "vpuPerElementOpPj"),
            SfaPerElementPj = V(e, "sfaPerElementPj"),
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
            foreach (string k in new[] { "stated", "derived", "assumed" })
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

    private static double V(JsonElement parent, string name)
    {
        return V(parent.GetProperty(name));
    }

    private static double V(JsonElement leaf)
    {
        return leaf.GetProperty("value").GetDouble();
    }
}

/// <summary>Energy of one category, its share of the total and the block class it belongs to.</summary>
public readonly record struct EnergyItem(string Category, string BlockClass, double Joules);

/// <summary>The power estimate of one finished run.</summary>
public sealed record PowerReport
{
    public required IReadOnlyList<EnergyItem> Items { get; init; }

    public required double SecondsSimulated { get; init; }

    public required long Samples { get; init; }

    public required double TdpWatts { get; init; }

    public double DynamicJoules => Items.Where(i => i.Category != PowerModel.StaticCategory).Sum(i => i.Joules);

    public double StaticJoules => Items.Where(i => i.Category == PowerModel.StaticCategory).Sum(i => i.Joules);

    public double TotalJoules => DynamicJoules + StaticJoules;

    public double AverageWatts => SecondsSimulated > 0 ? TotalJoules / SecondsSimulated : 0;

    public double DynamicWatts => SecondsSimulated > 0 ? DynamicJoules / SecondsSimulated : 0;

    public double StaticWatts => SecondsSimulated > 0 ? StaticJoules / SecondsSimulated : 0;

    public double JoulesPerSample => Samples > 0 ? TotalJoules / Samples : 0;

    public double SamplesPerSecondPerWatt => AverageWatts > 0 && SecondsSimulated > 0 ? Samples / SecondsSimulated / AverageWatts : 0;

    public bool ExceedsTdp => AverageWatts > TdpWatts;

    /// <summary>Energy per block class (spu, l2, dram, noc, pcie, vpu, sfa, dma, cpu, chip), in first-seen order.</summary>
    public List<(string BlockClass, double Joules)> ByBlockClass()
    {
        var result = new List<(string, double)>();
        foreach (EnergyItem i in Items)
        {
            int k = result.FindIndex(r => r.Item1 == i.BlockClass);
            if (k < 0)
            {
                result.Add((i.BlockClass, i.Joules));
            }
            else
            {
                result[k] = (i.BlockClass, result[k].Item2 + i.Joules);
            }
        }

        return result;
    }

    /// <summary><c>power.csv</c>: category, block class, energy in J, share of the total.</summary>
    public string ToCsv()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("category,block_class,energy_j,share\n");
        double total = TotalJoules;
        foreach (EnergyItem i in Items)
        {
            sb.Append(c, $"{i.Category},{i.BlockClass},{i.Joules.ToString("G9", c)},{(total > 0 ? i.Joules / total : 0).ToString("0.######", c)}\n");
        }

        return sb.ToString();
    }

    /// <summary>The console line.</summary>
    public string ToConsoleLine()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        return string.Create(c, $"  power           {AverageWatts:0.00} W average ({DynamicWatts:0.00} W dynamic + {StaticWatts:0.00} W static), {JoulesPerSample * 1e3:0.###} mJ per sample, {SamplesPerSecondPerWatt:0.##} samples/s/W [TDP {TdpWatts:0.#} W{(ExceedsTdp ? ", EXCEEDED" : string.Empty)}]\n");
    }

    /// <summary>Writes the <c>power</c> object of summary.json.</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject("power");
        w.WriteString("model", "energy per action x counted actions + clock power with gating + chip leakage; uncalibrated; configs/energy/" + EnergyTable.DefaultFileName);
        w.WriteNumber("averageWatts", AverageWatts);
        w.WriteNumber("dynamicWatts", DynamicWatts);
        w.WriteNumber("staticWatts", StaticWatts);
        w.WriteNumber("totalJoules", TotalJoules);
        w.WriteNumber("dynamicJoules", DynamicJoules);
        w.WriteNumber("staticJoules", StaticJoules);
        w.WriteNumber("samples", Samples);
        w.WriteNumber("joulesPerSample", JoulesPerSample);
        w.WriteNumber("samplesPerSecondPerWatt", SamplesPerSecondPerWatt);
        w.WriteNumber("tdpWatts", TdpWatts);
        w.WriteBoolean("exceedsTdp", ExceedsTdp);
        w.WriteString("peakPower", "not modelled (no per-time-bin power yet)");
        w.WriteStartObject("categoriesJoules");
        foreach (EnergyItem i in Items)
        {
            w.WriteNumber(i.Category, i.Joules);
        }

        w.WriteEndObject();
        w.WriteStartObject("blockClassJoules");
        foreach ((string cls, double j) in ByBlockClass())
        {
            w.WriteNumber(cls, j);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }
}

/// <summary>
/// Power of a finished run from its statistics: each counted action (issued MAC, SRAM byte, DRAM byte, NoC
/// byte-hop, PCIe byte, VPU element-op) times its energy, plus clock power of every block while busy or stalled
/// (a gated residual while idle, busy and stall times from <see cref="BlockActivity"/>), plus chip leakage ×
/// time. Average over the whole run only; no peak per time bin.
/// </summary>
public static partial class PowerModel
{
    public const string StaticCategory = "static";

    public static PowerReport Estimate(StatRegistry stats, ulong elapsedPs, int chips, int vpuLanes, ulong tdpMilliwatts, long samples, EnergyTable table)
    {
        double issuedMacs = 0, l1 = 0, l1Landed = 0, l2 = 0, dram = 0, noc = 0, xbar = 0, pcie = 0, vpuCycles = 0, sfa = 0, codecPixels = 0;
        foreach (StatValue v in stats.Snapshot(elapsedPs))
        {
            string n = v.Name;
            if (IssuedMacs().IsMatch(n))
            {
                issuedMacs += v.Value;
            }
            else if (L1Bank().IsMatch(n))
            {
                l1 += v.Value;
            }
            else if (OperandBytes().IsMatch(n))
            {
                l1Landed += v.Value;
            }
            else if (L2Bank().IsMatch(n))
            {
                l2 += v.Value;
            }
            else if (DramDevice().IsMatch(n))
            {
                dram += v.Value;
            }
            else if (NocRing().IsMatch(n))
            {
                noc += v.Value;
            }
            else if (Xbar().IsMatch(n))
            {
                xbar += v.Value;
            }
            else if (Pcie().IsMatch(n))
            {
                pcie += v.Value;
            }
            else if (VpuBusy().IsMatch(n))
            {
                vpuCycles += v.Value;
            }
            else if (SfaElements().IsMatch(n))
            {
                sfa += v.Value;
            }
            else if (CodecPixels().IsMatch(n))
            {
                codecPixels += v.Value;
            }
        }

        // Runs without modelled L1 banks (the built-in GEMM stream) count the operand bytes landed in L1 once.
        if (l1 == 0)
        {
            l1 = l1Landed;
        }

        const double Pj = 1e-12;
        var items = new List<EnergyItem>
        {
            new("mac", "spu", issuedMacs * table.Int8MacPj * Pj),
            new("sparseDecode", "spu", issuedMacs / table.MacGroupSize * table.SparseDecodePerGroupPj * Pj),
            new("l1", "spu", l1 * table.L1ReadPerBytePj * Pj),
            new("l2", "l2", l2 * table.L2ReadPerBytePj * Pj),
            new("dram", "dram", dram * table.DramPerBytePj * Pj),
            new("noc", "noc", noc * table.NocPerByteHopPj * Pj),
            new("xbar", "noc", xbar * table.XbarPerBytePj * Pj),
            new("pcie", "pcie", pcie * table.PciePerBytePj * Pj),
            new("vpu", "vpu", vpuCycles * vpuLanes * table.VpuPerElementOpPj * Pj),
            new("sfa", "sfa", sfa * table.SfaPerElementPj * Pj),
        };
        if (codecPixels > 0)
        {
            items.Add(new("codec", "codec", codecPixels * table.CodecPerPixelPj * Pj));
        }

        var clockByKind = new List<(string Kind, double Joules)>();
        foreach (BlockActivity b in stats.Blocks)
        {
            ulong busy = Math.Min(b.BusyPs(), elapsedPs);
            ulong stall = Math.Min(b.StallPs(), elapsedPs - busy);
            ulong idle = elapsedPs - busy - stall;
            double mw = table.ClockMilliwatts.TryGetValue(b.Kind, out double m) ? m : table.ClockMilliwatts.GetValueOrDefault("other");
            double j = mw * 1e-3 * ((busy + stall) + (table.GatedResidualFraction * idle)) * Pj;
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

        items.Add(new EnergyItem(StaticCategory, "chip", chips * table.ChipLeakageMilliwatts * 1e-3 * elapsedPs * Pj));
        return new PowerReport { Items = items, SecondsSimulated = elapsedPs * Pj, Samples = samples, TdpWatts = tdpMilliwatts / 1e3 };
    }

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.spu\d+\.issuedMacs$")]
    private static partial Regex IssuedMacs();

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.spu\d+\.l1\.bank\d+\.bytes$")]
    private static partial Regex L1Bank();

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.spu\d+\.operandBytes$")]
    private static partial Regex OperandBytes();

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.l2\.bank\d+\.bytes$")]
    private static partial Regex L2Bank();

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.dram\.device\.bytes(Read|Written)$")]
    private static partial Regex DramDevice();

    [GeneratedRegex(@"^chip\d+\.noc\.ring\d+to\d+\.bytes$")]
    private static partial Regex NocRing();

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.xbar\.bytes$")]
    private static partial Regex Xbar();

    [GeneratedRegex(@"^chip\d+\.(pcieLink\.(up|down)|link\.pcie(Up|Down))\.bytes$")]
    private static partial Regex Pcie();

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.vpu\.busyCycles$")]
    private static partial Regex VpuBusy();

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.sfa\.elements$")]
    private static partial Regex SfaElements();

    [GeneratedRegex(@"^chip\d+\.cluster\d+\.codec\.pixels$")]
    private static partial Regex CodecPixels();
}
