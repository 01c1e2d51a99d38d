using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Functional;
using NUnit.Framework;

namespace Antoum.Tests.Functional;

/// <summary>
/// Functional mode: compiled GEMM / conv / attention programs compute the same bytes as the plain reference
/// (docs/functional.md). Small L1 (--set chip.l1.capacity) forces several tiles and K chunks per SPU.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Functional")]
public class FunctionalTests
{
    private const ulong Seed = 20261123;

    private static CardParameters Card(string sku, string l1 = "8kB") =>
        CardParameters.FromConfig(ConfigLoader.Load(sku, [$"chip.l1.capacity={l1}"]).Config) with { DramDevice = null };

    internal static WorkloadGraph Graph(params Layer[] layers) => new() { Name = "functional-test", Layers = layers };

    internal static Layer Gemm(int m, int n, int k, LayerPrecision prec, int ratio = 1, string format = "dense") => new()
    {
        Name = "gemm",
        Op = OpKind.Gemm,
        M = m,
        N = n,
        K = k,
        Precision = prec,
        Sparsity = new LayerSparsity(ratio, format),
    };

    internal static Layer Conv(string name, int h, int w, int c, int k, int r, int stride, int pad, LayerPrecision prec, int groups = 1, int ratio = 1, string format = "dense") => new()
    {
        Name = name,
        Op = OpKind.Conv,
        H = h,
        W = w,
        C = c,
        K = k,
        R = r,
        S = r,
        Stride = stride,
        Pad = pad,
        Groups = groups,
        Precision = prec,
        Sparsity = new LayerSparsity(ratio, format),
    };

    internal static Layer Attention(int heads, int seq, int headDim) => new()
    {
        Name = "attention",
        Op = OpKind.Attention,
        Heads = heads,
        Seq = seq,
        HeadDim = headDim,
        Precision = LayerPrecision.Bf16,
    };

    private static NetworkRunResult Run(CardParameters card, WorkloadGraph graph, int batch, PartitionMode? mode = null, FunctionalRequest? request = null)
    {
        return NetworkRun.Run(card, graph, batch, mode, ulong.MaxValue, 500_000_000, functional: request ?? new FunctionalRequest(Seed));
    }

    private static void AssertMatches(NetworkRunResult r)
    {
        FunctionalOutcome f = r.Functional!;
        Assert.That(f.Mismatches, Is.EqualTo(0), f.ToConsoleLine());
        Assert.That(f.OutputSha256, Is.EqualTo(f.ReferenceSha256));
        Assert.That(f.Elements, Is.GreaterThan(0));
    }

    private static int MatmulsOf(CompileResult c) => c.Program.Streams.Sum(s => s.Code.Count(i => i.Op == Opcode.Matmul));

    [TestCase(LayerPrecision.Int8, 1, "dense")]
    [TestCase(LayerPrecision.Int8, 2, "nofm")]
    [TestCase(LayerPrecision.Int8, 8, "bitmap")]
    [TestCase(LayerPrecision.Int8, 4, "csr")]
    [TestCase(LayerPrecision.Int8, 2, "blockcsr")]
    [TestCase(LayerPrecision.Bf16, 1, "dense")]
    [TestCase(LayerPrecision.Bf16, 4, "nofm")]
    [TestCase(LayerPrecision.Bf16, 16, "bitmap")]
    [TestCase(LayerPrecision.Bf16, 2, "csr")]
    [TestCase(LayerPrecision.Bf16, 2, "blockcsr")]
    public void Gemm_OnS4_MatchesReference_InEveryFormat(LayerPrecision prec, int ratio, string format)
    {
        NetworkRunResult r = Run(Card("S4"), Graph(Gemm(24, 100, 160, prec, ratio, format)), batch: 6);
        AssertMatches(r);
        Assert.That(MatmulsOf(r.Compiled), Is.GreaterThan(4 * 8), "several tiles per cluster");
    }

