using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Antoum.Firmware.Workloads;

/// <summary>
/// Reads and writes workload graphs: the JSON layer-graph format of <c>traces/*.json</c> (see docs/workloads.md)
/// and SCALE-Sim topology CSV files. The reader is strict: unknown keys, missing fields, sizes that are not
/// positive, unknown ops or formats and out-of-range sparsity ratios are errors naming the file and JSON path.
/// </summary>
public static class WorkloadFile
{
    /// <summary>Sparse formats, named as in the ISA's <c>fmt=</c> flag.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["dense", "nofm", "bitmap", "csr", "blockcsr"];

    /// <summary>Largest accepted sparsity ratio (the chip's native maximum; other ratios are mapped down by the SPU).</summary>
    public const int MaxRatio = 32;

    /// <summary>The mixed-precision default: matmul layers (conv, gemm, batchMatmul, attention) INT8, the rest BF16.</summary>
    public const string MixedPrecision = "mixInt8Bf16";

    private static readonly (OpKind Op, string Name, string[] Required, string[] Optional)[] s_ops =
    [
        (OpKind.Conv, "conv", ["h", "w", "c", "k", "r", "s"], ["stride", "pad", "groups"]),
        (OpKind.Gemm, "gemm", ["m", "n", "k"], []),
        (OpKind.BatchMatmul, "batchMatmul", ["batch", "m", "n", "k"], []),
        (OpKind.Attention, "attention", ["heads", "seq", "headDim"], []),
        (OpKind.LayerNorm, "layernorm", ["elements"], []),
        (OpKind.Softmax, "softmax", ["elements", "cols"], []),
        (OpKind.Gelu, "gelu", ["elements"], []),
        (OpKind.Add, "add", ["elements"], []),
        (OpKind.Mul, "mul", ["elements"], []),
        (OpKind.Pool, "pool", ["h", "w", "c", "r", "s"], ["stride", "pad", "poolKind"]),
        (OpKind.Resize, "resize", ["h", "w", "c"], ["scale"]),
        (OpKind.Embedding, "embedding", ["tokens", "dim"], []),
    ];

    private static readonly string[] s_topKeys =
        ["name", "aliases", "description", "input", "inputBytesPerSample", "outputBytesPerSample", "defaultBatch", "defaults", "layers"];

    private static readonly string[] s_commonLayerKeys = ["name", "op", "precision", "sparsity"];

    /// <summary>The JSON name of an op kind (<c>conv</c>, <c>batchMatmul</c>, <c>layernorm</c>, ...).</summary>
    public static string OpName(OpKind op) => Array.Find(s_ops, o => o.Op == op).Name;

    /// <summary>Reads a JSON layer graph from a file.</summary>
    public static WorkloadGraph Load(string path)
    {
        if (Directory.Exists(path))
        {
            throw new WorkloadException($"{path}: is a folder; expected a workload JSON file");
        }

        if (!File.Exists(path))
        {
            throw new WorkloadException($"{path}: workload file not found");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>
    /// Loads a workload by what the user typed: a shipped network name or alias, a <c>.json</c> layer graph or a
    /// SCALE-Sim <c>.csv</c> topology.
    /// </summary>
    public static WorkloadGraph LoadAny(string nameOrPath)
    {
        if (nameOrPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            return FromScaleSimCsv(nameOrPath);
        }

        if (nameOrPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath))
        {
            return Load(nameOrPath);
        }

        return Networks.Resolve(nameOrPath);
    }

    /// <summary>Parses a JSON layer graph; <paramref name="fileName"/> is used in error messages.</summary>
    public static WorkloadGraph Parse(string json, string fileName)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw new WorkloadException($"{fileName}: the file is empty; expected a JSON layer graph object");
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException e)
        {
            string msg = e.Message;
            int cut = msg.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut > 0)
            {
                msg = msg[..cut].TrimEnd();
            }

            throw new WorkloadException(fileName, (int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, "malformed JSON: " + msg, e);
        }

