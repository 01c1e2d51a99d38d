using Antoum.Firmware.Workloads;
using NUnit.Framework;

namespace Antoum.Tests.Workloads;

/// <summary>The generated networks against published figures and independently computed MAC counts.</summary>
[TestFixture]
[Category("Quick")]
[Category("Workloads")]
public class NetworksTests
{
    [Test]
    public void ResNet50_Macs_MatchPublished41G()
    {
        // torchvision / He et al.: ResNet-50 at 224 is 4.09 G multiply-accumulates ("4.1 GFLOPs" in the literature).
        long macs = Networks.Resolve("resnet50").TotalMacs();
        Assert.That(macs, Is.EqualTo(4.09e9).Within(1).Percent);
    }

    [Test]
    public void ResNet50_Macs_MatchStageFormula()
    {
        // Independently from the stage structure: conv1 + per block (1x1, 3x3, 1x1) + projections + fc.
        long macs = 112L * 112 * 64 * 7 * 7 * 3;
        int[] blocks = [3, 4, 6, 3];
        int[] sizes = [56, 28, 14, 7];
        int inC = 64;
        for (int st = 0; st < 4; st++)
        {
            int w = 64 << st, o = sizes[st], i0 = st == 0 ? 56 : sizes[st - 1];
            for (int b = 0; b < blocks[st]; b++)
            {
                int inSize = b == 0 ? i0 : o;
                int cin = b == 0 ? inC : 4 * w;
                macs += (long)inSize * inSize * cin * w;      // 1x1 reduce
                macs += (long)o * o * w * w * 9;              // 3x3 (stride on it)
                macs += (long)o * o * w * 4 * w;              // 1x1 expand
                if (b == 0)
                {
                    macs += (long)o * o * cin * 4 * w;         // projection
                }
            }

            inC = 4 * w;
        }

        macs += 2048L * 1000;
        Assert.That(Networks.ResNet50().TotalMacs(), Is.EqualTo(macs));
    }

    [Test]
    public void ResNet50_Weights_Are255M()
    {
        // 25.56 M parameters (torchvision) of which 53 k are batch-norm and 1 k the fc bias.
        Assert.That(Networks.ResNet50().TotalWeights(), Is.EqualTo(25.5e6).Within(1).Percent);
    }

    [TestCase("bert-base", 12, 768, 12, 3072, 768)]
    [TestCase("roberta-base", 12, 768, 12, 3072, 768)]
    [TestCase("albert-base", 12, 768, 12, 3072, 128)]
    [TestCase("bert-large", 24, 1024, 16, 4096, 1024)]
    public void Bert_Macs_MatchFormula(string name, int layers, long h, int heads, long ffn, long emb)
    {
        const long S = 384;
        long perLayer = (4 * S * h * h) + (2 * S * S * h) + (2 * S * h * ffn);
        long expected = (layers * perLayer) + (S * h * 2) + (emb == h ? 0 : S * emb * h);
        WorkloadGraph g = Networks.Resolve(name);
        Assert.That(g.TotalMacs(), Is.EqualTo(expected));
        Assert.That(g.Layers.Count(l => l.Op == OpKind.Attention && l.Heads == heads && l.HeadDim * heads == h), Is.EqualTo(layers));
    }

    [Test]
    public void BertBase_Macs_At384()
    {
        // 12 x (4·384·768² + 2·384²·768 + 2·384·768·3072) + 384·768·2 = 35.3 G per sequence.
        Assert.That(Networks.BertBase().TotalMacs(), Is.EqualTo(35_333_406_720L));
    }

    [Test]
    public void Conformer_Macs_MatchFormula()
    {
        const long T = 128, D = 256, F = 2048;
        long subsample = (32L * 256 * D * 9 * 3) + (16L * 128 * D * 9 * D) + (T * D * D * 16);
        long block = (2 * 2 * T * D * F) + (4 * T * D * D) + (2 * T * T * D) + (T * D * 2 * D) + (T * D * 15) + (T * D * D);
        WorkloadGraph g = Networks.ConformerEncoder();
        Assert.That(g.TotalMacs(), Is.EqualTo(subsample + (12 * block)));
        Assert.That(g.Layers.Count(l => l.Op == OpKind.Attention), Is.EqualTo(12));
    }

