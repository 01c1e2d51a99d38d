using Antoum.Firmware.Workloads;
using NUnit.Framework;

namespace Antoum.Tests.Workloads;

/// <summary>The JSON layer-graph format (round trip, strictness, exact error messages) and SCALE-Sim CSV import.</summary>
[TestFixture]
[Category("Quick")]
[Category("Workloads")]
public class WorkloadFileTests
{
    private const string Head = "{\"name\": \"t\", \"layers\": [";

    private static string One(string layer) => Head + layer + "]}";

    [Test]
    public void RoundTrip_EveryShippedNetwork()
    {
        foreach (WorkloadGraph g in Networks.All)
        {
            string json = WorkloadFile.ToJson(g);
            WorkloadGraph back = WorkloadFile.Parse(json, g.Name + ".json");
            Assert.That(back.Layers, Is.EqualTo(g.Layers), g.Name);
            Assert.That(back.Aliases, Is.EqualTo(g.Aliases), g.Name);
            Assert.That(back with { Layers = g.Layers, Aliases = g.Aliases }, Is.EqualTo(g), g.Name);
            Assert.That(WorkloadFile.ToJson(back), Is.EqualTo(json), g.Name);
        }
    }

    [Test]
    public void RoundTrip_MixedOverridesAndEveryOp()
    {
        var g = new WorkloadGraph
        {
            Name = "mix \"quoted\"",
            Aliases = ["a", "b"],
            Description = "every op",
            DefaultBatch = 3,
            Layers =
            [
                new Layer { Name = "c", Op = OpKind.Conv, H = 8, W = 9, C = 4, K = 8, R = 3, S = 3, Stride = 2, Pad = 1, Groups = 2, Sparsity = new LayerSparsity(4, "nofm") },
                new Layer { Name = "g", Op = OpKind.Gemm, M = 2, N = 3, K = 4, Precision = LayerPrecision.Bf16 },
                new Layer { Name = "b", Op = OpKind.BatchMatmul, Batch = 2, M = 2, N = 3, K = 4 },
                new Layer { Name = "a", Op = OpKind.Attention, Heads = 2, Seq = 5, HeadDim = 4 },
                new Layer { Name = "ln", Op = OpKind.LayerNorm, Elements = 10 },
                new Layer { Name = "sm", Op = OpKind.Softmax, Elements = 12, Cols = 4 },
                new Layer { Name = "ge", Op = OpKind.Gelu, Elements = 7 },
                new Layer { Name = "ad", Op = OpKind.Add, Elements = 7, Precision = LayerPrecision.Bf16 },
                new Layer { Name = "mu", Op = OpKind.Mul, Elements = 7 },
                new Layer { Name = "p", Op = OpKind.Pool, H = 4, W = 4, C = 2, R = 2, S = 2, Stride = 2, PoolKind = "avg" },
                new Layer { Name = "rs", Op = OpKind.Resize, H = 4, W = 4, C = 2, Scale = 3 },
                new Layer { Name = "em", Op = OpKind.Embedding, Tokens = 5, Dim = 6 },
            ],
        };
        string json = WorkloadFile.ToJson(g);
        WorkloadGraph back = WorkloadFile.Parse(json, "mix.json");
        Assert.That(back.Layers, Is.EqualTo(g.Layers));
        Assert.That(back.Name, Is.EqualTo(g.Name));
        Assert.That(WorkloadFile.ToJson(back), Is.EqualTo(json));
    }