        using (doc)
        {
            return new Reader(fileName).Graph(doc.RootElement);
        }
    }

    /// <summary>
    /// Canonical JSON of a graph: fixed key order, one layer per line, defaults (precision, and the most common
    /// sparsity of the weight layers) factored out, every op field written. Deterministic, so generated files are
    /// stable; <see cref="Parse"/> of the result equals the graph.
    /// </summary>
    public static string ToJson(WorkloadGraph graph)
    {
        var sb = new StringBuilder();
        sb.Append("{\n");
        sb.Append("  \"name\": ").Append(Str(graph.Name)).Append(",\n");
        sb.Append("  \"aliases\": [").Append(string.Join(", ", graph.Aliases.Select(Str))).Append("],\n");
        sb.Append("  \"description\": ").Append(Str(graph.Description)).Append(",\n");
        sb.Append("  \"input\": ").Append(Str(graph.Input)).Append(",\n");
        sb.Append(CultureInfo.InvariantCulture, $"  \"inputBytesPerSample\": {graph.InputBytesPerSample},\n");
        sb.Append(CultureInfo.InvariantCulture, $"  \"outputBytesPerSample\": {graph.OutputBytesPerSample},\n");
        sb.Append(CultureInfo.InvariantCulture, $"  \"defaultBatch\": {graph.DefaultBatch},\n");

        string precision = DefaultPrecision(graph.Layers);
        LayerSparsity sparsity = DefaultSparsity(graph.Layers);
        sb.Append("  \"defaults\": {\"precision\": ").Append(Str(precision));
        if (sparsity != LayerSparsity.Dense)
        {
            sb.Append(", \"sparsity\": ").Append(SparsityJson(sparsity));
        }

        sb.Append("},\n");
        sb.Append("  \"layers\": [\n");
        for (int i = 0; i < graph.Layers.Count; i++)
        {
            sb.Append("    ").Append(LayerJson(graph.Layers[i], precision, sparsity));
            sb.Append(i + 1 < graph.Layers.Count ? ",\n" : "\n");
        }

        sb.Append("  ]\n}\n");
        return sb.ToString();
    }

    /// <summary>Imports a SCALE-Sim topology CSV (see <see cref="ScaleSimTopology"/>): INT8 layers, the graph named after the file.</summary>
    public static WorkloadGraph FromScaleSimCsv(string path) => ScaleSimTopology.Read(path).Graph;

    /// <summary>As <see cref="FromScaleSimCsv"/>, from the file's lines.</summary>
    public static WorkloadGraph ParseScaleSimCsv(IReadOnlyList<string> lines, string file) => ScaleSimTopology.Parse(lines, file).Graph;

    private static string Str(string s) => JsonSerializer.Serialize(s);

    private static string PrecisionName(LayerPrecision p) => p == LayerPrecision.Bf16 ? "bf16" : "int8";

    private static LayerPrecision Implied(string defaultPrecision, Layer l)
    {
        return defaultPrecision switch
        {
            "bf16" => LayerPrecision.Bf16,
            MixedPrecision => l.IsMatmul() ? LayerPrecision.Int8 : LayerPrecision.Bf16,
            _ => LayerPrecision.Int8,
        };
    }

    private static string DefaultPrecision(IReadOnlyList<Layer> layers)
    {
        if (layers.All(l => l.Precision == LayerPrecision.Int8))
        {
            return "int8";
        }

        if (layers.All(l => l.Precision == LayerPrecision.Bf16))
        {
            return "bf16";
        }

        return layers.All(l => l.Precision == Implied(MixedPrecision, l)) ? MixedPrecision : "int8";
    }

    private static LayerSparsity DefaultSparsity(IReadOnlyList<Layer> layers)
    {
        // The most common sparsity of the weight layers; ties go to the one seen first.
        LayerSparsity best = LayerSparsity.Dense;
        int bestCount = 0;
        var counts = new Dictionary<LayerSparsity, int>();
        foreach (Layer l in layers.Where(l => l.HasWeights()))
        {
            int c = counts.GetValueOrDefault(l.Sparsity) + 1;
            counts[l.Sparsity] = c;
            if (c > bestCount)
            {
                (best, bestCount) = (l.Sparsity, c);
            }
        }

        return best;
    }

    private static string SparsityJson(LayerSparsity s) =>
        string.Create(CultureInfo.InvariantCulture, $"{{\"ratio\": {s.Ratio}, \"format\": {Str(s.Format)}}}");

    private static string LayerJson(Layer l, string defaultPrecision, LayerSparsity defaultSparsity)
    {
        var sb = new StringBuilder();
        sb.Append("{\"name\": ").Append(Str(l.Name)).Append(", \"op\": ").Append(Str(OpName(l.Op)));
        void Int(string key, long value) => sb.Append(CultureInfo.InvariantCulture, $", \"{key}\": {value}");
        switch (l.Op)
        {
            case OpKind.Conv:
                Int("h", l.H);
                Int("w", l.W);
                Int("c", l.C);
                Int("k", l.K);
                Int("r", l.R);
                Int("s", l.S);
                Int("stride", l.Stride);
                Int("pad", l.Pad);
                Int("groups", l.Groups);
                break;
            case OpKind.Gemm:
                Int("m", l.M);
                Int("n", l.N);
                Int("k", l.K);
                break;
            case OpKind.BatchMatmul:
                Int("batch", l.Batch);
                Int("m", l.M);
                Int("n", l.N);
                Int("k", l.K);
                break;
            case OpKind.Attention:
                Int("heads", l.Heads);
                Int("seq", l.Seq);
                Int("headDim", l.HeadDim);
                break;
            case OpKind.Softmax:
                Int("elements", l.Elements);
                Int("cols", l.Cols);
                break;
            case OpKind.Pool:
                Int("h", l.H);
                Int("w", l.W);
                Int("c", l.C);
                Int("r", l.R);
                Int("s", l.S);
                Int("stride", l.Stride);
                Int("pad", l.Pad);
                sb.Append(", \"poolKind\": ").Append(Str(l.PoolKind));
                break;
            case OpKind.Resize:
                Int("h", l.H);
                Int("w", l.W);
                Int("c", l.C);
                Int("scale", l.Scale);
                break;
            case OpKind.Embedding:
                Int("tokens", l.Tokens);
                Int("dim", l.Dim);
                break;
            default:
                Int("elements", l.Elements);
                break;
        }

        if (l.Precision != Implied(defaultPrecision, l))
        {
            sb.Append(", \"precision\": ").Append(Str(PrecisionName(l.Precision)));
        }

        LayerSparsity implied = l.HasWeights() ? defaultSparsity : LayerSparsity.Dense;
        if (l.Sparsity != implied)
        {
            sb.Append(", \"sparsity\": ").Append(SparsityJson(l.Sparsity));
        }

        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>The strict reader: every error names the file and JSON path.</summary>
    private sealed class Reader(string file)
    {
        private WorkloadException Fail(string path, string detail) => new(file, path, detail);

        public WorkloadGraph Graph(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Fail(string.Empty, $"expected a JSON object at the top level, got {Kind(root)}");
            }

            Dictionary<string, JsonElement> top = Keys(root, string.Empty, s_topKeys);
            string name = Text(top, string.Empty, "name", required: true)!;
            if (name.Length == 0)
            {
                throw Fail("name", "must not be empty");
            }

            List<string> aliases = [];
            if (top.TryGetValue("aliases", out JsonElement a))
            {
                if (a.ValueKind != JsonValueKind.Array)
                {
                    throw Fail("aliases", $"expected an array of strings, got {Kind(a)}");
                }

                int i = 0;
                foreach (JsonElement e in a.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.String || e.GetString()!.Length == 0)
                    {
                        throw Fail($"aliases[{i}]", $"expected a non-empty string, got {Kind(e)}");
                    }

                    aliases.Add(e.GetString()!);
                    i++;
                }
            }

            string defaultPrecision = "int8";
            LayerSparsity defaultSparsity = LayerSparsity.Dense;
            if (top.TryGetValue("defaults", out JsonElement d))
            {
                if (d.ValueKind != JsonValueKind.Object)
                {
                    throw Fail("defaults", $"expected an object, got {Kind(d)}");
                }

                Dictionary<string, JsonElement> dk = Keys(d, "defaults", ["precision", "sparsity"]);
                string? p = Text(dk, "defaults", "precision", required: false);
                if (p is not null)
                {
                    if (p is not ("int8" or "bf16" or MixedPrecision))
                    {
                        throw Fail("defaults.precision", $"unknown precision \"{p}\" (expected one of: int8, bf16, {MixedPrecision})");
                    }

                    defaultPrecision = p;
                }

                if (dk.TryGetValue("sparsity", out JsonElement s))
                {
                    defaultSparsity = Sparsity(s, "defaults.sparsity");
                }
            }

            if (!top.TryGetValue("layers", out JsonElement layersElement))
            {
                throw Fail("layers", "required");
            }

            if (layersElement.ValueKind != JsonValueKind.Array || layersElement.GetArrayLength() == 0)
            {
                throw Fail("layers", $"expected a non-empty array of layer objects, got {(layersElement.ValueKind == JsonValueKind.Array ? "an empty array" : Kind(layersElement))}");
            }

            var layers = new List<Layer>();
            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            int index = 0;
            foreach (JsonElement le in layersElement.EnumerateArray())
            {
                Layer layer = LayerOf(le, $"layers[{index}]", defaultPrecision, defaultSparsity);
                if (seen.TryGetValue(layer.Name, out int first))
                {
                    throw Fail($"layers[{index}].name", $"duplicate layer name \"{layer.Name}\" (first at layers[{first}])");
                }

                if (layer.MacsEstimate() > LayerMath.MaxLayerMacs)
                {
                    throw Fail($"layers[{index}]", string.Create(CultureInfo.InvariantCulture,
                        $"layer \"{layer.Name}\" needs {layer.MacsEstimate():0.###e+0} multiply-accumulates per sample, more than the {LayerMath.MaxLayerMacs:0e+0} this simulator accepts for one layer"));
                }

                seen[layer.Name] = index;
                layers.Add(layer);
                index++;
            }

            return new WorkloadGraph
            {
                Name = name,
                Aliases = aliases,
                Description = Text(top, string.Empty, "description", required: false) ?? string.Empty,
                Input = Text(top, string.Empty, "input", required: false) ?? string.Empty,
                InputBytesPerSample = Number(top, string.Empty, "inputBytesPerSample", 0, long.MaxValue) ?? 0,
                OutputBytesPerSample = Number(top, string.Empty, "outputBytesPerSample", 0, long.MaxValue) ?? 0,
                DefaultBatch = (int)(Number(top, string.Empty, "defaultBatch", 1, int.MaxValue) ?? 1),
                Layers = layers,
            };
        }

        private Layer LayerOf(JsonElement e, string path, string defaultPrecision, LayerSparsity defaultSparsity)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, $"expected a layer object, got {Kind(e)}");
            }

            // The op first, so unknown keys can be reported against the op's own fields.
            if (!e.TryGetProperty("op", out JsonElement opElement))
            {
                throw Fail(path + ".op", $"required (one of: {string.Join(", ", s_ops.Select(o => o.Name))})");
            }

            if (opElement.ValueKind != JsonValueKind.String)
            {
                throw Fail(path + ".op", $"expected a string, got {Kind(opElement)}");
            }

            string opName = opElement.GetString()!;
            int opIndex = Array.FindIndex(s_ops, o => o.Name == opName);
            if (opIndex < 0)
            {
                throw Fail(path + ".op", $"unknown op \"{opName}\" (expected one of: {string.Join(", ", s_ops.Select(o => o.Name))})");
            }

            (OpKind op, _, string[] required, string[] optional) = s_ops[opIndex];
            Dictionary<string, JsonElement> k = Keys(e, path, [.. s_commonLayerKeys, .. required, .. optional]);
            string name = Text(k, path, "name", required: true)!;
            if (name.Length == 0)
            {
                throw Fail(path + ".name", "must not be empty");
            }

            int Req(string key) => (int)Number(k, path, key, 1, int.MaxValue, $"required for op {opName}")!.Value;
            int Opt(string key, int min, int fallback) => (int)(Number(k, path, key, min, int.MaxValue) ?? fallback);

            var layer = new Layer { Name = name, Op = op };
            switch (op)
            {
                case OpKind.Conv:
                case OpKind.Pool:
                    layer = layer with { H = Req("h"), W = Req("w"), C = Req("c"), R = Req("r"), S = Req("s") };
                    layer = layer with { Stride = Opt("stride", 1, 1), Pad = Opt("pad", 0, 0) };
                    if (op == OpKind.Conv)
                    {
                        layer = layer with { K = Req("k"), Groups = Opt("groups", 1, 1) };
                        if (layer.C % layer.Groups != 0 || layer.K % layer.Groups != 0)
                        {
                            throw Fail(path + ".groups", $"must divide c ({layer.C}) and k ({layer.K}) (got {layer.Groups})");
                        }
                    }
                    else
                    {
                        string kind = Text(k, path, "poolKind", required: false) ?? "max";
                        if (kind is not ("max" or "avg"))
                        {
                            throw Fail(path + ".poolKind", $"unknown pool kind \"{kind}\" (expected one of: max, avg)");
                        }

                        layer = layer with { PoolKind = kind };
                    }

                    if (layer.R > layer.H + (2 * layer.Pad))
                    {
                        throw Fail(path + ".r", $"must fit the padded input h + 2·pad = {layer.H + (2 * layer.Pad)} (got {layer.R})");
                    }

                    if (layer.S > layer.W + (2 * layer.Pad))
                    {
                        throw Fail(path + ".s", $"must fit the padded input w + 2·pad = {layer.W + (2 * layer.Pad)} (got {layer.S})");
                    }

                    break;
                case OpKind.Gemm:
                    layer = layer with { M = Req("m"), N = Req("n"), K = Req("k") };
                    break;
                case OpKind.BatchMatmul:
                    layer = layer with { Batch = Req("batch"), M = Req("m"), N = Req("n"), K = Req("k") };
                    break;
                case OpKind.Attention:
                    layer = layer with { Heads = Req("heads"), Seq = Req("seq"), HeadDim = Req("headDim") };
                    break;
                case OpKind.Resize:
                    layer = layer with { H = Req("h"), W = Req("w"), C = Req("c"), Scale = Opt("scale", 1, 2) };
                    break;
                case OpKind.Embedding:
                    layer = layer with { Tokens = Req("tokens"), Dim = Req("dim") };
                    break;
                default:
                    long elements = Number(k, path, "elements", 1, long.MaxValue, $"required for op {opName}")!.Value;
                    layer = layer with { Elements = elements };
                    if (op == OpKind.Softmax)
                    {
                        layer = layer with { Cols = Req("cols") };
                        if (elements % layer.Cols != 0)
                        {
                            throw Fail(path + ".cols", $"must divide elements ({elements}) (got {layer.Cols})");
                        }
                    }

                    break;
            }

            string? precision = Text(k, path, "precision", required: false);
            LayerPrecision p = precision switch
            {
                null => Implied(defaultPrecision, layer),
                "int8" => LayerPrecision.Int8,
                "bf16" => LayerPrecision.Bf16,
                _ => throw Fail(path + ".precision", $"unknown precision \"{precision}\" (expected one of: int8, bf16)"),
            };

            LayerSparsity sparsity = layer.HasWeights() ? defaultSparsity : LayerSparsity.Dense;
            if (k.TryGetValue("sparsity", out JsonElement se))
            {
                if (!layer.HasWeights())
                {
                    throw Fail(path + ".sparsity", $"applies only to weight layers (conv, gemm), not {opName}");
                }

                sparsity = Sparsity(se, path + ".sparsity");
            }

            return layer with { Precision = p, Sparsity = sparsity };
        }

        private LayerSparsity Sparsity(JsonElement e, string path)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw Fail(path, $"expected an object {{\"ratio\": N, \"format\": \"...\"}}, got {Kind(e)}");
            }

            Dictionary<string, JsonElement> k = Keys(e, path, ["ratio", "format"]);
            int ratio = (int)Number(k, path, "ratio", 1, MaxRatio, "required")!.Value;
            string format = Text(k, path, "format", required: true)!;
            if (!Formats.Contains(format))
            {
                throw Fail(path + ".format", $"unknown format \"{format}\" (expected one of: {string.Join(", ", Formats)})");
            }

            if (format == "dense" && ratio != 1)
            {
                throw Fail(path + ".format", $"dense needs ratio 1 (got ratio {ratio}); name a sparse format");
            }

            return ratio == 1 && format == "dense" ? LayerSparsity.Dense : new LayerSparsity(ratio, format);
        }

        private Dictionary<string, JsonElement> Keys(JsonElement obj, string path, string[] allowed)
        {
            var keys = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (JsonProperty p in obj.EnumerateObject())
            {
                string where = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
                if (!allowed.Contains(p.Name))
                {
                    throw Fail(where, $"unknown key (expected one of: {string.Join(", ", allowed)})");
                }

                if (!keys.TryAdd(p.Name, p.Value))
                {
                    throw Fail(where, "duplicate key");
                }
            }

            return keys;
        }

        private string? Text(Dictionary<string, JsonElement> keys, string path, string key, bool required)
        {
            string where = path.Length == 0 ? key : $"{path}.{key}";
            if (!keys.TryGetValue(key, out JsonElement e))
            {
                return required ? throw Fail(where, "required") : null;
            }

            return e.ValueKind == JsonValueKind.String ? e.GetString() : throw Fail(where, $"expected a string, got {Kind(e)}");
        }

        private long? Number(Dictionary<string, JsonElement> keys, string path, string key, long min, long max, string? missing = null)
        {
            string where = path.Length == 0 ? key : $"{path}.{key}";
            if (!keys.TryGetValue(key, out JsonElement e))
            {
                return missing is null ? null : throw Fail(where, missing);
            }

            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v))
            {
                throw Fail(where, $"expected an integer, got {Kind(e)}");
            }

            if (v < min)
            {
                throw Fail(where, min == 1 ? $"must be > 0 (got {v})" : $"must be >= {min} (got {v})");
            }

            if (v > max)
            {
                throw Fail(where, max == MaxRatio ? $"must be 1..{MaxRatio} (got {v}); the SPU natively supports up to {MaxRatio}x" : $"must be <= {max} (got {v})");
            }

            return v;
        }

        private static string Kind(JsonElement e)
        {
            return e.ValueKind switch
            {
                JsonValueKind.String => JsonSerializer.Serialize(e.GetString()),
                JsonValueKind.Number => e.GetRawText(),
                JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
                JsonValueKind.Null => "null",
                JsonValueKind.Array => "an array",
                _ => "an object",
            };
        }
    }
}
