using System.Text.RegularExpressions;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Power;

/// <summary>
/// The counted actions the power model charges, as a fixed list of categories, and the counters of a run that feed
/// each category (matched by name once, before the run). The same assignment is used for the whole-run estimate and for
/// the per-time-bin power of the timeline, so the two always count the same actions.
/// </summary>
public sealed partial class EnergyCounters
{
    /// <summary>Sparse formats with an index-decode energy, in counter-suffix and table-key spelling.</summary>
    public static readonly IReadOnlyList<(string CounterSuffix, string TableKey)> SparseFormats =
        [("Nofm", "nofm"), ("Bitmap", "bitmap"), ("Csr", "csr"), ("BlockCsr", "blockCsr")];

    /// <summary>VPU op classes with an energy per element (see <c>VpuEngine.OpClasses</c>).</summary>
    public static readonly IReadOnlyList<string> VpuOpClasses = ["add", "sub", "mul", "max", "min", "relu", "copy", "scale"];

    /// <summary>VPU precisions with an energy per element.</summary>
    public static readonly IReadOnlyList<string> VpuPrecisions = ["int8", "bf16"];

    /// <summary>SFA functions in counter and table spelling (see <c>SfaEngine.FunctionName</c>).</summary>
    public static readonly IReadOnlyList<string> SfaFunctions = ["exp", "rsqrt", "recip", "gelu", "sigmoid", "tanh", "maxPool", "avgPool", "resize"];

    private static readonly Category[] s_categories = BuildCategories();

    private readonly List<Counter>[] _counters;

    private EnergyCounters(List<Counter>[] counters)
    {
        _counters = counters;
    }

    /// <summary>Number of categories.</summary>
    public static int Count => s_categories.Length;

    /// <summary>Category name, e.g. <c>mac.int8</c>, <c>l2.read</c>, <c>sfa.exp</c>.</summary>
    public static string Name(int category) => s_categories[category].Name;

    /// <summary>Block class the category's energy belongs to (spu, l2, dram, noc, pcie, vpu, sfa).</summary>
    public static string BlockClass(int category) => s_categories[category].BlockClass;

    /// <summary>
    /// The category is an on-chip action (everything but DRAM and PCIe, which are off-chip/IO figures): its energy is
    /// multiplied by the calibration term <see cref="EnergyTable.DynamicOverheadFactor"/>.
    /// </summary>
    public static bool IsOnChip(int category) => s_categories[category].BlockClass is not ("dram" or "pcie");

    /// <summary>What one counted unit of the category is, for docs/power.md.</summary>
    public static string Counted(int category) => s_categories[category].Counted;

    /// <summary>Energy of one counted unit, pJ.</summary>
    public static double PjPerUnit(int category, EnergyTable t, int vpuLanes) => s_categories[category].Pj(t, vpuLanes);

    /// <summary>The counters of <paramref name="stats"/> that feed each category.</summary>
    public static EnergyCounters From(StatRegistry stats)
    {
        var lists = new List<Counter>[s_categories.Length];
        for (int i = 0; i < lists.Length; i++)
        {
            lists[i] = new List<Counter>();
        }

        foreach (Statistic s in stats.All)
        {
            if (s is not Counter c)
            {
                continue;
            }

            for (int i = 0; i < s_categories.Length; i++)
            {
                if (s_categories[i].Pattern.IsMatch(c.Name))
                {
                    lists[i].Add(c);
                }
            }
        }

        return new EnergyCounters(lists);
    }

    /// <summary>Counters feeding a category.</summary>
    public IReadOnlyList<Counter> Counters(int category) => _counters[category];

    /// <summary>Current sum of a category's counters.</summary>
    public long Total(int category)
    {
        long sum = 0;
        List<Counter> list = _counters[category];
        for (int i = 0; i < list.Count; i++)
        {
            sum += list[i].Value;
        }

        return sum;
    }

