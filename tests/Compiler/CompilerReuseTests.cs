using System.Globalization;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Blocks.Spu;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// The compiler's data-reuse choices (docs/compiler.md "Segments" and "Operand reuse"): bytes moved against closed
/// forms, weights fetched once per micro-batch, and the calibration parameters acting inside the block timing.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class CompilerReuseTests
{
    private static CardParameters Card(string sku) => CardParameters.FromConfig(ConfigLoader.Load(sku).Config) with { DramDevice = null };

    private static long[] Tile(LayerReport r) => r.Tile.Split('x').Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>One dense INT8 GEMM whose K fits one chunk and whose N is one tile: every SPU runs tiles sharing one weight tile.</summary>
    private static WorkloadGraph OneGemm() => new()
    {
        Name = "one-gemm",
        InputBytesPerSample = 1024 * 64,
        OutputBytesPerSample = 1024 * 32,
        Layers = [new Layer { Name = "g", Op = OpKind.Gemm, M = 1024, K = 64, N = 32 }],
    };

    [Test]
    public void WeightTilesAreCopiedOncePerBufferOfASpuAndActivationsOncePerTile()
    {
        CardParameters card = Card("S4");
        CompileTarget t = CompilerTarget.From(card);
        var options = new CompileOptions { Mode = PartitionMode.PerCluster };
        CompileResult on = Antoum.Firmware.Compiler.Compiler.Compile(OneGemm(), 1, t, options);
        CompileResult off = Antoum.Firmware.Compiler.Compiler.Compile(OneGemm(), 1, t, options with { OperandReuse = false });
        LayerReport r = on.Report.Layers[0];
        long[] tile = Tile(r);
        (long mt, long nt, long kt) = (tile[0], tile[1], tile[2]);
        Assert.That((nt, kt), Is.EqualTo((32L, 64L)));
        long tiles = (1024 + mt - 1) / mt;
        Assert.That(r.Tiles, Is.EqualTo(tiles));

        // Closed form: the 8 SPUs take contiguous runs of ⌊tiles/8⌋ or ⌈tiles/8⌉ tiles, all with the same weight tile,
        // which each SPU loads once per operand buffer it uses (min(run, 2) times); every tile loads its own A rows.
        long spus = t.SpusPerCluster;
        long weightLoads = 0;
        for (long s = 0; s < spus; s++)
        {
            long run = (tiles / spus) + (s < tiles % spus ? 1 : 0);
            weightLoads += Math.Min(run, 2);
        }

        long aBytes = 1024 * 64;
        Assert.That(r.L2ToL1Bytes, Is.EqualTo(aBytes + (weightLoads * kt * nt)));
        Assert.That(off.Report.Layers[0].L2ToL1Bytes, Is.EqualTo(aBytes + (tiles * kt * nt)));
        Assert.That(r.L1ToDramBytes + r.L1ToL2Bytes, Is.EqualTo(1024L * 32));
        Assert.That(r.Macs, Is.EqualTo(1024L * 64 * 32));

        // The skipped copies are really absent from the program, and it still runs to completion.
        static long Copies(AkpProgram p) => p.Streams.Where(s => s.Engine.Kind == EngineKind.Dma).Sum(s => (long)s.Code.Count(i => i.Op == Opcode.Copy));
        Assert.That(Copies(on.Program), Is.EqualTo(Copies(off.Program) - (tiles - weightLoads)));
        ProgramChecks.Check(card, on.Program, "on.akp");
        Assert.That(ProgramRunner.Run(ProgramRunner.Build(card, on.Program, "on.akp"), ulong.MaxValue, 10_000_000).SimulatedPs, Is.GreaterThan(0UL));
    }

    [Test]
    public void ResNet50SegmentsFetchEachLayersWeightsOncePerMicroBatch()
    {
        CardParameters card = Card("S4");
        CompileTarget t = CompilerTarget.From(card);
        // The anchor's INT8 input (with the FP32 input the weight rings leave no L2 room for fc's resident weights).
        WorkloadGraph g = Networks.Resolve("resnet50") with { InputBytesPerSample = 224 * 224 * 3 };
        const int batch = 32;
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(g, batch, t, new CompileOptions { Mode = PartitionMode.PerCluster });
        Assert.That(c.Report.Segments.Count, Is.GreaterThan(1), "early layers need small micro-batches, late ones large");
        long perCluster = batch / t.Clusters;

        // Segment list: "first..last mb N" in layer order, covering every layer once.
        var mbOf = new long[g.Layers.Count];
        var firstOf = new bool[g.Layers.Count];
        List<string> names = g.Layers.Select(l => l.Name).ToList();
        int next = 0;
        foreach (string seg in c.Report.Segments)
        {
            string[] parts = seg.Split(' ');
            string[] ends = parts[0].Split("..");
            int first = names.IndexOf(ends[0]);
            int last = names.IndexOf(ends[1]);
            Assert.That(first, Is.EqualTo(next), seg);
            long mb = long.Parse(parts[2], CultureInfo.InvariantCulture);
            Assert.That(mb, Is.InRange(1L, perCluster));
            firstOf[first] = true;
            for (int li = first; li <= last; li++)
            {
                mbOf[li] = mb;
            }

            next = last + 1;
        }

        Assert.That(next, Is.EqualTo(g.Layers.Count));
        Assert.That(mbOf[^1], Is.GreaterThan(mbOf[0]), "the weight-heavy end runs larger micro-batches than the start");

        // DRAM → L2 per layer: its stored weights once per micro-batch of its segment on every cluster, plus, for a
        // segment's first layer, the segment input of every sample.
        for (int li = 0; li < g.Layers.Count; li++)
        {
            Layer l = g.Layers[li];
            long weights = 0;
            if (l.Op == OpKind.Conv)
            {
                long groups = Math.Max(1, l.Groups);
                weights = CompilerTarget.WeightBytes(card.SpuModel, (long)l.R * l.S * (l.C / groups), l.K / groups, 1, Lowering.Flags(l.Sparsity)) * groups;
            }
            else if (l.Op == OpKind.Gemm)
            {
                weights = CompilerTarget.WeightBytes(card.SpuModel, l.K, l.N, 1, Lowering.Flags(l.Sparsity));
            }

            // The last weight-bearing layer (fc) keeps its weights resident in L2: fetched once per program.
            long passes = li == g.Layers.Count - 1 ? 1 : (perCluster + mbOf[li] - 1) / mbOf[li];
            long input = 0;
            if (firstOf[li])
            {
                input = li == 0 ? g.InputBytesPerSample : Lowering.OutputElements(g.Layers[li - 1]) * Lowering.ElementBytes(g.Layers[li - 1]);
            }

            long expected = t.Clusters * ((passes * weights) + (perCluster * input));
            Assert.That(c.Report.Layers[li].DramToL2Bytes, Is.EqualTo(expected), l.Name);
        }

        Assert.That(c.Report.TotalMacs, Is.EqualTo(Lowering.Macs(g) * batch));

        // Without resident weights fc stages its weights once per micro-batch like every other layer; nothing else changes.
        CompileResult staged = Antoum.Firmware.Compiler.Compiler.Compile(g, batch, t, new CompileOptions { Mode = PartitionMode.PerCluster, ResidentWeights = false });
        Assert.That(staged.Report.Segments.Select(s => string.Join(' ', s.Split(' ')[..3])), Is.EqualTo(c.Report.Segments.Select(s => string.Join(' ', s.Split(' ')[..3]))));
        long fcPasses = (perCluster + mbOf[^1] - 1) / mbOf[^1];
        Assert.That(fcPasses, Is.GreaterThan(1));
        Assert.That(staged.Report.Layers[^1].DramToL2Bytes, Is.EqualTo(fcPasses * c.Report.Layers[^1].DramToL2Bytes));
        for (int li = 0; li < g.Layers.Count - 1; li++)
        {
            Assert.That(staged.Report.Layers[li].DramToL2Bytes, Is.EqualTo(c.Report.Layers[li].DramToL2Bytes), g.Layers[li].Name);
        }
    }

    [Test]
    public void CompilerWeightBytesMatchTheSpuFormatModel()
    {
        SpuModelParams spu = Card("S4").SpuModel;
        SpuFlags bitmap16 = SpuFlags.Dense with { Format = SparseFormat.Bitmap, Ratio = 16 };

        // Bitmap at 16x: ⌈K/16⌉·N values, 8 index bits per value, one bitmap bit per 32 weights along K per filter.
        long k = 576, n = 64;
        long values = (k + 15) / 16 * n;
        long bits = (values * 8) + (n * ((k + 31) / 32));
        Assert.That(CompilerTarget.WeightBytes(spu, k, n, 1, bitmap16), Is.EqualTo(values + ((bits + 7) / 8)));
        Assert.That(CompilerTarget.WeightBytes(spu, k, n, 1, SpuFlags.Dense), Is.EqualTo(k * n));
        Assert.That(CompilerTarget.From(Card("S4")).WeightTileBytes!(k, n, 1, bitmap16), Is.EqualTo(CompilerTarget.WeightBytes(spu, k, n, 1, bitmap16)));
    }

    [Test]
    public void TileChoiceFollowsTheSpuModel()
    {
        // The cost model sees the simulator's SPU timing: the target's estimator is SpuTiming.Gemm.
        CardParameters card = Card("S4");
        CompileTarget t = CompilerTarget.From(card);
        SpuFlags f = SpuFlags.Dense with { Format = SparseFormat.Bitmap, Ratio = 16 };
        Assert.That(t.SpuCycles!(64, 128, 576, Precision.Int8, f), Is.EqualTo(SpuTiming.Gemm(card.SpuModel, new GemmShape(64, 128, 576), Precision.Int8, SparseFormat.Bitmap, 16).Cycles));
        Assert.That(t.DmaCopyCycles, Is.EqualTo(card.DmaEffectiveSetupCycles + card.L2LatencyCycles + card.L1LatencyCycles + 4));
    }
}

