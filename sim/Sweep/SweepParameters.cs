using System.Globalization;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Config;

namespace Antoum.Sim.Sweep;

/// <summary>
/// The sweep parameters that are not plain configuration keys: <c>spu.array</c> (RxC → spu.rows, spu.cols),
/// <c>workload.sparsity</c> and <c>workload.format</c> (rewrite the network's sparse layers). Everything else is a
/// configuration key passed on as <c>--set key=value</c>.
/// </summary>
public static class SweepParameters
{
    public const string Array = "spu.array";
    public const string Sparsity = "workload.sparsity";
    public const string SparseFormat = "workload.format";

    public static IReadOnlyList<string> Names { get; } = [Array, Sparsity, SparseFormat];

    public static bool IsSweepParameter(string key) =>
        string.Equals(key, Array, StringComparison.OrdinalIgnoreCase) || string.Equals(key, "chip." + Array, StringComparison.OrdinalIgnoreCase) ||
        string.Equals(key, Sparsity, StringComparison.OrdinalIgnoreCase) || string.Equals(key, SparseFormat, StringComparison.OrdinalIgnoreCase);

    private static bool IsWorkloadParameter(string key) =>
        string.Equals(key, Sparsity, StringComparison.OrdinalIgnoreCase) || string.Equals(key, SparseFormat, StringComparison.OrdinalIgnoreCase);

    /// <summary>The <c>--set</c> overrides of a point (fixed ones first, then the point's configuration values).</summary>
    /// <exception cref="UserInputException">A malformed <c>spu.array</c> value.</exception>
    public static List<string> ConfigOverrides(SweepSpec spec, SweepPoint point)
    {
        var sets = new List<string>();
        foreach (KeyValuePair<string, string> kv in spec.Fixed)
        {
            Add(sets, kv.Key, kv.Value);
        }

        for (int i = 0; i < spec.Parameters.Count; i++)
        {
            Add(sets, spec.Parameters[i], point.Values[i]);
        }

        return sets;
    }

    private static void Add(List<string> sets, string key, string value)
    {
        if (IsWorkloadParameter(key))
        {
            return;
        }

        if (string.Equals(key, Array, StringComparison.OrdinalIgnoreCase) || string.Equals(key, "chip." + Array, StringComparison.OrdinalIgnoreCase))
        {
            string[] rc = value.Split('x', 'X');
            if (rc.Length != 2 || !int.TryParse(rc[0], NumberStyles.None, CultureInfo.InvariantCulture, out int r) ||
                !int.TryParse(rc[1], NumberStyles.None, CultureInfo.InvariantCulture, out int c))
            {
                throw new UserInputException($"spu.array: expected ROWSxCOLS such as 16x32, got \"{value}\"");
            }

            sets.Add("chip.spu.rows=" + r.ToString(CultureInfo.InvariantCulture));
            sets.Add("chip.spu.cols=" + c.ToString(CultureInfo.InvariantCulture));
            return;
        }

        sets.Add(key + "=" + value);
    }

    /// <summary>
    /// The point's workload graph: the named network with <c>workload.sparsity</c> / <c>workload.format</c> applied
    /// to its sparse layers (the layers the network marks sparse; when it marks none, every conv and gemm layer
    /// that is not depthwise). Sparsity 0% (ratio 1) makes those layers dense.
    /// </summary>
    public static WorkloadGraph ApplyWorkloadParameters(WorkloadGraph graph, SweepSpec spec, SweepPoint point)
    {
        string? sparsity = null;
        string? format = null;
        foreach (KeyValuePair<string, string> kv in spec.Fixed)
        {
            Pick(kv.Key, kv.Value, ref sparsity, ref format);
        }

        for (int i = 0; i < spec.Parameters.Count; i++)
        {
            Pick(spec.Parameters[i], point.Values[i], ref sparsity, ref format);
        }

        if (sparsity is null && format is null)
        {
            return graph;
        }

        int? ratio = sparsity is null ? null : ParseRatio(sparsity);
        if (format is not null && !WorkloadFile.Formats.Contains(format.ToLowerInvariant(), StringComparer.Ordinal))
        {
            throw new UserInputException($"workload.format: expected one of {string.Join(", ", WorkloadFile.Formats)}, got \"{format}\"");
        }

        bool anySparse = graph.Layers.Any(l => l.HasWeights() && l.Sparsity.Ratio > 1);
        var layers = new List<Layer>(graph.Layers.Count);
        foreach (Layer l in graph.Layers)
        {
            bool target = anySparse ? l.HasWeights() && l.Sparsity.Ratio > 1 : l.HasWeights() && l.Groups <= 1;
            if (!target)
            {
                layers.Add(l);
                continue;
            }

            int r = ratio ?? l.Sparsity.Ratio;
            string f = format?.ToLowerInvariant() ?? (l.Sparsity.Format == "dense" ? "bitmap" : l.Sparsity.Format);
            layers.Add(l with { Sparsity = r <= 1 || f == "dense" ? LayerSparsity.Dense : new LayerSparsity(r, f) });
        }

        return graph with { Layers = layers };
    }

    private static void Pick(string key, string value, ref string? sparsity, ref string? format)
    {
        if (string.Equals(key, Sparsity, StringComparison.OrdinalIgnoreCase))
        {
            sparsity = value;
        }
        else if (string.Equals(key, SparseFormat, StringComparison.OrdinalIgnoreCase))
        {
            format = value;
        }
    }

    /// <summary>
    /// A weight-sparsity value as the compiler's integer ratio (dense positions per kept weight): "8x" → 8, "87.5%" → 8,
    /// "0%" → 1. A percentage must give a whole ratio 100/(100 − p) to within 1 % (e.g. 50, 75, 80, 87.5, 90, 95 %).
    /// </summary>
    public static int ParseRatio(string text)
    {
        string t = text.Trim();
        if (t.EndsWith('x') || t.EndsWith('X'))
        {
            if (int.TryParse(t[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int r) && r >= 1 && r <= Antoum.Isa.SpuFlags.MaxRatio)
            {
                return r;
            }

            throw new UserInputException($"workload.sparsity: expected a ratio 1x..{Antoum.Isa.SpuFlags.MaxRatio}x, got \"{text}\"");
        }

        if (t.EndsWith('%') && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double p) && p >= 0 && p < 100)
        {
            double ratio = 100 / (100 - p);
            int whole = (int)Math.Round(ratio);
            if (Math.Abs(ratio - whole) <= 0.01 * ratio && whole <= Antoum.Isa.SpuFlags.MaxRatio)
            {
                return whole;
            }

            throw new UserInputException($"workload.sparsity: {text} is a ratio of {ratio.ToString("0.###", CultureInfo.InvariantCulture)}x; the compiler takes whole ratios 1x..{Antoum.Isa.SpuFlags.MaxRatio}x (e.g. 50%, 75%, 80%, 87.5%, 90%, 95%)");
        }

        throw new UserInputException($"workload.sparsity: expected a percentage 0%..<100% or a ratio such as 8x, got \"{text}\"");
    }
}