    [TestCase("mobilenet-v1", 569e6)] // Howard et al. 2017 Table 8: 569 M mult-adds
    [TestCase("mobilenet-v2", 300e6)] // Sandler et al. 2018 Table 4: 300 M
    public void MobileNet_Macs_MatchPublished(string name, double published)
    {
        Assert.That(Networks.Resolve(name).TotalMacs(), Is.EqualTo(published).Within(2).Percent);
    }

    [TestCase("mobilenet-v1", 4.2e6)] // Howard et al.: 4.2 M parameters
    [TestCase("mobilenet-v2", 3.4e6)] // Sandler et al.: 3.4 M
    public void MobileNet_Weights_MatchPublished(string name, double published)
    {
        Assert.That(Networks.Resolve(name).TotalWeights(), Is.EqualTo(published).Within(3).Percent);
    }

    /// <summary>Every conv, pool and residual add reads a tensor that the input or an earlier layer produced.</summary>
    [TestCase("resnet50")]
    [TestCase("mobilenet-v1")]
    [TestCase("mobilenet-v2")]
    public void CnnShapes_Chain(string name)
    {
        WorkloadGraph g = Networks.Resolve(name);
        var produced = new HashSet<(int H, int W, int C)> { (224, 224, 3) };
        var sizes = new HashSet<long> { 224L * 224 * 3 };
        (int H, int W, int C) last = (224, 224, 3);
        foreach (Layer l in g.Layers)
        {
            switch (l.Op)
            {
                case OpKind.Conv:
                case OpKind.Pool:
                    Assert.That(produced, Does.Contain((l.H, l.W, l.C)), $"{l.Name} reads {l.H}x{l.W}x{l.C}, which nothing produced");
                    Assert.That(l.OutH(), Is.GreaterThan(0), l.Name);
                    last = (l.OutH(), l.OutW(), l.OutC());
                    produced.Add(last);
                    sizes.Add((long)last.H * last.W * last.C);
                    break;
                case OpKind.Add:
                    Assert.That(l.Elements, Is.EqualTo((long)last.H * last.W * last.C), $"{l.Name} adds the block output");
                    break;
                case OpKind.Gemm:
                    Assert.That(l.K, Is.EqualTo(last.H * last.W * last.C), $"{l.Name} reads the pooled features");
                    break;
                default:
                    Assert.Fail($"{l.Name}: unexpected op {l.Op} in a CNN");
                    break;
            }
        }

        Assert.That(last, Is.EqualTo((1, 1, g.Layers[^2].C)));
    }

    [TestCase("resnet50", new[] { 112, 56, 56, 28, 14, 7 })]
    public void ResNet50_SpatialSizes(string name, int[] expected)
    {
        WorkloadGraph g = Networks.Resolve(name);
        int[] sizes = [.. g.Layers.Where(l => l.Op is OpKind.Conv or OpKind.Pool).Select(l => l.OutH()).Distinct().Where(s => s > 1)];
        Assert.That(sizes.Distinct(), Is.EqualTo(expected.Distinct()));
    }

    [Test]
    public void TransformerShapes_Chain()
    {
        foreach (WorkloadGraph g in Networks.All.Where(g => g.Layers.Any(l => l.Op == OpKind.Attention)))
        {
            int hidden = 0;
            foreach (Layer l in g.Layers)
            {
                if (l.Op == OpKind.Gemm && l.Name.EndsWith(".query", StringComparison.Ordinal))
                {
                    hidden = l.N;
                    Assert.That(l.K, Is.EqualTo(hidden), $"{g.Name} {l.Name}");
                }
                else if (l.Op == OpKind.Attention)
                {
                    Assert.That(l.Heads * l.HeadDim, Is.EqualTo(hidden), $"{g.Name} {l.Name}");
                }
            }

            Assert.That(hidden, Is.GreaterThan(0), g.Name);
        }
    }

