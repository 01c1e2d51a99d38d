using System.Text.Json;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Functional;
using Antoum.Tests.Cli;
using NUnit.Framework;
using static Antoum.Tests.Functional.FunctionalTests;

namespace Antoum.Tests.Functional;

/// <summary>Functional mode beside the comparisons: timing unchanged, same tiling as the timing compile, schedules, CLI.</summary>
[TestFixture]
[Category("Quick")]
[Category("Functional")]
public class FunctionalModeTests : CliTestBase
{
    private static CardParameters Card(string sku, params string[] sets) =>
        CardParameters.FromConfig(ConfigLoader.Load(sku, sets).Config) with { DramDevice = null };

    private static CompileResult Compile(CardParameters card, WorkloadGraph g, int batch, FunctionalInputs? inputs, CompileOptions? options = null)
    {
        options ??= new CompileOptions();
        return Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card), options with { Data = inputs is null ? null : new FunctionalData(inputs.Layers) });
    }

    private static (ProgramSummary Summary, string Stats) RunProgram(CardParameters card, CompileResult c, FunctionalMemory? mem)
    {
        ProgramModel model = ProgramRunner.Build(card, c.Program, "t", timeline: true, data: mem);
        ProgramSummary s = ProgramRunner.Run(model, ulong.MaxValue, 100_000_000);
        return (s, model.Sim.Stats.FormatText(model.Sim.Now));
    }

    [Test]
    public void ComputingValues_DoesNotChangeTiming()
    {
        CardParameters card = Card("S10", "chip.l1.capacity=8kB");
        WorkloadGraph g = Graph(Conv("conv", 8, 8, 16, 32, 3, 1, 1, LayerPrecision.Int8, ratio: 4, format: "csr"));
        FunctionalInputs inputs = FunctionalRun.Generate(g, 5, 7);
        CompileResult c = Compile(card, g, 5, inputs);
        (ProgramSummary plain, string plainStats) = RunProgram(card, c, null);
        FunctionalMemory mem = FunctionalRun.Load(card, c, inputs);
        (ProgramSummary withData, string dataStats) = RunProgram(card, c, mem);
        Assert.That(withData.SimulatedPs, Is.EqualTo(plain.SimulatedPs));
        Assert.That(withData.Events, Is.EqualTo(plain.Events));
        Assert.That(withData.Engines, Is.EqualTo(plain.Engines));
        Assert.That(dataStats, Is.EqualTo(plainStats));
        Assert.That(FunctionalRun.Compare(g, 5, 7, c, inputs, mem).Outcome.Pass, Is.True);
    }

    [Test]
    public void FunctionalCompile_KeepsTheTimingCompilesTiling_AndTimingCompileIsUntouched()
    {
        CardParameters card = Card("S30", "chip.l1.capacity=8kB");
        WorkloadGraph g = Graph(Conv("c1", 12, 12, 8, 24, 3, 1, 1, LayerPrecision.Bf16, ratio: 8, format: "bitmap"));
        CompileResult timing = Compile(card, g, 9, null);
        CompileResult functional = Compile(card, g, 9, FunctionalRun.Generate(g, 9, 1));
        Assert.That(timing.Tensors, Is.Null);
        Assert.That(functional.Tensors, Is.Not.Null);
        for (int i = 0; i < timing.Report.Layers.Count; i++)
        {
            LayerReport t = timing.Report.Layers[i], f = functional.Report.Layers[i];
            Assert.That((f.Tile, f.Tiles, f.MatmulInstructions, f.Macs), Is.EqualTo((t.Tile, t.Tiles, t.MatmulInstructions, t.Macs)));
        }

        Assert.That(functional.Program.Streams.SelectMany(s => s.Code).Any(i => i.Op == Opcode.Loop), Is.False, "functional programs have no loops");
        Assert.That(timing.Program.Streams.SelectMany(s => s.Code).Any(i => i.Op == Opcode.Matmul && SpuFlags.Unpack(i.H & SpuFlags.Mask).OutBf16), Is.False);
    }

    [TestCase(true)]
    [TestCase(false)]
    public void PerCluster_SeveralMicroBatches_OrLayerByLayer_MatchReference(bool microBatching)
    {
        // A 40 KiB L2 holds two samples's activations: several micro-batches per cluster (or the layer-by-layer schedule).
        CardParameters card = Card("S4", "chip.l1.capacity=8kB", "chip.l2.capacity=40KiB");
        WorkloadGraph g = Graph(
            Conv("conv1", 12, 12, 16, 32, 3, 1, 1, LayerPrecision.Int8, ratio: 2, format: "nofm"),
            Conv("conv2", 12, 12, 32, 32, 1, 1, 0, LayerPrecision.Int8));
        const int batch = 11;
        FunctionalInputs inputs = FunctionalRun.Generate(g, batch, 3);
        CompileResult c = Compile(card, g, batch, inputs, new CompileOptions { MicroBatching = microBatching });
        if (microBatching)
        {
            Assert.That(c.Report.MicroBatch, Is.InRange(1, 2), "several micro-batches per cluster (3 samples on the first clusters)");
        }

        FunctionalMemory mem = FunctionalRun.Load(card, c, inputs);
        RunProgram(card, c, mem);
        FunctionalOutcome o = FunctionalRun.Compare(g, batch, 3, c, inputs, mem).Outcome;
        Assert.That(o.Mismatches, Is.EqualTo(0), o.ToConsoleLine());
    }

    [TestCase(SparseFormat.Dense, 1, 1)]
    [TestCase(SparseFormat.NofM, 4, 1)]
    [TestCase(SparseFormat.NofM, 3, 2)]
    [TestCase(SparseFormat.Bitmap, 8, 1)]
    [TestCase(SparseFormat.Bitmap, 2, 2)]
    [TestCase(SparseFormat.Csr, 4, 2)]
    [TestCase(SparseFormat.BlockCsr, 2, 1)]
    public void PackedTiles_DecodeToTheDenseTile(SparseFormat format, int ratio, int es)
    {
        // A 70 x 9 matrix; the tile is 61 rows (odd) from row 5 (nofm: a group boundary) x columns 2..8.
        const int k = 70, n = 9, kc = 61, n0 = 2, nt = 7;
        int k0 = format == SparseFormat.NofM ? 2 * ratio : 5;
        var rng = new Random(ratio * 10 + es);
        var dense = new byte[k * n * es];
        for (int col = 0; col < n; col++)
        {
            for (int row = 0; row < k; row++)
            {
                bool keep = format == SparseFormat.NofM ? row % ratio == (col + (row / ratio)) % ratio : rng.Next(ratio) == 0;
                if (keep)
                {
                    dense[((row * n) + col) * es] = (byte)rng.Next(1, 256);
                }
            }
        }

        var flags = format == SparseFormat.Dense ? SpuFlags.Dense : SpuFlags.Dense with { Format = format, Ratio = ratio };
        byte[] packed = WeightPacking.Pack(dense, n, k0, kc, n0, nt, es, flags, "t");
        Assert.That(packed.Length, Is.LessThanOrEqualTo(FunctionalOps.MaxPackedBytes(kc, nt, es, flags)));
        var decoded = new byte[kc * nt * es];
        Assert.That(FunctionalOps.DecodeWeights(packed, kc, nt, es, flags, decoded), Is.Null);
        for (int row = 0; row < kc; row++)
        {
            for (int col = 0; col < nt; col++)
            {
                Assert.That(decoded.AsSpan(((row * nt) + col) * es, es).ToArray(), Is.EqualTo(dense.AsSpan((((k0 + row) * n) + n0 + col) * es, es).ToArray()), $"row {row} col {col}");
            }
        }
    }

    [Test]
    public void Obf16Flag_RoundTrips_AndNeedsBf16()
    {
        const string text = ".engine spu.0.0\nmatmul 2, 32, 16, l1[0], l1[0x100], l1[0x400], bf16, fmt=csr:4 acc obf16\n";
        AkpProgram p = Assembler.Assemble(text, "t.s");
        Instruction mm = p.Streams[0].Code[0];
        Assert.That(SpuFlags.Unpack(mm.H & SpuFlags.Mask), Is.EqualTo(new SpuFlags(SparseFormat.Csr, 4, true, false, false, 0, 0) { OutBf16 = true }));
        Assert.That(Disassembler.Disassemble(p), Does.Contain("fmt=csr:4 acc obf16"));
        Assert.That(AkpContainer.Read(AkpContainer.Write(p), "t.akp").Streams[0].Code[0], Is.EqualTo(mm));
        var e = Assert.Throws<AsmException>(() => Assembler.Assemble(text.Replace("bf16,", "int8,", StringComparison.Ordinal), "t.s"));
        Assert.That(e!.Message, Does.Contain("obf16"));
    }

    [Test]
    public void Int8Attention_AndUnsupportedLayers_AreRefusedWithTheLayerName()
    {
        Layer attn = Attention(2, 16, 8) with { Precision = LayerPrecision.Int8 };
        var e = Assert.Throws<UserInputException>(() => FunctionalRun.Generate(Graph(attn), 1, 1));
        Assert.That(e!.Message, Does.Contain("layer 'attention'").And.Contain("BF16"));
        var emb = new Layer { Name = "emb", Op = OpKind.Embedding, Tokens = 8, Dim = 16, Precision = LayerPrecision.Bf16 };
        e = Assert.Throws<UserInputException>(() => FunctionalRun.Generate(Graph(emb), 1, 1));
        Assert.That(e!.Message, Does.Contain("layer 'emb'").And.Contain("does not support embedding"));
        var avg = new Layer { Name = "avg", Op = OpKind.Pool, H = 4, W = 4, C = 8, R = 2, S = 2, Stride = 2, PoolKind = "avg" };
        e = Assert.Throws<UserInputException>(() => FunctionalRun.Generate(Graph(avg), 1, 1));
        Assert.That(e!.Message, Does.Contain("layer 'avg'").And.Contain("average pooling in BF16 only"));
    }

    [Test]
    public void Cli_FunctionalRun_WritesTheComparison_AndIsDeterministic()
    {
        string a = Path.Combine(Dir, "a"), b = Path.Combine(Dir, "b");
        (int code, string stdout, string stderr) = Run("run", "--sku", "S10", "--workload", "func-conv", "--batch", "3", "--functional", "--seed", "5", "--out", a);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("functional      seed 5").And.Contain("equals the reference"));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "summary.json")));
        JsonElement f = doc.RootElement.GetProperty("functional");
        Assert.That(f.GetProperty("equalsReference").GetBoolean(), Is.True);
        Assert.That(f.GetProperty("mismatches").GetInt64(), Is.EqualTo(0));
        Assert.That(f.GetProperty("outputSha256").GetString(), Is.EqualTo(f.GetProperty("referenceSha256").GetString()));
        Assert.That(Run("run", "--sku", "S10", "--workload", "func-conv", "--batch", "3", "--functional", "--seed", "5", "--out", b).Code, Is.EqualTo(0));
        Assert.That(File.ReadAllText(Path.Combine(b, "summary.json")), Is.EqualTo(File.ReadAllText(Path.Combine(a, "summary.json"))));
        string tensors = File.ReadAllText(Path.Combine(a, "tensors.csv"));
        Assert.That(tensors, Does.StartWith("tensor,where,space,offset,bytes\n").And.Contain("layer 'conv1' packed weights (fmt=bitmap:8)").And.Contain("network input"));
    }

    [Test]
    public void Cli_Functional_RefusesLargeShapesProgramsAndGemmStreams()
    {
        (int code, _, string stderr) = Run("run", "--sku", "S4", "--workload", "resnet50", "--batch", "1", "--functional", "--out", Path.Combine(Dir, "r"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--functional is for small shapes").And.Contain("2^28"));
        (code, _, stderr) = Run("run", "--sku", "S4", "--workload", "gemm-small", "--functional", "--out", Path.Combine(Dir, "g"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("built-in GEMM stream"));
        string s = Write("k.s", ".engine spu.0.0\nnop\n");
        (code, _, stderr) = Run("run", "--sku", "S4", "--program", s, "--functional", "--out", Path.Combine(Dir, "p"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("not --program"));
    }
}