[TestFixture]
[Category("Quick")]
[Category("Validation")]
public class CalibrationParameterTests
{
    [Test]
    public void FoldOverlapHidesThatShareOfEveryFoldFillAfterTheFirst()
    {
        foreach (int pct in new[] { 0, 37, 100 })
        {
            SpuModelParams p = SpuModelParams.Default() with { FoldOverlapPercent = pct };
            var shape = new GemmShape(40, 96, 700);
            SpuCost c = SpuTiming.Gemm(p, shape, Precision.Int8, SparseFormat.Dense, 1);

            // Dense ws: ⌈700/16⌉·⌈96/32⌉ = 44·3 = 132 folds of 2·16 + 32 + 40 − 2 = 102 cycles; the fill 2R + C − 2 = 62.
            long folds = 132;
            long expected = (folds * 102) - ((folds - 1) * 62 * pct / 100) + p.PipelineLatency;
            Assert.That(c.Cycles, Is.EqualTo(expected), $"{pct}%");
        }
    }

    [Test]
    public void DmaSetupOverlapShortensEveryCopyBySetupCycles()
    {
        CardParameters baseCard = CardParameters.FromConfig(ConfigLoader.Load("S4", ["chip.calibration.dmaSetupOverlapPercent=0"]).Config) with { DramDevice = null };
        CardParameters hidden = baseCard with { DmaSetupOverlapPercent = 100 };
        Assert.That(baseCard.DmaEffectiveSetupCycles, Is.EqualTo(baseCard.DmaSetupCycles));
        Assert.That(hidden.DmaEffectiveSetupCycles, Is.Zero);
        Assert.That((baseCard with { DmaSetupOverlapPercent = 50 }).DmaEffectiveSetupCycles, Is.EqualTo(baseCard.DmaSetupCycles / 2));

        // One DMA stream of 10 back-to-back L2 → L1 copies: the run is 10 setups shorter, to the cycle.
        var code = new List<Instruction>();
        for (int i = 0; i < 10; i++)
        {
            code.Add(new Instruction(Opcode.Copy, new MemRef(MemSpace.L1, MemRef.Local, MemRef.Local, 0, 0).Pack(), MemRef.Of(MemSpace.L2, 0).Pack(), 1024, 0, 0, 0, 0, 0));
        }

        var program = new AkpProgram([new EngineStream(new EngineId(EngineKind.Dma, 0, 0, 0), [.. code])], []);
        ulong a = ProgramRunner.Run(ProgramRunner.Build(baseCard, program, "a"), ulong.MaxValue, 1_000_000).SimulatedPs;
        ulong b = ProgramRunner.Run(ProgramRunner.Build(hidden, program, "b"), ulong.MaxValue, 1_000_000).SimulatedPs;
        ulong cyclePs = 1_000_000_000_000UL / baseCard.ClockHz;
        Assert.That((double)(a - b), Is.EqualTo(10.0 * baseCard.DmaSetupCycles * cyclePs).Within(10.0 * cyclePs));
    }

    [Test]
    public void NeutralValuesAreTheUncalibratedModelAndEveryParameterIsLabelledCalibration()
    {
        ResolvedConfig shipped = ConfigLoader.Load("S4");
        ResolvedConfig neutral = ConfigLoader.Load("S4", Antoum.Sim.Validation.Validator.Neutral());
        Assert.That(neutral.Config.Chip.Calibration, Is.EqualTo(new CalibrationConfig()));
        Assert.That(Antoum.Sim.Validation.Validator.CalibrationParameters.Count, Is.InRange(1, 3));
        string json = File.ReadAllText(Path.Combine(ConfigLoader.DefaultConfigsDirectory(), "antoum.json"));
        foreach ((string key, _, _, _) in Antoum.Sim.Validation.Validator.CalibrationParameters)
        {
            string leaf = key.Split('.')[^1];
            int at = json.IndexOf("\"" + leaf + "\"", StringComparison.Ordinal);
            Assert.That(at, Is.GreaterThan(0), key);
            string line = json[at..json.IndexOf('\n', at)];
            Assert.That(line, Does.Contain("\"calibration\":").And.Contain("31,679").And.Contain("--fit"), key);
        }

        Assert.That(shipped.Config.Chip.Calibration, Is.Not.Null);
    }
}