    private static Category[] BuildCategories()
    {
        const string Spu = @"^chip\d+\.cluster\d+\.spu\d+\.";
        const string Cluster = @"^chip\d+\.cluster\d+\.";
        var list = new List<Category>
        {
            new("mac.int8", "spu", Spu + @"issuedMacsInt8$", "INT8 MAC slots issued (SPU issuedMacsInt8)", (t, _) => t.Int8MacPj),
            new("mac.bf16", "spu", Spu + @"issuedMacsBf16$", "BF16 MACs issued (SPU issuedMacsBf16)", (t, _) => t.Bf16MacPj),
        };
        foreach ((string suffix, string key) in SparseFormats)
        {
            list.Add(new("decode." + key, "spu", Spu + "issuedMacs" + suffix + "$", "MAC slots on " + key + " weights; one index decode per macGroupSize of them",
                (t, _) => t.SparseDecodePerGroupPj[key] / t.MacGroupSize));
        }

        list.Add(new("l1.read", "spu", Spu + @"(l1\.bytesRead|l1OperandReadBytes|operandBytes)$", "L1 bytes read: DMA reads out of L1, array operand reads (GEMM stream: operand bytes, read once)", (t, _) => t.L1ReadPerBytePj));
        list.Add(new("l1.write", "spu", Spu + @"(l1\.bytesWritten|l1ResultWriteBytes|operandBytes)$", "L1 bytes written: DMA writes into L1, array result writes (GEMM stream: operand bytes landed)", (t, _) => t.L1WritePerBytePj));
        list.Add(new("l2.read", "l2", Cluster + @"l2\.bytesRead$", "L2 bytes read by DMA bursts", (t, _) => t.L2ReadPerBytePj));
        list.Add(new("l2.write", "l2", Cluster + @"l2\.bytesWritten$", "L2 bytes written by DMA bursts", (t, _) => t.L2WritePerBytePj));
        list.Add(new("dram", "dram", Cluster + @"dram\.(bytes|bytesRead|bytesWritten)$", "DRAM bytes moved at the interfaces", (t, _) => t.DramPerBytePj));
        list.Add(new("noc", "noc", @"^chip\d+\.noc\.ring\d+to\d+\.bytes$", "NoC byte-hops (each ring link a byte crosses)", (t, _) => t.NocPerByteHopPj));
        list.Add(new("xbar", "noc", Cluster + @"xbar\.bytes$", "cluster crossbar bytes", (t, _) => t.XbarPerBytePj));
        list.Add(new("pcie", "pcie", @"^chip\d+\.(pcieLink\.(up|down)|link\.pcie(Up|Down))\.bytes$", "PCIe bytes on the chips' links", (t, _) => t.PciePerBytePj));
        foreach (string prec in VpuPrecisions)
        {
            foreach (string op in VpuOpClasses)
            {
                list.Add(new("vpu." + op + "." + prec, "vpu", Cluster + @"vpu\.elementOps\." + op + @"\." + prec + "$", prec.ToUpperInvariant() + " elements processed by VPU " + op + "-class operations",
                    (t, _) => t.VpuPerElementPj[prec][op]));
            }
        }

        list.Add(new("vpu.gather", "vpu", Cluster + @"vpu\.elementOps\.gather$", "elements the VPU gathered or scattered", (t, _) => t.VpuGatherPerElementPj));
        foreach (string f in SfaFunctions)
        {
            list.Add(new("sfa." + f, "sfa", Cluster + @"sfa\.elements\." + f + "$", "SFA elements evaluated by " + f, (t, _) => t.SfaPerElementPj[f]));
        }

        list.Add(new("codec", "codec", Cluster + @"codec\.pixels$", "pixels decoded by the cluster's video/JPEG decoders", (t, _) => t.CodecPerPixelPj));
        return [.. list];
    }

    private sealed record Category(string Name, string BlockClass, string Rule, string Counted, Func<EnergyTable, int, double> Pj)
    {
        public Regex Pattern { get; } = new(Rule, RegexOptions.CultureInvariant);
    }
}
