using System.Globalization;
using System.Text;

namespace Antoum.Firmware.Workloads;

/// <summary>N of every M weights kept, as a SCALE-Sim topology's Sparsity column writes it (1:1 = dense).</summary>
public readonly record struct NofM(int N, int M)
{
    public static NofM Dense => new(1, 1);

    /// <summary>The sparsity ratio M / N, rounded down (1 = dense).</summary>
    public int Ratio => M / N;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{N}:{M}");
}

/// <summary>
/// A SCALE-Sim topology CSV: conv rows <c>Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width,
/// Channels, Num Filter, Strides,</c> (IFMAP sizes include the padding, so Pad = 0) or GEMM rows
/// <c>Layer, M, N, K</c>, each with an optional <c>Sparsity</c> column <c>N:M</c> (N of every M weights kept:
/// ratio M/N, rounded down, format nofm). <see cref="Graph"/> holds the layers (INT8, named after the file);
/// <see cref="Sparsity"/> keeps each layer's N:M as written, which the ratio alone does not. Also the generators of
/// the shipped topologies (<c>traces/topologies/*.csv</c>, written by <c>antoum layers --generate</c>).
/// </summary>
public sealed record ScaleSimTopology(WorkloadGraph Graph, IReadOnlyList<NofM> Sparsity)
{
    public const string ConvHeader = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides, Sparsity,";
    public const string GemmHeader = "Layer, M, N, K, Sparsity,";

    /// <summary>Names accepted by <see cref="Generate"/>.</summary>
    public static IReadOnlyList<string> Generators { get; } = ["resnet50", "gemm-suite"];

    /// <summary>Reads a topology file; errors (<see cref="WorkloadException"/>) name the file and line and say what was expected.</summary>
    public static ScaleSimTopology Read(string path)
    {
        if (Directory.Exists(path))
        {
            throw new WorkloadException($"{path}: is a folder; expected a topology CSV file");
        }

        if (!File.Exists(path))
        {
            throw new WorkloadException($"{path}: topology file not found");
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new WorkloadException($"{path}: cannot read the topology file: {e.Message}", e);
        }

        return Parse(lines, path);
    }