    [TestCase(LayerPrecision.Int8)]
    [TestCase(LayerPrecision.Bf16)]
    public void Conv_OnS10_PerCluster_MatchesReference(LayerPrecision prec)
    {
        // Padded 3x3 then strided grouped conv; several tiles, both chips, every cluster (batch 8 over 2 x 4 clusters).
        WorkloadGraph g = Graph(
            Conv("conv1", 10, 10, 8, 32, 3, 1, 1, prec, ratio: 2, format: "nofm"),
            Conv("conv2", 10, 10, 32, 16, 3, 2, 1, prec, groups: 2));
        NetworkRunResult r = Run(Card("S10"), g, batch: 8);
        AssertMatches(r);
        Assert.That(r.Compiled.Program.Streams.Select(s => s.Engine.Chip).Distinct().Count(), Is.EqualTo(2));
    }

    [TestCase("bitmap", 8)]
    [TestCase("csr", 4)]
    [TestCase("blockcsr", 4)]
    public void Conv_OnS30_MatchesReference_SparseFormats(string format, int ratio)
    {
        WorkloadGraph g = Graph(Conv("conv", 8, 8, 16, 48, 3, 1, 1, LayerPrecision.Int8, ratio: ratio, format: format));
        NetworkRunResult r = Run(Card("S30"), g, batch: 7);
        AssertMatches(r);
        Assert.That(r.Compiled.Program.Streams.Select(s => s.Engine.Chip).Distinct().Count(), Is.EqualTo(3));
    }

    [TestCase("S4", PartitionMode.Split)]
    [TestCase("S30", PartitionMode.Split)]
    [TestCase("S4", PartitionMode.PerCluster)]
    [TestCase("S10", PartitionMode.Broadcast)]
    public void Attention_MatchesReference(string sku, PartitionMode mode)
    {
        NetworkRunResult r = Run(Card(sku), Graph(Attention(heads: 3, seq: 40, headDim: 24)), batch: 4, mode);
        AssertMatches(r);
    }

    [TestCase(PartitionMode.Split)]
    [TestCase(PartitionMode.Broadcast)]
    public void Gemm_SplitAndBroadcast_MatchReference(PartitionMode mode)
    {
        NetworkRunResult r = Run(Card("S10"), Graph(Gemm(20, 96, 72, LayerPrecision.Int8, 2, "csr")), batch: 5, mode);
        AssertMatches(r);
    }

    [TestCase("S10", PartitionMode.Split)]
    [TestCase("S4", PartitionMode.PerCluster)]
    public void GemmGeluSoftmax_Chain_MatchesReference(string sku, PartitionMode mode)
    {
        WorkloadGraph g = Graph(
            Gemm(16, 64, 48, LayerPrecision.Bf16, 2, "csr"),
            new Layer { Name = "gelu", Op = OpKind.Gelu, Elements = 16 * 64, Precision = LayerPrecision.Bf16 },
            new Layer { Name = "softmax", Op = OpKind.Softmax, Elements = 16 * 64, Cols = 64, Precision = LayerPrecision.Bf16 });
        AssertMatches(Run(Card(sku), g, batch: 5, mode));
    }

    [Test]
    public void DroppedTile_IsCaughtByTheComparison()
    {
        // Replace one SPU's first matmul by a nop: that tile's output is never computed (tokens still flow).
        var request = new FunctionalRequest(Seed)
        {
            Transform = c =>
            {
                var streams = c.Program.Streams.ToList();
                int si = streams.FindIndex(s => s.Engine.Kind == EngineKind.Spu && s.Code.Any(i => i.Op == Opcode.Matmul));
                Instruction[] code = [.. streams[si].Code];
                int pc = Array.FindIndex(code, i => i.Op == Opcode.Matmul);
                code[pc] = new Instruction(Opcode.Nop);
                streams[si] = streams[si] with { Code = code };
                return c with { Program = new AkpProgram(streams, c.Program.Symbols) };
            },
        };
        NetworkRunResult r = Run(Card("S4"), Graph(Gemm(24, 100, 160, LayerPrecision.Int8)), batch: 6, request: request);
        Assert.That(r.Functional!.Pass, Is.False);
        Assert.That(r.Functional.Mismatches, Is.GreaterThan(0));
    }
}
