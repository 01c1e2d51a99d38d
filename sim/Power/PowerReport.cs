using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Antoum.Sim.Power;

/// <summary>Energy of one category and the block class it belongs to.</summary>
public readonly record struct EnergyItem(string Category, string BlockClass, double Joules);

/// <summary>What the power model needs to know about the card beyond its statistics.</summary>
public readonly record struct PowerContext(int Chips, int DramInterfaces, int VpuLanes, ulong TdpMilliwatts);

/// <summary>The power estimate of one finished run.</summary>
public sealed record PowerReport
{
    public required IReadOnlyList<EnergyItem> Items { get; init; }

    public required double SecondsSimulated { get; init; }

    public required long Samples { get; init; }

    public required double TdpWatts { get; init; }

    /// <summary>The board conversion efficiency applied (assumed).</summary>
    public required double BoardEfficiency { get; init; }

    /// <summary>The card-level calibration term applied to the on-chip action energies (1 = uncalibrated).</summary>
    public double DynamicOverheadFactor { get; init; } = 1.0;

    /// <summary>Card energy with the calibration term at 1 (the bottom-up estimate from the cited tables), J.</summary>
    public required double UncalibratedJoules { get; init; }

    /// <summary>Power of the powered, idle card (leakage, DRAM background, gated clock residuals, over the efficiency), W.</summary>
    public required double IdleWatts { get; init; }

    /// <summary>Highest per-time-bin card power (the timeline's bins), or the average when no timeline was recorded.</summary>
    public double PeakWatts { get; init; }

    /// <summary>Card power per timeline bin, W (empty without a timeline).</summary>
    public IReadOnlyList<double> BinWatts { get; init; } = [];

    /// <summary>Start of the bin with the highest power, ps (0 without a timeline).</summary>
    public ulong PeakBinStartPs { get; init; }

    /// <summary>Width of the timeline bins the peak is taken over, ps (0 without a timeline).</summary>
    public ulong PeakBinPs { get; init; }

    private static bool IsStatic(string category) => category is PowerModel.StaticCategory or PowerModel.DramBackgroundCategory;

    public double BoardJoules => Sum(i => i.Category == PowerModel.BoardCategory);

    public double StaticJoules => Sum(i => IsStatic(i.Category));

    public double DynamicJoules => Sum(i => !IsStatic(i.Category) && i.Category != PowerModel.BoardCategory);

    public double TotalJoules => DynamicJoules + StaticJoules + BoardJoules;

    /// <summary>The on-board estimate before the board conversion loss: chips and DRAM only.</summary>
    public double OnBoardJoules => DynamicJoules + StaticJoules;

    public double AverageWatts => Per(TotalJoules);

    public double UncalibratedWatts => Per(UncalibratedJoules);

    public double DynamicWatts => Per(DynamicJoules);

    public double StaticWatts => Per(StaticJoules);

    public double BoardWatts => Per(BoardJoules);

    public double JoulesPerSample => Samples > 0 ? TotalJoules / Samples : 0;

    public double SamplesPerSecondPerWatt => AverageWatts > 0 && SecondsSimulated > 0 ? Samples / SecondsSimulated / AverageWatts : 0;

    /// <summary>The estimated peak (per time bin) exceeds the SKU's TDP.</summary>
    public bool ExceedsTdp => Math.Max(PeakWatts, AverageWatts) > TdpWatts;

    /// <summary>Energy per block class, in first-seen order.</summary>
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
        return string.Create(c, $"  power           {AverageWatts:0.00} W average, {PeakWatts:0.00} W peak per bin ({DynamicWatts:0.00} W dynamic + {StaticWatts:0.00} W static on board, / board efficiency {BoardEfficiency:0.##}; {UncalibratedWatts:0.00} W uncalibrated, on-chip dynamic x {DynamicOverheadFactor:0.###} calibration), {JoulesPerSample * 1e3:0.###} mJ per sample, {SamplesPerSecondPerWatt:0.##} samples/s/W [TDP {TdpWatts:0.#} W{(ExceedsTdp ? ", EXCEEDED by the peak" : string.Empty)}]\n");
    }

    /// <summary>Writes the <c>power</c> object of summary.json (field names are stable: sweeps read them).</summary>
    public void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject("power");
        w.WriteString("model", "energy per action x counted actions (on-chip actions x the calibration term) + clock power with gating + chip leakage + DRAM background and refresh, / board efficiency; configs/energy/" + EnergyTable.DefaultFileName);
        w.WriteNumber("averageWatts", AverageWatts);
        w.WriteNumber("peakWatts", PeakWatts);
        w.WriteNumber("peakBinStartPs", PeakBinStartPs);
        w.WriteNumber("peakBinPs", PeakBinPs);
        w.WriteNumber("uncalibratedAverageWatts", UncalibratedWatts);
        w.WriteNumber("dynamicWatts", DynamicWatts);
        w.WriteNumber("staticWatts", StaticWatts);
        w.WriteNumber("boardWatts", BoardWatts);
        w.WriteNumber("idleWatts", IdleWatts);
        w.WriteNumber("totalJoules", TotalJoules);
        w.WriteNumber("dynamicJoules", DynamicJoules);
        w.WriteNumber("staticJoules", StaticJoules);
        w.WriteNumber("boardJoules", BoardJoules);
        w.WriteNumber("samples", Samples);
        w.WriteNumber("joulesPerSample", JoulesPerSample);
        w.WriteNumber("samplesPerSecondPerWatt", SamplesPerSecondPerWatt);
        w.WriteNumber("tdpWatts", TdpWatts);
        w.WriteBoolean("exceedsTdp", ExceedsTdp);
        w.WriteStartObject("calibration");
        w.WriteString("name", "card.dynamicOverheadFactor");
        w.WriteNumber("value", DynamicOverheadFactor);
        w.WriteString("rule", "multiplies the counted on-chip action energies; fitted (antoum power-fit) so the S4 ResNet-50 anchor run draws card.anchorTdpFraction of the S4 TDP; see docs/power.md");
        w.WriteEndObject();
        w.WriteNumber("boardEfficiency", BoardEfficiency);
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

    private double Per(double joules) => SecondsSimulated > 0 ? joules / SecondsSimulated : 0;

    private double Sum(Func<EnergyItem, bool> which)
    {
        double sum = 0;
        foreach (EnergyItem i in Items)
        {
            if (which(i))
            {
                sum += i.Joules;
            }
        }

        return sum;
    }
}
