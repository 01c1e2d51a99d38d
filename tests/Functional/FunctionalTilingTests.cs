using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Functional;
using NUnit.Framework;
using static Antoum.Tests.Functional.FunctionalTests;

namespace Antoum.Tests.Functional;

/// <summary>
/// Functional mode over the timing compile's real tiling: several segments with their own micro-batches, operand
/// reuse (skipped copies), edge tiles, K chunks ≥ 3, clusters and chips (docs/functional.md, "What is proven").
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Functional")]
public class FunctionalTilingTests
{
    private static CardParameters Card(string sku, params string[] sets) =>
        CardParameters.FromConfig(ConfigLoader.Load(sku, sets).Config) with { DramDevice = null };

    private static (CompileResult Compiled, FunctionalOutcome Outcome) CompileAndRun(CardParameters card, WorkloadGraph g, int batch, CompileOptions options, ulong seed = 11)
    {
        FunctionalInputs inputs = FunctionalRun.Generate(g, batch, seed);
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card), options with { Data = new FunctionalData(inputs.Layers) });
        FunctionalMemory mem = FunctionalRun.Load(card, c, inputs);
        ProgramModel model = ProgramRunner.Build(card, c.Program, "t", timeline: false, data: mem);
        ProgramRunner.Run(model, ulong.MaxValue, 200_000_000);
        return (c, FunctionalRun.Compare(g, batch, seed, c, inputs, mem).Outcome);
    }

    private static int Copies(CompileResult c) => c.Program.Streams.Sum(s => s.Code.Count(i => i.Op is Opcode.Copy or Opcode.Copy2d));

    /// <summary>K chunks of a layer's tile plan ("MtxNtxKt" against the GEMM shape's K).</summary>
    private static long Chunks(LayerReport r)
    {
        long kt = long.Parse(r.Tile.Split('x')[2], System.Globalization.CultureInfo.InvariantCulture);
        string shape = r.GemmShape.Split(' ')[0];
        long k = long.Parse(shape.Split('x')[^1], System.Globalization.CultureInfo.InvariantCulture);
        return (k + kt - 1) / kt;
    }

    /// <summary>
    /// conv 3×3 (large activations: micro-batches of one sample) → strided conv (edge tiles) → fc with K = 512 (many
    /// K chunks) → fc (edge tiles): a 32 KiB L2 makes the timing compile cut two segments with different micro-batches.
    /// </summary>
    private static WorkloadGraph SegmentedNet(LayerPrecision prec, int ratio, string format) => Graph(
        Conv("conv1", 16, 16, 8, 16, 3, 1, 1, prec),
        Conv("conv2", 16, 16, 16, 32, 3, 2, 1, prec, ratio: ratio, format: format),
        Gemm(4, 160, 512, prec, ratio, format) with { Name = "fc1" },
        Gemm(4, 40, 160, prec) with { Name = "fc2" });

    [TestCase("S4", 16, LayerPrecision.Int8, 1, "dense")]
    [TestCase("S4", 16, LayerPrecision.Int8, 2, "nofm")]
    [TestCase("S4", 16, LayerPrecision.Int8, 8, "bitmap")]
    [TestCase("S4", 16, LayerPrecision.Int8, 4, "csr")]
    [TestCase("S4", 16, LayerPrecision.Int8, 2, "blockcsr")]
    [TestCase("S4", 16, LayerPrecision.Bf16, 1, "dense")]
    [TestCase("S4", 16, LayerPrecision.Bf16, 4, "nofm")]
    [TestCase("S4", 16, LayerPrecision.Bf16, 16, "bitmap")]
    [TestCase("S4", 16, LayerPrecision.Bf16, 2, "csr")]
    [TestCase("S4", 16, LayerPrecision.Bf16, 2, "blockcsr")]
    [TestCase("S30", 48, LayerPrecision.Int8, 8, "bitmap")]
    [TestCase("S30", 40, LayerPrecision.Bf16, 4, "csr")]
    public void SegmentsMicroBatchesAndReuse_MatchReference(string sku, int batch, LayerPrecision prec, int ratio, string format)
    {
        CardParameters card = Card(sku, "chip.l1.capacity=8kB", "chip.l2.capacity=32KiB");
        WorkloadGraph g = SegmentedNet(prec, ratio, format);
        (CompileResult c, FunctionalOutcome o) = CompileAndRun(card, g, batch, new CompileOptions());
        Assert.That(o.Mismatches, Is.EqualTo(0), o.ToConsoleLine());
        string what = string.Join("; ", c.Report.Segments) + " | " + string.Join(", ", c.Report.Layers.Select(r => $"{r.Name} {r.GemmShape} tile {r.Tile}"));
        Assert.That(c.Report.Segments, Has.Length.GreaterThanOrEqualTo(2), what);
        Assert.That(c.Report.Layers.Max(Chunks), Is.GreaterThanOrEqualTo(3), what);
        Assert.That(c.Report.Layers.Sum(r => r.Tiles), Is.GreaterThan(card.Chips * 4 * 8 * 2), what);
        Assert.That(c.Program.Streams.Select(s => s.Engine.Chip).Distinct().Count(), Is.EqualTo(card.Chips));

        // Reuse skipped copies, and the timing compile has the same segments and tiling.
        (CompileResult noReuse, _) = (Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card),
            new CompileOptions { OperandReuse = false, Data = new FunctionalData(FunctionalRun.Generate(g, batch, 11).Layers) }), 0);
        Assert.That(Copies(c), Is.LessThanOrEqualTo(Copies(noReuse)), "operand reuse never adds copies");
        CompileResult timing = Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card), new CompileOptions());
        // The same cuts and micro-batches (a timing compile may turn the two stage buffers into a weight ring; docs/compiler.md).
        Assert.That(c.Report.Segments.Select(s => string.Join(' ', s.Split(' ')[..3])), Is.EqualTo(timing.Report.Segments.Select(s => string.Join(' ', s.Split(' ')[..3]))));
        for (int i = 0; i < timing.Report.Layers.Count; i++)
        {
            LayerReport t = timing.Report.Layers[i], f = c.Report.Layers[i];
            Assert.That((f.Tile, f.Tiles, f.MatmulInstructions, f.Macs, f.DramToL1Bytes + f.L2ToL1Bytes), Is.EqualTo((t.Tile, t.Tiles, t.MatmulInstructions, t.Macs, t.DramToL1Bytes + t.L2ToL1Bytes)), t.Name);
        }
    }

    [Test]
    public void OperandReuse_SkipsCopies_AndMatchesReference()
    {
        // Several tiles per SPU run share a weight tile (M fastest) or an A tile (N fastest); 34-column edge tiles.
        CardParameters card = Card("S4", "chip.l1.capacity=8kB");
        WorkloadGraph g = Graph(Gemm(120, 100, 48, LayerPrecision.Int8, 2, "csr"));
        (CompileResult c, FunctionalOutcome o) = CompileAndRun(card, g, 8, new CompileOptions());
        Assert.That(o.Mismatches, Is.EqualTo(0), o.ToConsoleLine());
        (CompileResult plain, FunctionalOutcome po) = CompileAndRun(card, g, 8, new CompileOptions { OperandReuse = false });
        Assert.That(po.Mismatches, Is.EqualTo(0), po.ToConsoleLine());
        Assert.That(Copies(c), Is.LessThan(Copies(plain)), "operand reuse skips copies");
    }

    [Test]
    public void BrokenReuse_IsCaught()
    {
        // Reuse keyed by the tile index within a tile class (the keys before session 4): an edge tile of one class
        // takes the operand a full tile of another class left in the buffer. The SPU then multiplies a packed csr
        // tile of the wrong width: its decoder refuses it as a program error, or the output differs.
        CardParameters card = Card("S4", "chip.l1.capacity=8kB");
        WorkloadGraph g = Graph(Gemm(120, 100, 48, LayerPrecision.Int8, 2, "csr"));
        FunctionalInputs inputs = FunctionalRun.Generate(g, 8, 11);
        CompileResult good = Antoum.Firmware.Compiler.Compiler.Compile(g, 8, CompilerTarget.From(card), new CompileOptions { Data = new FunctionalData(inputs.Layers) });
        CompileResult bad = Antoum.Firmware.Compiler.Compiler.Compile(g, 8, CompilerTarget.From(card), new CompileOptions { ReuseKeysWithoutClassForTest = true, Data = new FunctionalData(inputs.Layers) });
        Assert.That(Copies(bad), Is.LessThan(Copies(good)), "the broken keys skip copies the right keys make");
        FunctionalMemory mem = FunctionalRun.Load(card, bad, inputs);
        try
        {
            ProgramRunner.Run(ProgramRunner.Build(card, bad.Program, "t", timeline: false, data: mem), ulong.MaxValue, 200_000_000);
        }
        catch (UserInputException e)
        {
            Assert.That(e.Message, Does.Contain("program error"));
            return;
        }

        FunctionalOutcome o = FunctionalRun.Compare(g, 8, 11, bad, inputs, mem).Outcome;
        Assert.That(o.Pass, Is.False);
        Assert.That(o.Mismatches, Is.GreaterThan(0));
    }

    /// <summary>
    /// A residual network: conv 1×1 → conv 3×3 → conv 1×1 → add (residual: the network input) → conv 1×1 → add or mul
    /// (residual: the first add's output) → max pool 3×3/2 pad 1 (INT8) or average pool 2×2/2 (BF16: window sums
    /// rounded per add, then × BF16(1/4)).
    /// </summary>
    private static WorkloadGraph ResidualNet(LayerPrecision prec, OpKind second) => Graph(
        Conv("c1", 8, 8, 16, 8, 1, 1, 0, prec),
        Conv("c2", 8, 8, 8, 8, 3, 1, 1, prec, ratio: 2, format: "csr"),
        Conv("c3", 8, 8, 8, 16, 1, 1, 0, prec),
        new Layer { Name = "add1", Op = OpKind.Add, Elements = 8 * 8 * 16, Precision = prec },
        Conv("c4", 8, 8, 16, 16, 1, 1, 0, prec, ratio: 4, format: "bitmap"),
        new Layer { Name = "res2", Op = second, Elements = 8 * 8 * 16, Precision = prec },
        prec == LayerPrecision.Int8
            ? new Layer { Name = "pool", Op = OpKind.Pool, H = 8, W = 8, C = 16, R = 3, S = 3, Stride = 2, Pad = 1, PoolKind = "max", Precision = prec }
            : new Layer { Name = "pool", Op = OpKind.Pool, H = 8, W = 8, C = 16, R = 2, S = 2, Stride = 2, PoolKind = "avg", Precision = prec });

    [TestCase("S4", LayerPrecision.Int8, OpKind.Add, null, true)]
    [TestCase("S4", LayerPrecision.Int8, OpKind.Add, null, false)]
    [TestCase("S4", LayerPrecision.Bf16, OpKind.Mul, null, true)]
    [TestCase("S10", LayerPrecision.Bf16, OpKind.Add, PartitionMode.Split, true)]
    [TestCase("S30", LayerPrecision.Int8, OpKind.Mul, PartitionMode.Broadcast, true)]
    public void ResidualAddsMulsAndPools_MatchReference(string sku, LayerPrecision prec, OpKind second, PartitionMode? mode, bool microBatching)
    {
        CardParameters card = Card(sku, "chip.l1.capacity=8kB", "chip.l2.capacity=48KiB");
        (CompileResult c, FunctionalOutcome o) = CompileAndRun(card, ResidualNet(prec, second), 10, new CompileOptions { Mode = mode, MicroBatching = microBatching });
        Assert.That(o.Mismatches, Is.EqualTo(0), o.ToConsoleLine() + " segments " + string.Join("; ", c.Report.Segments));
    }

    [Test]
    public void ResidualOfTheWrongSize_IsRefusedWithTheLayerName()
    {
        WorkloadGraph g = Graph(
            Conv("c1", 8, 8, 16, 8, 1, 1, 0, LayerPrecision.Int8),
            new Layer { Name = "add1", Op = OpKind.Add, Elements = 8 * 8 * 8 });
        var e = Assert.Throws<CompileException>(() => CompileAndRun(Card("S4"), g, 2, new CompileOptions()));
        Assert.That(e!.Message, Does.Contain("layer 'add1'").And.Contain("residual operand (the network input) has 1024 B"));
    }

    [TestCase("S4", LayerPrecision.Int8, null)]
    [TestCase("S10", LayerPrecision.Bf16, PartitionMode.Split)]
    public void Resize_MatchesReference(string sku, LayerPrecision prec, PartitionMode? mode)
    {
        // conv → nearest-neighbour ×2 resize → conv.
        WorkloadGraph g = Graph(
            Conv("c1", 6, 6, 8, 12, 3, 1, 1, prec),
            new Layer { Name = "up", Op = OpKind.Resize, H = 6, W = 6, C = 12, Scale = 2, Precision = prec },
            Conv("c2", 12, 12, 12, 8, 3, 2, 1, prec, ratio: 2, format: "csr"));
        (_, FunctionalOutcome o) = CompileAndRun(Card(sku, "chip.l1.capacity=8kB"), g, 5, new CompileOptions { Mode = mode });
        Assert.That(o.Mismatches, Is.EqualTo(0), o.ToConsoleLine());
    }

    [TestCase("S4", null)]
    [TestCase("S10", PartitionMode.Split)]
    public void GemmAddLayerNorm_MatchesReference(string sku, PartitionMode? mode)
    {
        // A BERT-style tail: gemm → add (residual: the network input) → layernorm over 48 columns.
        WorkloadGraph g = Graph(
            Gemm(12, 48, 48, LayerPrecision.Bf16, 2, "csr"),
            new Layer { Name = "add", Op = OpKind.Add, Elements = 12 * 48, Precision = LayerPrecision.Bf16 },
            new Layer { Name = "ln", Op = OpKind.LayerNorm, Elements = 12 * 48, Cols = 48, Precision = LayerPrecision.Bf16 });
        (_, FunctionalOutcome o) = CompileAndRun(Card(sku, "chip.l1.capacity=8kB"), g, 5, new CompileOptions { Mode = mode });
        Assert.That(o.Mismatches, Is.EqualTo(0), o.ToConsoleLine());
    }
}