    [Test]
    public void Defaults_ApplyToLayersWithoutTheirOwn()
    {
        const string Json = """
            {"name": "d", "defaults": {"precision": "mixInt8Bf16", "sparsity": {"ratio": 16, "format": "bitmap"}},
             "layers": [
               {"name": "q", "op": "gemm", "m": 4, "n": 4, "k": 4},
               {"name": "dense", "op": "gemm", "m": 4, "n": 4, "k": 4, "sparsity": {"ratio": 1, "format": "dense"}},
               {"name": "att", "op": "attention", "heads": 1, "seq": 4, "headDim": 4},
               {"name": "ln", "op": "layernorm", "elements": 16},
               {"name": "ln8", "op": "layernorm", "elements": 16, "precision": "int8"}
             ]}
            """;
        WorkloadGraph g = WorkloadFile.Parse(Json, "d.json");
        Assert.That(g.Layers[0].Sparsity, Is.EqualTo(new LayerSparsity(16, "bitmap")));
        Assert.That(g.Layers[0].Precision, Is.EqualTo(LayerPrecision.Int8));
        Assert.That(g.Layers[1].Sparsity, Is.EqualTo(LayerSparsity.Dense));
        Assert.That(g.Layers[2].Sparsity, Is.EqualTo(LayerSparsity.Dense), "attention has no weights");
        Assert.That(g.Layers[2].Precision, Is.EqualTo(LayerPrecision.Int8));
        Assert.That(g.Layers[3].Precision, Is.EqualTo(LayerPrecision.Bf16));
        Assert.That(g.Layers[4].Precision, Is.EqualTo(LayerPrecision.Int8));
        Assert.That(g.DefaultBatch, Is.EqualTo(1));
    }

    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 0}", "f.json: layers[0].k: must be > 0 (got 0)")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2}", "f.json: layers[0].k: required for op gemm")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": -2, \"k\": 3}", "f.json: layers[0].n: must be > 0 (got -2)")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1.5, \"n\": 2, \"k\": 3}", "f.json: layers[0].m: expected an integer, got 1.5")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": \"1\", \"n\": 2, \"k\": 3}", "f.json: layers[0].m: expected an integer, got \"1\"")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 3, \"h\": 4}", "f.json: layers[0].h: unknown key (expected one of: name, op, precision, sparsity, m, n, k)")]
    [TestCase("{\"name\": \"g\", \"op\": \"matmul\"}", "f.json: layers[0].op: unknown op \"matmul\" (expected one of: conv, gemm, batchMatmul, attention, layernorm, softmax, gelu, add, mul, pool, resize, embedding)")]
    [TestCase("{\"name\": \"g\"}", "f.json: layers[0].op: required (one of: conv, gemm, batchMatmul, attention, layernorm, softmax, gelu, add, mul, pool, resize, embedding)")]
    [TestCase("{\"op\": \"add\", \"elements\": 3}", "f.json: layers[0].name: required")]
    [TestCase("{\"name\": \"\", \"op\": \"add\", \"elements\": 3}", "f.json: layers[0].name: must not be empty")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 3, \"sparsity\": {\"ratio\": 33, \"format\": \"bitmap\"}}", "f.json: layers[0].sparsity.ratio: must be 1..32 (got 33); the SPU natively supports up to 32x")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 3, \"sparsity\": {\"ratio\": 0, \"format\": \"bitmap\"}}", "f.json: layers[0].sparsity.ratio: must be > 0 (got 0)")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 3, \"sparsity\": {\"ratio\": 4, \"format\": \"coo\"}}", "f.json: layers[0].sparsity.format: unknown format \"coo\" (expected one of: dense, nofm, bitmap, csr, blockcsr)")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 3, \"sparsity\": {\"ratio\": 4, \"format\": \"dense\"}}", "f.json: layers[0].sparsity.format: dense needs ratio 1 (got ratio 4); name a sparse format")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 3, \"sparsity\": {\"ratio\": 4}}", "f.json: layers[0].sparsity.format: required")]
    [TestCase("{\"name\": \"a\", \"op\": \"attention\", \"heads\": 1, \"seq\": 2, \"headDim\": 3, \"sparsity\": {\"ratio\": 4, \"format\": \"bitmap\"}}", "f.json: layers[0].sparsity: applies only to weight layers (conv, gemm), not attention")]
    [TestCase("{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 3, \"precision\": \"fp16\"}", "f.json: layers[0].precision: unknown precision \"fp16\" (expected one of: int8, bf16)")]
    [TestCase("{\"name\": \"c\", \"op\": \"conv\", \"h\": 8, \"w\": 8, \"c\": 6, \"k\": 4, \"r\": 3, \"s\": 3, \"groups\": 4}", "f.json: layers[0].groups: must divide c (6) and k (4) (got 4)")]
    [TestCase("{\"name\": \"c\", \"op\": \"conv\", \"h\": 2, \"w\": 8, \"c\": 6, \"k\": 4, \"r\": 5, \"s\": 3, \"pad\": 1}", "f.json: layers[0].r: must fit the padded input h + 2·pad = 4 (got 5)")]
    [TestCase("{\"name\": \"c\", \"op\": \"conv\", \"h\": 8, \"w\": 8, \"c\": 6, \"k\": 4, \"r\": 3, \"s\": 3, \"pad\": -1}", "f.json: layers[0].pad: must be >= 0 (got -1)")]
    [TestCase("{\"name\": \"p\", \"op\": \"pool\", \"h\": 8, \"w\": 8, \"c\": 6, \"r\": 3, \"s\": 3, \"poolKind\": \"min\"}", "f.json: layers[0].poolKind: unknown pool kind \"min\" (expected one of: max, avg)")]
    [TestCase("{\"name\": \"s\", \"op\": \"softmax\", \"elements\": 10, \"cols\": 3}", "f.json: layers[0].cols: must divide elements (10) (got 3)")]
    [TestCase("{\"name\": \"s\", \"op\": \"softmax\", \"elements\": 0, \"cols\": 3}", "f.json: layers[0].elements: must be > 0 (got 0)")]
    [TestCase("{\"name\": \"x\", \"op\": \"add\", \"elements\": 3}, {\"name\": \"x\", \"op\": \"add\", \"elements\": 3}", "f.json: layers[1].name: duplicate layer name \"x\" (first at layers[0])")]
    [TestCase("{\"name\": \"x\", \"op\": \"add\", \"elements\": 3, \"elements\": 4}", "f.json: layers[0].elements: duplicate key")]
    [TestCase("42", "f.json: layers[0]: expected a layer object, got 42")]
    public void StrictReader_ExactMessages(string layers, string message)
    {
        var e = Assert.Throws<WorkloadException>(() => WorkloadFile.Parse(One(layers), "f.json"))!;
        Assert.That(e.Message, Is.EqualTo(message));
        Assert.That(e.File, Is.EqualTo("f.json"));
    }

    [TestCase("{\"layers\": []}", "f.json: name: required")]
    [TestCase("{\"name\": \"t\"}", "f.json: layers: required")]
    [TestCase("{\"name\": \"t\", \"layers\": []}", "f.json: layers: expected a non-empty array of layer objects, got an empty array")]
    [TestCase("{\"name\": \"t\", \"batch\": 4, \"layers\": []}", "f.json: batch: unknown key (expected one of: name, aliases, description, input, inputBytesPerSample, outputBytesPerSample, defaultBatch, defaults, layers)")]
    [TestCase("{\"name\": \"t\", \"defaultBatch\": 0, \"layers\": [{\"name\": \"x\", \"op\": \"add\", \"elements\": 3}]}", "f.json: defaultBatch: must be > 0 (got 0)")]
    [TestCase("{\"name\": \"t\", \"defaults\": {\"precision\": \"fp8\"}, \"layers\": []}", "f.json: defaults.precision: unknown precision \"fp8\" (expected one of: int8, bf16, mixInt8Bf16)")]
    [TestCase("{\"name\": \"t\", \"defaults\": {\"sparsity\": {\"ratio\": 64, \"format\": \"nofm\"}}, \"layers\": []}", "f.json: defaults.sparsity.ratio: must be 1..32 (got 64); the SPU natively supports up to 32x")]
    [TestCase("{\"name\": \"t\", \"aliases\": [3], \"layers\": []}", "f.json: aliases[0]: expected a non-empty string, got 3")]
    [TestCase("[1, 2]", "f.json: expected a JSON object at the top level, got an array")]
    public void StrictReader_TopLevel(string json, string message)
    {
        var e = Assert.Throws<WorkloadException>(() => WorkloadFile.Parse(json, "f.json"))!;
        Assert.That(e.Message, Is.EqualTo(message));
    }

    [Test]
    public void AnyRatio1To32_IsAccepted()
    {
        for (int r = 1; r <= 32; r++)
        {
            string json = One($"{{\"name\": \"g\", \"op\": \"gemm\", \"m\": 1, \"n\": 2, \"k\": 3, \"sparsity\": {{\"ratio\": {r}, \"format\": \"nofm\"}}}}");
            Assert.That(WorkloadFile.Parse(json, "f.json").Layers[0].Sparsity.Ratio, Is.EqualTo(r));
        }
    }

    [Test]
    public void MalformedJson_GivesLineAndColumn()
    {
        const string Json = "{\n  \"name\": \"t\",\n  \"layers\": [ oops ]\n}";
        var e = Assert.Throws<WorkloadException>(() => WorkloadFile.Parse(Json, "bad.json"))!;
        Assert.That(e.Message, Does.StartWith("bad.json:3:15: malformed JSON: "));
        Assert.That((e.Line, e.Column), Is.EqualTo((3, 15)));
    }

    [Test]
    public void Load_MissingFile()
    {
        var e = Assert.Throws<WorkloadException>(() => WorkloadFile.Load("/nonexistent/x.json"))!;
        Assert.That(e.Message, Is.EqualTo("/nonexistent/x.json: workload file not found"));
    }

    [Test]
    public void ScaleSimCsv_ResNet50_MatchesGeneratorMacs()
    {
        string? root = Isa.KernelTests.RepoRoot();
        Assert.That(root, Is.Not.Null, "repository root not found");
        WorkloadGraph csv = WorkloadFile.FromScaleSimCsv(Path.Combine(root!, "traces", "topologies", "resnet50.csv"));
        WorkloadGraph gen = Networks.ResNet50();
        Assert.That(csv.Name, Is.EqualTo("resnet50"));
        Assert.That(csv.Layers.All(l => l.Op == OpKind.Conv && l.Pad == 0 && l.Sparsity == LayerSparsity.Dense), Is.True);

        // The CSV writes fc as a 1x1 conv on a 1x1 map; the generator as a gemm. Same MACs either way.
        long genConvs = gen.Layers.Where(l => l.Op == OpKind.Conv).Sum(l => l.Macs());
        long csvConvs = csv.Layers.Where(l => l.Name != "fc").Sum(l => l.Macs());
        Assert.That(csvConvs, Is.EqualTo(genConvs));
        Assert.That(csv.Layers.Single(l => l.Name == "fc").Macs(), Is.EqualTo(gen.Layers.Single(l => l.Name == "fc").Macs()));
        Assert.That(csv.TotalWeights(), Is.EqualTo(gen.TotalWeights()));
        Assert.That(csv.Layers.Count(l => l.Name != "fc"), Is.EqualTo(gen.Layers.Count(l => l.Op == OpKind.Conv)));
    }

    [TestCase("resnet50")]
    [TestCase("gemm-suite")]
    public void ScaleSimTopology_GeneratedTextReadsBackToTheSameLayersAndNofM(string name)
    {
        ScaleSimTopology generated = ScaleSimTopology.Generate(name)!;
        ScaleSimTopology read = ScaleSimTopology.Parse(generated.ToCsv().Split('\n'), name + ".csv");
        Assert.That(read.Graph.Layers, Is.EqualTo(generated.Graph.Layers));
        Assert.That(read.Sparsity, Is.EqualTo(generated.Sparsity));
        Assert.That(ScaleSimTopology.Generate("vgg"), Is.Null);
    }

    [Test]
    public void ScaleSimTopology_ResNet50IsTheNetworksSpuLayersWithPaddingFolded()
    {
        var net = Networks.ResNet50().Layers.Where(l => l.Op is OpKind.Conv or OpKind.Gemm).ToList();
        IReadOnlyList<Layer> topo = ScaleSimTopology.ResNet50().Graph.Layers;
        Assert.That(topo, Has.Count.EqualTo(net.Count));
        for (int i = 0; i < net.Count; i++)
        {
            Assert.That(topo[i].Macs(), Is.EqualTo(net[i].Macs()), net[i].Name);
        }

        Assert.That(topo[0].H, Is.EqualTo(230), "conv1 224 + 2 x pad 3");
        Assert.That(topo.Select(l => l.Name).Take(5), Is.EqualTo(new[] { "conv1", "conv2_1_a", "conv2_1_b", "conv2_1_c", "conv2_1_proj" }));
    }

    [Test]
    public void ScaleSimCsv_GemmWithSparsity()
    {
        WorkloadGraph g = WorkloadFile.ParseScaleSimCsv(["Layer, M, N, K, Sparsity,", "a, 4, 5, 6, 1:16,", "b, 1, 2, 3, 1:1,", "c, 1, 2, 3, 3:8,", "d, 7, 8, 9,"], "g.csv");
        Assert.That(g.Layers.Select(l => (l.Op, l.M, l.N, l.K)), Is.EqualTo(new[] { (OpKind.Gemm, 4, 5, 6), (OpKind.Gemm, 1, 2, 3), (OpKind.Gemm, 1, 2, 3), (OpKind.Gemm, 7, 8, 9) }));
        Assert.That(g.Layers.Select(l => l.Sparsity), Is.EqualTo(new[] { new LayerSparsity(16, "nofm"), LayerSparsity.Dense, new LayerSparsity(2, "nofm"), LayerSparsity.Dense }));
        Assert.That(WorkloadFile.Parse(WorkloadFile.ToJson(g), "g.json").Layers, Is.EqualTo(g.Layers));
    }

    [TestCase(new[] { "Layer, M, N, K,", "a, 4, 0, 6," }, "g.csv:2: column 3 (N): expected an integer from 1 to 2147483647, got \"0\"")]
    [TestCase(new[] { "Layer, M, N, K,", "a, 4, 5," }, "g.csv:2: expected 4 columns (name, M, N, K), got 3")]
    [TestCase(new[] { "Layer, M, N, K, Sparsity,", "", "a, 4, 5, 6, 1:64," }, "g.csv:3: Sparsity: ratio M/N must be 1..32 (got 1:64 = 64x)")]
    [TestCase(new[] { "Layer, M, N, K, Sparsity,", "a, 4, 5, 6, 4:1," }, "g.csv:2: Sparsity: expected N:M with 1 <= N <= M (e.g. 1:4), got \"4:1\"")]
    [TestCase(new[] { "Layer, M, N, K,", "a, 4, 5, 6,", "a, 4, 5, 6," }, "g.csv:3: duplicate layer name \"a\"")]
    [TestCase(new[] { "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,", "c, 2, 2, 3, 3, 1, 1, 1," }, "g.csv:2: expected the filter (3x3) to fit the IFMAP (2x2)")]
    [TestCase(new[] { "what, is, this" }, "g.csv:1: expected a conv header \"Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\" or a GEMM header \"Layer, M, N, K,\", got \"what, is, this\"")]
    [TestCase(new[] { "Layer, M, N, K," }, "g.csv: expected at least one layer after the header")]
    public void ScaleSimCsv_Errors(string[] lines, string message)
    {
        var e = Assert.Throws<WorkloadException>(() => WorkloadFile.ParseScaleSimCsv(lines, "g.csv"))!;
        Assert.That(e.Message, Is.EqualTo(message));
    }
}