    /// <summary>As <see cref="Read"/>, from the file's lines; <paramref name="file"/> is used in error messages.</summary>
    public static ScaleSimTopology Parse(IReadOnlyList<string> lines, string file)
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
            throw new WorkloadException($"{file}: empty topology; expected a conv header \"Layer name, IFMAP Height, ...\" or a GEMM header \"Layer, M, N, K\"");
        }

        string[] header = Cells(lines[headerLine]);
        bool gemm = header.Length >= 4 && header[1].Equals("M", StringComparison.OrdinalIgnoreCase)
            && header[2].Equals("N", StringComparison.OrdinalIgnoreCase) && header[3].Equals("K", StringComparison.OrdinalIgnoreCase);
        bool conv = header.Length >= 8 && header[1].Contains("IFMAP", StringComparison.OrdinalIgnoreCase);
        if (!gemm && !conv)
        {
            throw new WorkloadException(file, headerLine + 1, 0, $"expected a conv header \"Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\" or a GEMM header \"Layer, M, N, K,\", got \"{Shown(lines[headerLine].Trim())}\"");
        }

        int numbers = gemm ? 3 : 7;
        int sparsityColumn = Array.FindIndex(header, h => h.Equals("Sparsity", StringComparison.OrdinalIgnoreCase));
        if (sparsityColumn >= 0 && sparsityColumn != numbers + 1)
        {
            throw new WorkloadException(file, headerLine + 1, 0, $"expected the Sparsity column right after the {(gemm ? "K" : "Strides")} column");
        }

        var layers = new List<Layer>();
        var sparsities = new List<NofM>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = headerLine + 1; i < lines.Count; i++)
        {
            if (lines[i].Trim().Length == 0)
            {
                continue;
            }

            int line = i + 1;
            string[] cells = Cells(lines[i]);
            int most = numbers + 1 + (sparsityColumn >= 0 ? 1 : 0);
            if (cells.Length < numbers + 1 || cells.Length > most)
            {
                string columns = gemm ? "name, M, N, K" : "name, IFMAP height, IFMAP width, filter height, filter width, channels, filters, stride";
                throw new WorkloadException(file, line, 0, $"expected {numbers + 1} columns ({columns}{(sparsityColumn >= 0 ? "[, sparsity N:M]" : string.Empty)}), got {cells.Length}");
            }

            if (cells[0].Length == 0)
            {
                throw new WorkloadException(file, line, 0, "expected a layer name in the first column");
            }

            if (!names.Add(cells[0]))
            {
                throw new WorkloadException(file, line, 0, $"duplicate layer name \"{cells[0]}\"");
            }

            int[] v = new int[numbers];
            for (int c = 0; c < numbers; c++)
            {
                if (!int.TryParse(cells[c + 1], NumberStyles.None, CultureInfo.InvariantCulture, out v[c]) || v[c] < 1)
                {
                    throw new WorkloadException(file, line, 0, $"column {c + 2} ({header[c + 1]}): expected an integer from 1 to {int.MaxValue}, got \"{cells[c + 1]}\"");
                }
            }

            NofM nm = NofM.Dense;
            if (cells.Length > numbers + 1 && cells[numbers + 1].Length > 0)
            {
                nm = ParseSparsity(cells[numbers + 1], file, line);
            }

            if (!gemm && (v[2] > v[0] || v[3] > v[1]))
            {
                throw new WorkloadException(file, line, 0, $"expected the filter ({v[2]}x{v[3]}) to fit the IFMAP ({v[0]}x{v[1]})");
            }

            // Each value fits 32 bits, but their products do not: keep every count the models form (MACs, cycles,
            // SRAM and DRAM bytes) far inside 64 bits instead of letting it wrap around.
            double macs = gemm
                ? (double)v[0] * v[1] * v[2]
                : ((double)((v[0] - v[2]) / v[6]) + 1) * (((v[1] - v[3]) / v[6]) + 1) * v[2] * v[3] * v[4] * v[5];
            double ifmap = gemm ? (double)v[0] * v[2] : (double)v[0] * v[1] * v[4];
            if (macs > LayerMath.MaxLayerMacs || ifmap > LayerMath.MaxLayerMacs)
            {
                throw new WorkloadException(file, line, 0, string.Create(CultureInfo.InvariantCulture,
                    $"layer \"{cells[0]}\" needs {Math.Max(macs, ifmap):0.###e+0} {(macs >= ifmap ? "multiply-accumulates" : "input elements")}, more than the {LayerMath.MaxLayerMacs:0e+0} this simulator accepts for one layer"));
            }

            LayerSparsity sparsity = nm.Ratio == 1 ? LayerSparsity.Dense : new LayerSparsity(nm.Ratio, "nofm");
            layers.Add(gemm
                ? new Layer { Name = cells[0], Op = OpKind.Gemm, M = v[0], N = v[1], K = v[2], Sparsity = sparsity }
                : new Layer { Name = cells[0], Op = OpKind.Conv, H = v[0], W = v[1], R = v[2], S = v[3], C = v[4], K = v[5], Stride = v[6], Pad = 0, Sparsity = sparsity });
            sparsities.Add(nm);
        }

        if (layers.Count == 0)
        {
            throw new WorkloadException($"{file}: expected at least one layer after the header");
        }

        var graph = new WorkloadGraph
        {
            Name = Path.GetFileNameWithoutExtension(file),
            Description = $"imported from SCALE-Sim topology {Path.GetFileName(file)}",
            Layers = layers,
        };
        return new ScaleSimTopology(graph, sparsities);
    }

    /// <summary>
    /// The topology as SCALE-Sim CSV text: the conv format when every layer is a conv (unpadded, ungrouped: SCALE-Sim
    /// folds the padding into the IFMAP size), the GEMM format when every layer is a GEMM. <see cref="Parse"/> of the
    /// text gives the same layers back.
    /// </summary>
    public string ToCsv()
    {
        IReadOnlyList<Layer> layers = Graph.Layers;
        bool gemm = layers.Count > 0 && layers[0].Op == OpKind.Gemm;
        var sb = new StringBuilder();
        sb.Append(gemm ? GemmHeader : ConvHeader).Append('\n');
        for (int i = 0; i < layers.Count; i++)
        {
            Layer l = layers[i];
            if (l.Op != (gemm ? OpKind.Gemm : OpKind.Conv) || (!gemm && (l.Pad != 0 || l.Groups > 1)))
            {
                throw new ArgumentException($"layer \"{l.Name}\": a SCALE-Sim topology holds either unpadded ungrouped convs or GEMMs only", nameof(Graph));
            }

            if (gemm)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{l.Name}, {l.M}, {l.N}, {l.K}, {Sparsity[i]},\n");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"{l.Name}, {l.H}, {l.W}, {l.R}, {l.S}, {l.C}, {l.K}, {l.Stride}, {Sparsity[i]},\n");
            }
        }

        return sb.ToString();
    }

    /// <summary>A shipped topology by name (one of <see cref="Generators"/>); null for an unknown name.</summary>
    public static ScaleSimTopology? Generate(string name)
    {
        return name switch
        {
            "resnet50" => ResNet50(),
            "gemm-suite" => GemmSuite(),
            _ => null,
        };
    }

    /// <summary>
    /// The SPU layers of <see cref="Networks.ResNet50"/> at batch 1 as SCALE-Sim runs them: dense, padding folded into
    /// the IFMAP sizes (so output sizes are 112, 56, 28, 14, 7), pooling and residual adds left out (not SPU work), fc
    /// 2048→1000 as a 1×1 conv on a 1×1 map, and the layers named as in He et al. 2016 Table 1
    /// (<c>layer1.0.conv1</c> → <c>conv2_1_a</c>, <c>.conv2</c> → <c>_b</c>, <c>.conv3</c> → <c>_c</c>,
    /// <c>.downsample</c> → <c>_proj</c>).
    /// </summary>
    public static ScaleSimTopology ResNet50()
    {
        WorkloadGraph net = Networks.ResNet50();
        var layers = new List<Layer>();
        foreach (Layer l in net.Layers)
        {
            if (l.Op == OpKind.Conv)
            {
                layers.Add(l with { Name = PaperName(l.Name), H = l.H + (2 * l.Pad), W = l.W + (2 * l.Pad), Pad = 0, Sparsity = LayerSparsity.Dense });
            }
            else if (l.Op == OpKind.Gemm)
            {
                // M rows of K → N: a 1×1 conv with K channels and N filters on a 1×M map.
                layers.Add(new Layer { Name = l.Name, Op = OpKind.Conv, H = 1, W = l.M, R = 1, S = 1, C = l.K, K = l.N, Stride = 1 });
            }
        }

        var graph = net with
        {
            Name = "resnet50",
            Aliases = [],
            Description = "SPU layers of ResNet-50 v1.5 at 224x224, batch 1, dense, as a SCALE-Sim topology",
            Layers = layers,
        };
        return new ScaleSimTopology(graph, [.. layers.Select(_ => NofM.Dense)]);
    }

    /// <summary>
    /// GEMMs of a BERT-base encoder layer at sequence length 384 (QKV, attention scores and context per head
    /// collapsed into one GEMM each, output projection, FFN up and down), dense and with 16x (1:16) and 4x (1:4)
    /// N:M weight sparsity, plus a few odd shapes that leave folds partly empty.
    /// </summary>
    public static ScaleSimTopology GemmSuite()
    {
        (string Name, int M, int N, int K, NofM Sparsity)[] rows =
        [
            ("bert_qkv", 384, 2304, 768, NofM.Dense),
            ("bert_scores", 384, 384, 64, NofM.Dense),
            ("bert_context", 384, 64, 384, NofM.Dense),
            ("bert_out", 384, 768, 768, NofM.Dense),
            ("bert_ffn_up", 384, 3072, 768, NofM.Dense),
            ("bert_ffn_down", 384, 768, 3072, NofM.Dense),
            ("bert_ffn_up_1of16", 384, 3072, 768, new NofM(1, 16)),
            ("bert_ffn_down_1of16", 384, 768, 3072, new NofM(1, 16)),
            ("bert_out_1of4", 384, 768, 768, new NofM(1, 4)),
            ("odd_17x33x65", 17, 33, 65, NofM.Dense),
            ("odd_1x1000x2048", 1, 1000, 2048, NofM.Dense),
            ("odd_3x3x3_3of8", 3, 3, 3, new NofM(3, 8)),
        ];
        var graph = new WorkloadGraph
        {
            Name = "gemm-suite",
            Description = "BERT-base encoder GEMMs at seq 384, dense and N:M sparse, and odd shapes, as a SCALE-Sim topology",
            Layers = [.. rows.Select(r => new Layer
            {
                Name = r.Name,
                Op = OpKind.Gemm,
                M = r.M,
                N = r.N,
                K = r.K,
                Sparsity = r.Sparsity.Ratio == 1 ? LayerSparsity.Dense : new LayerSparsity(r.Sparsity.Ratio, "nofm"),
            })],
        };
        return new ScaleSimTopology(graph, [.. rows.Select(r => r.Sparsity)]);
    }

    // torchvision's "layer{s}.{b}.conv{1,2,3}" / ".downsample" → He et al.'s "conv{s+1}_{b+1}_{a,b,c}" / "_proj".
    private static string PaperName(string name)
    {
        string[] parts = name.Split('.');
        if (parts.Length != 3 || !parts[0].StartsWith("layer", StringComparison.Ordinal))
        {
            return name;
        }

        int stage = int.Parse(parts[0]["layer".Length..], CultureInfo.InvariantCulture) + 1;
        int block = int.Parse(parts[1], CultureInfo.InvariantCulture) + 1;
        string suffix = parts[2] switch
        {
            "conv1" => "a",
            "conv2" => "b",
            "conv3" => "c",
            "downsample" => "proj",
            _ => parts[2],
        };
        return string.Create(CultureInfo.InvariantCulture, $"conv{stage}_{block}_{suffix}");
    }

    private static NofM ParseSparsity(string text, string file, int line)
    {
        string[] parts = text.Split(':');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int m)
            && n >= 1 && m >= n)
        {
            if (m / n > WorkloadFile.MaxRatio)
            {
                throw new WorkloadException(file, line, 0, $"Sparsity: ratio M/N must be 1..{WorkloadFile.MaxRatio} (got {text} = {m / n}x)");
            }

            return new NofM(n, m);
        }

        throw new WorkloadException(file, line, 0, $"Sparsity: expected N:M with 1 <= N <= M (e.g. 1:4), got \"{text}\"");
    }

    // A line quoted in a message: at most 80 characters, control and non-ASCII characters as '?' (binary input stays one readable line).
    private static string Shown(string line)
    {
        var sb = new StringBuilder();
        foreach (char ch in line.Length > 80 ? line[..80] : line)
        {
            sb.Append(ch is >= ' ' and <= '~' ? ch : '?');
        }

        return line.Length > 80 ? sb.Append("...").ToString() : sb.ToString();
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
}