    [Test]
    public void Defaults_FollowByteMlPerf()
    {
        foreach (Layer l in Networks.ResNet50().Layers)
        {
            Assert.That(l.Precision, Is.EqualTo(LayerPrecision.Int8), l.Name);
            Assert.That(l.Sparsity, Is.EqualTo(l.HasWeights() ? new LayerSparsity(16, "bitmap") : LayerSparsity.Dense), l.Name);
        }

        foreach (string name in new[] { "bert-base", "albert-base", "roberta-base", "bert-large", "conformer-encoder" })
        {
            int ratio = name == "conformer-encoder" ? 8 : 16;
            foreach (Layer l in Networks.Resolve(name).Layers)
            {
                Assert.That(l.Precision, Is.EqualTo(l.IsMatmul() ? LayerPrecision.Int8 : LayerPrecision.Bf16), $"{name} {l.Name}");
                Assert.That(l.Sparsity, Is.EqualTo(l.HasWeights() ? new LayerSparsity(ratio, "bitmap") : LayerSparsity.Dense), $"{name} {l.Name}");
            }
        }

        foreach (Layer l in Networks.MobileNetV2().Layers.Where(l => l.HasWeights()))
        {
            bool sparse = l.Op == OpKind.Gemm || (l.R == 1 && l.Groups == 1);
            Assert.That(l.Sparsity, Is.EqualTo(sparse ? new LayerSparsity(8, "blockcsr") : LayerSparsity.Dense), l.Name);
        }
    }

    [Test]
    public void Batches_AreThePublishedOnes()
    {
        Assert.That(Networks.ResNet50().DefaultBatch, Is.EqualTo(48));
        Assert.That(Networks.BertBase().DefaultBatch, Is.EqualTo(64));
        Assert.That(Networks.ConformerEncoder().DefaultBatch, Is.EqualTo(64));
    }

    [TestCase("resnet50-torch-fp32", "resnet50")]
    [TestCase("RESNET50", "resnet50")]
    [TestCase("bert-torch-fp32", "bert-base")]
    [TestCase("albert-torch-fp32", "albert-base")]
    [TestCase("roberta-torch-fp32", "roberta-base")]
    [TestCase("conformer-encoder-onnx-fp32", "conformer-encoder")]
    [TestCase("Bert-Large", "bert-large")]
    [TestCase("mobilenet-v1", "mobilenet-v1")]
    public void Aliases_Resolve(string alias, string name)
    {
        Assert.That(Networks.Resolve(alias).Name, Is.EqualTo(name));
        Assert.That(WorkloadFile.LoadAny(alias).Name, Is.EqualTo(name));
    }

    [Test]
    public void UnknownName_ListsKnownNames()
    {
        var e = Assert.Throws<WorkloadException>(() => Networks.Resolve("vgg16"))!;
        Assert.That(e.Message, Does.StartWith("unknown network \"vgg16\"; known networks: resnet50 (resnet50-torch-fp32), bert-base (bert-torch-fp32), "));
        Assert.That(e.Message, Does.Contain("mobilenet-v2"));
    }

    [Test]
    public void Names_AreUnique()
    {
        string[] all = [.. Networks.All.SelectMany(g => g.Aliases.Prepend(g.Name)).Select(n => n.ToLowerInvariant())];
        Assert.That(all, Is.Unique);
        foreach (WorkloadGraph g in Networks.All)
        {
            Assert.That(g.Layers.Select(l => l.Name), Is.Unique, g.Name);
        }
    }

    /// <summary>traces/&lt;name&gt;.json must equal the generator's output. Set ANTOUM_REGEN_DOCS=1 to rewrite them.</summary>
    [Test]
    public void Traces_AreInSync()
    {
        string? root = Isa.KernelTests.RepoRoot();
        if (root is null)
        {
            Assert.Fail("repository root (AntoumSim.sln) not found above the test binary");
            return;
        }

        bool regen = Environment.GetEnvironmentVariable("ANTOUM_REGEN_DOCS") == "1";
        foreach (WorkloadGraph g in Networks.All)
        {
            string path = Path.Combine(root, "traces", g.Name + ".json");
            string expected = WorkloadFile.ToJson(g);
            if (regen)
            {
                File.WriteAllText(path, expected);
                continue;
            }

            string actual = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : string.Empty;
            Assert.That(actual, Is.EqualTo(expected),
                $"traces/{g.Name}.json is out of date; regenerate with: ANTOUM_REGEN_DOCS=1 dotnet test -c Release --filter \"FullyQualifiedName~Traces_AreInSync\"");
            Assert.That(WorkloadFile.Load(path).Layers, Is.EqualTo(g.Layers));
        }
    }

    [Test]
    public void PrintTotals()
    {
        foreach (WorkloadGraph g in Networks.All)
        {
            TestContext.Out.WriteLine($"{g.Name}: {g.Layers.Count} layers, {g.TotalMacs():N0} MACs, {g.TotalWeights():N0} weights");
        }
    }
}
