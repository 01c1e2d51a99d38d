using System.Globalization;
using System.Text;
using Antoum.Sim.Blocks.Spu;
using Antoum.Sim.Config;

namespace Antoum.Sim.Workloads;

/// <summary>
/// One layer of a SCALE-Sim topology. Conv layers keep their dimensions (IFMAP sizes include any padding, as in
/// SCALE-Sim, so P = (H − R) / stride + 1); GEMM layers have only the shape. <see cref="SparsityN"/> of every
/// <see cref="SparsityM"/> weights are non-zero (1:1 = dense).
/// </summary>
public sealed record TopologyLayer(
    string Name,
    GemmShape Shape,
    bool IsConv,
    long IfmapH,
    long IfmapW,
    long FilterH,
    long FilterW,
    long Channels,
    long Filters,
    long Stride,
    int SparsityN,
    int SparsityM)
{
    /// <summary>Requested weight sparsity ratio: floor(M / N) (1 = dense).</summary>
    public int Ratio => Math.Max(1, SparsityM / Math.Max(1, SparsityN));

    /// <summary>Activation elements the layer reads once from DRAM: H·W·C for conv, M·K for GEMM.</summary>
    public long IfmapElements => IsConv ? IfmapH * IfmapW * Channels : Shape.M * Shape.K;

    public static TopologyLayer Conv(string name, long h, long w, long r, long s, long c, long filters, long stride, int sparsityN = 1, int sparsityM = 1)
    {
        GemmShape shape = GemmShape.Conv(1, h, w, c, filters, r, s, stride, 0);
        return new TopologyLayer(name, shape, true, h, w, r, s, c, filters, stride, sparsityN, sparsityM);
    }

    public static TopologyLayer Gemm(string name, long m, long n, long k, int sparsityN = 1, int sparsityM = 1)
    {
        return new TopologyLayer(name, new GemmShape(m, n, k), false, 0, 0, 0, 0, 0, 0, 0, sparsityN, sparsityM);
    }
}

/// <summary>
/// SCALE-Sim topology files: reading (conv format "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter
/// Width, Channels, Num Filter, Strides," or GEMM format "Layer, M, N, K", each with an optional "Sparsity" column
/// N:M) and the generators of the shipped topologies (<c>traces/topologies/*.csv</c>).
/// </summary>
public static class Topologies
{
    public const string ConvHeader = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Sparsity,";
    public const string GemmHeader = "Layer, M, N, K, Sparsity,";

    /// <summary>Names accepted by <see cref="Generate"/>.</summary>
    /// <summary>The most multiply-accumulates (and IFMAP elements) one layer may have: 10^15, as the workload readers.</summary>
    public const double MaxLayerMacs = 1e15;

    public static IReadOnlyList<string> Generators { get; } = ["resnet50", "gemm-suite"];

    /// <summary>Reads a topology file; errors name the file and line and say what was expected.</summary>
    public static IReadOnlyList<TopologyLayer> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new UserInputException($"{path}: topology file not found");
        }

        return Parse(File.ReadAllLines(path), path);
    }

    public static IReadOnlyList<TopologyLayer> Parse(IReadOnlyList<string> lines, string file)
    {
        int headerLine = -1;
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].Trim().Length > 0)
            {
                headerLine = i;
                break;
            }
        }

        if (headerLine < 0)
        {
            throw new UserInputException($"{file}: empty topology; expected a header line \"{ConvHeader}\" or \"{GemmHeader}\"");
        }

        string[] header = Cells(lines[headerLine]);
        bool gemm = header.Length >= 4 && header[1].Equals("M", StringComparison.OrdinalIgnoreCase)
            && header[2].Equals("N", StringComparison.OrdinalIgnoreCase) && header[3].Equals("K", StringComparison.OrdinalIgnoreCase);
        bool conv = header.Length >= 8 && header[1].Contains("IFMAP", StringComparison.OrdinalIgnoreCase);
        if (!gemm && !conv)
        {
            throw new UserInputException($"{file}:{headerLine + 1}: expected a header \"{ConvHeader}\" (conv) or \"{GemmHeader}\" (GEMM), got \"{lines[headerLine].Trim()}\"");
        }

        int numbers = gemm ? 3 : 7;
        int sparsityColumn = Array.FindIndex(header, h => h.Equals("Sparsity", StringComparison.OrdinalIgnoreCase));
        if (sparsityColumn >= 0 && sparsityColumn != numbers + 1)
        {
            throw new UserInputException($"{file}:{headerLine + 1}: expected the Sparsity column right after the {(gemm ? "K" : "Strides")} column");
        }

        var layers = new List<TopologyLayer>();
        for (int i = headerLine + 1; i < lines.Count; i++)
        {
            if (lines[i].Trim().Length == 0)
            {
                continue;
            }

            string where = $"{file}:{i + 1}";
            string[] cells = Cells(lines[i]);
            int expected = numbers + 1 + (sparsityColumn >= 0 ? 1 : 0);
            if (cells.Length < numbers + 1 || cells.Length > expected)
            {
                string columns = gemm ? "name, M, N, K" : "name, IFMAP height, IFMAP width, filter height, filter width, channels, filters, stride";
                throw new UserInputException($"{where}: expected {numbers + 1} columns ({columns}{(sparsityColumn >= 0 ? "[, sparsity N:M]" : string.Empty)}), got {cells.Length}");
            }

            if (cells[0].Length == 0)
            {
                throw new UserInputException($"{where}: expected a layer name in the first column");
            }

            long[] v = new long[numbers];
            for (int c = 0; c < numbers; c++)
            {
                if (!long.TryParse(cells[c + 1], NumberStyles.None, CultureInfo.InvariantCulture, out v[c]) || v[c] < 1 || v[c] > 1_000_000_000)
                {
                    throw new UserInputException($"{where}: column {c + 2} ({header[c + 1]}): expected an integer from 1 to 1000000000, got \"{cells[c + 1]}\"");
                }
            }

            (int sn, int sm) = (1, 1);
            if (cells.Length > numbers + 1 && cells[numbers + 1].Length > 0)
            {
                (sn, sm) = ParseSparsity(cells[numbers + 1], where);
            }

            if (gemm)
            {
                layers.Add(TopologyLayer.Gemm(cells[0], v[0], v[1], v[2], sn, sm));
            }
            else
            {
                if (v[2] > v[0] || v[3] > v[1])
                {
                    throw new UserInputException($"{where}: expected the filter ({v[2]}x{v[3]}) to fit the IFMAP ({v[0]}x{v[1]})");
                }

                layers.Add(TopologyLayer.Conv(cells[0], v[0], v[1], v[2], v[3], v[4], v[5], v[6], sn, sm));
            }

            // Each value is at most 10^9, but their products are not: keep every count the SPU model forms
            // (MACs, cycles, SRAM bytes) far inside 64 bits instead of letting it wrap around.
            GemmShape shape = layers[^1].Shape;
            double macs = (double)shape.M * shape.N * shape.K;
            double ifmap = (double)v[0] * v[1] * (gemm ? v[2] : v[4]);
            if (macs > MaxLayerMacs || ifmap > MaxLayerMacs)
            {
                throw new UserInputException(string.Create(CultureInfo.InvariantCulture,
                    $"{where}: layer \"{cells[0]}\" needs {macs:0.###e+0} multiply-accumulates, more than the {MaxLayerMacs:0e+0} this simulator accepts for one layer"));
            }
        }

        if (layers.Count == 0)
        {
            throw new UserInputException($"{file}: expected at least one layer after the header");
        }

        return layers;
    }

    private static (int N, int M) ParseSparsity(string text, string where)
    {
        string[] parts = text.Split(':');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int m)
            && n >= 1 && m >= n && m <= 1024)
        {
            return (n, m);
        }

        throw new UserInputException($"{where}: Sparsity: expected N:M with 1 <= N <= M (e.g. 1:4), got \"{text}\"");
    }

    private static string[] Cells(string line)
    {
        var cells = line.Split(',').Select(c => c.Trim()).ToList();
        while (cells.Count > 0 && cells[^1].Length == 0)
        {
            cells.RemoveAt(cells.Count - 1); // SCALE-Sim's trailing commas
        }

        return [.. cells];
    }

    /// <summary>The text of a generated topology: <c>resnet50</c> or <c>gemm-suite</c>.</summary>
    public static string Generate(string name)
    {
        var sb = new StringBuilder();
        switch (name)
        {
            case "resnet50":
                sb.Append(ConvHeader).Append('\n');
                foreach (TopologyLayer l in ResNet50())
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{l.Name}, {l.IfmapH}, {l.IfmapW}, {l.FilterH}, {l.FilterW}, {l.Channels}, {l.Filters}, {l.Stride}, {l.SparsityN}:{l.SparsityM},\n");
                }

                break;
            case "gemm-suite":
                sb.Append(GemmHeader).Append('\n');
                foreach (TopologyLayer l in GemmSuite())
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{l.Name}, {l.Shape.M}, {l.Shape.N}, {l.Shape.K}, {l.SparsityN}:{l.SparsityM},\n");
                }

                break;
            default:
                throw new UserInputException($"--generate: expected one of {string.Join(", ", Generators)} (got \"{name}\")");
        }

        return sb.ToString();
    }

    /// <summary>
    /// ResNet-50 v1 (He et al. 2016, Table 1) at 224×224, batch 1, dense: conv1 7×7/2 with 64 filters, then the
    /// bottleneck stages of 3, 4, 6, 3 blocks (1×1, 3×3, 1×1 with 4× expansion; the stride-2 3×3 opens stages 3-5;
    /// each stage's first block has a 1×1 projection shortcut) and fc 2048→1000 as a 1×1 conv on a 1×1 map.
    /// Padding is folded into the IFMAP sizes as SCALE-Sim expects, so output sizes are 112, 56, 28, 14, 7.
    /// Pooling layers are not SPU work and are left out.
    /// </summary>
    public static IReadOnlyList<TopologyLayer> ResNet50()
    {
        var layers = new List<TopologyLayer> { TopologyLayer.Conv("conv1", 230, 230, 7, 7, 3, 64, 2) };
        int[] blocks = [3, 4, 6, 3];
        int[] widths = [64, 128, 256, 512];
        long size = 56; // after the 3x3/2 max pool
        long channels = 64;
        for (int stage = 0; stage < 4; stage++)
        {
            int width = widths[stage];
            for (int b = 0; b < blocks[stage]; b++)
            {
                string name = $"conv{stage + 2}_{b + 1}";
                long stride = stage > 0 && b == 0 ? 2 : 1;
                long outSize = size / stride;
                layers.Add(TopologyLayer.Conv(name + "_a", size, size, 1, 1, channels, width, 1));
                layers.Add(TopologyLayer.Conv(name + "_b", size + 2, size + 2, 3, 3, width, width, stride));
                layers.Add(TopologyLayer.Conv(name + "_c", outSize, outSize, 1, 1, width, 4 * width, 1));
                if (b == 0)
                {
                    // Projection shortcut: 1x1 with the block's stride on the block input.
                    layers.Add(TopologyLayer.Conv(name + "_proj", size, size, 1, 1, channels, 4 * width, stride));
                }

                channels = 4 * width;
                size = outSize;
            }
        }

        layers.Add(TopologyLayer.Conv("fc", 1, 1, 1, 1, 2048, 1000, 1));
        return layers;
    }

    /// <summary>
    /// GEMMs of a BERT-base encoder layer at sequence length 384 (QKV, attention scores and context per head
    /// collapsed into one GEMM each, output projection, FFN up and down), dense and with 16x (1:16) and 4x (1:4)
    /// N:M weight sparsity, plus a few odd shapes that leave folds partly empty.
    /// </summary>
    public static IReadOnlyList<TopologyLayer> GemmSuite()
    {
        return
        [
            TopologyLayer.Gemm("bert_qkv", 384, 2304, 768),
            TopologyLayer.Gemm("bert_scores", 384, 384, 64),
            TopologyLayer.Gemm("bert_context", 384, 64, 384),
            TopologyLayer.Gemm("bert_out", 384, 768, 768),
            TopologyLayer.Gemm("bert_ffn_up", 384, 3072, 768),
            TopologyLayer.Gemm("bert_ffn_down", 384, 768, 3072),
            TopologyLayer.Gemm("bert_ffn_up_1of16", 384, 3072, 768, 1, 16),
            TopologyLayer.Gemm("bert_ffn_down_1of16", 384, 768, 3072, 1, 16),
            TopologyLayer.Gemm("bert_out_1of4", 384, 768, 768, 1, 4),
            TopologyLayer.Gemm("odd_17x33x65", 17, 33, 65),
            TopologyLayer.Gemm("odd_1x1000x2048", 1, 1000, 2048),
            TopologyLayer.Gemm("odd_3x3x3_3of8", 3, 3, 3, 3, 8),
        ];
    }
}
