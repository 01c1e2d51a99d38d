using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// Weight lookahead (docs/compiler.md "Weight prefetch"): the weight stage of a micro-batched segment is a ring, so
/// the prefetch queue stages several layers ahead. The ring plan's waits must never let a staging overwrite bytes of
/// a staging not yet released, and must never wait for a release that comes only after the staging itself.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class WeightRingTests
{
    /// <summary>
    /// Replays a plan over several micro-batches the way the program runs it: the queue self-signals P frees, waits
    /// Waits[j] before staging j, and channel 0 signals one free per staging, in order. Staging g may proceed once the
    /// frees it waited for (cumulative waits − P real frees, i.e. stagings 0 .. that − 1) have been signalled.
    /// </summary>
    private static void CheckPlan(long[] bytes, long ring, int microBatches = 5)
    {
        RingPlan p = WeightRing.Plan(bytes, ring);
        int n = bytes.Length;
        for (int j = 0; j < n; j++)
        {
            Assert.That(p.Offsets[j] + bytes[j], Is.LessThanOrEqualTo(ring), $"staging {j} inside the ring");
            Assert.That(p.Offsets[j] % 4096, Is.EqualTo(0), "aligned");
        }

        long waited = 0;
        for (int m = 0; m < microBatches; m++)
        {
            for (int j = 0; j < n; j++)
            {
                long g = ((long)m * n) + j;
                waited += p.Waits[j];
                long freed = waited - p.Presignal; // stagings 0 .. freed-1 are released before this copy
                Assert.That(freed, Is.LessThanOrEqualTo(g), $"micro-batch {m} staging {j} waits for its own or a later release (deadlock)");
                for (long e = Math.Max(0, freed); e < g; e++)
                {
                    int je = (int)(e % n);
                    bool overlap = p.Offsets[je] < p.Offsets[j] + bytes[j] && p.Offsets[j] < p.Offsets[je] + bytes[je];
                    Assert.That(overlap, Is.False, $"micro-batch {m} staging {j} overwrites staging {je} of global index {e} before its release");
                }
            }
        }

        Assert.That(p.Waits.Sum(), Is.EqualTo(n), "one free consumed per staging per micro-batch: P frees left at the segment end");
        Assert.That(p.Presignal, Is.InRange(1, n));
    }

    [Test]
    public void RingPlans_NeverOverwriteUnreleasedStagings_AndNeverDeadlock()
    {
        CheckPlan([100_000, 100_000], 200_704);
        CheckPlan([4096, 8192, 300_000, 4096], 1_000_000);
        CheckPlan([300_000], 700_000);
        var rng = new Random(7);
        for (int t = 0; t < 300; t++)
        {
            int n = rng.Next(1, 30);
            long[] bytes = new long[n];
            for (int j = 0; j < n; j++)
            {
                bytes[j] = rng.Next(1, 400_000);
            }

            long max = bytes.Max();
            long ring = ((2 * max) + 4095) / 4096 * 4096 + (rng.Next(0, 8) * 65536L);
            CheckPlan(bytes, ring);
        }
    }

    [Test]
    public void ARingLargerThanAMicroBatchsWeights_StagesAWholeMicroBatchAhead()
    {
        // Side by side: every staging waits only for its own copy in the previous micro-batch.
        RingPlan p = WeightRing.Plan([40_000, 40_000, 40_000], 1 << 20);
        Assert.That(p.Offsets, Is.EqualTo(new long[] { 0, 40_960, 81_920 }));
        Assert.That(p.Waits, Is.EqualTo(new[] { 1, 1, 1 }));
        Assert.That(p.Presignal, Is.EqualTo(3));
    }

    [Test]
    public void TwoSlotRing_IsTheDoubleBuffer()
    {
        RingPlan p = WeightRing.Plan([65_536, 65_536, 65_536, 65_536], 131_072);
        Assert.That(p.Waits, Is.EqualTo(new[] { 1, 1, 1, 1 }));
        Assert.That(p.Presignal, Is.EqualTo(2), "as the two pre-signalled frees of the double buffer");
    }

    private static CardParameters Card() => CardParameters.FromConfig(ConfigLoader.Load("S4").Config);

    /// <summary>
    /// l1: compute-heavy with small weights; l2: short, with small weights; l3: 512 KiB of dense INT8 weights (over
    /// 27k cycles at one interface's bandwidth), little compute. With two buffers l3's staging starts only when l1 released its buffer; with the ring it
    /// starts at once and overlaps l1 too.
    /// </summary>
    private static WorkloadGraph ThreeLayers() => new()
    {
        Name = "three-layers",
        InputBytesPerSample = 512 * 128,
        OutputBytesPerSample = 8 * 512,
        Layers =
        [
            new Layer { Name = "l1", Op = OpKind.Gemm, M = 512, K = 128, N = 128 },
            new Layer { Name = "l2", Op = OpKind.Gemm, M = 512, K = 128, N = 16 },
            new Layer { Name = "l3", Op = OpKind.Gemm, M = 8, K = 1024, N = 512 },
        ],
    };

    private static NetworkRunResult Run(CardParameters card, WorkloadGraph g, int batch, bool lookahead) =>
        NetworkRun.Run(card, Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card), new CompileOptions { Mode = PartitionMode.PerCluster, WeightLookahead = lookahead, PrefetchInput = false, ResidentWeights = false }), g.Name, ulong.MaxValue, 100_000_000);

    [Test]
    public void Lookahead_StagesHeavyWeightsDuringEarlierLayers()
    {
        CardParameters card = Card();
        NetworkRunResult two = Run(card, ThreeLayers(), 8, lookahead: false);
        NetworkRunResult ring = Run(card, ThreeLayers(), 8, lookahead: true);
        Assert.That(ring.Compiled.Report.Segments, Has.All.Contains("ring"), string.Join("; ", ring.Compiled.Report.Segments));
        Assert.That(two.Compiled.Report.Segments, Has.None.Contains("ring"));
        Assert.That(ring.Compiled.Report.TotalPrefetchedBytes, Is.EqualTo(two.Compiled.Report.TotalPrefetchedBytes).And.GreaterThan(0), "the same bytes, staged earlier");

        // With two buffers l3's weights start to stream only once l1 has released its buffer; with the ring they stream
        // during l1. (Measured: 84,953 vs 80,610 cycles; the saving is bounded by l3's staging sharing the DRAM
        // interface with the segment input read at the start.)
        LayerRow l1 = two.Layers[0];
        TestContext.Out.WriteLine($"two buffers {two.Summary.Cycles} cycles, ring {ring.Summary.Cycles} cycles, l1 {l1.Cycles} cycles");
        Assert.That(ring.Summary.Cycles, Is.LessThan(two.Summary.Cycles - 2_000));
    }

    /// <summary>
    /// InputBeforeLookahead: each cluster's prefetch queue copies the micro-batch's first weights, then waits for
    /// channel 0's input-landed token (308 + k) before any further copy; without the option the token is never used.
    /// </summary>
    [TestCase(true)]
    [TestCase(false)]
    public void PrefetchQueue_WaitsForTheMicroBatchInput_AfterItsFirstStaging(bool inputFirst)
    {
        CardParameters card = Card();
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(ThreeLayers(), 8, CompilerTarget.From(card),
            new CompileOptions { Mode = PartitionMode.PerCluster, InputBeforeLookahead = inputFirst, PrefetchInput = false, ResidentWeights = false });
        int queues = 0;
        foreach (EngineStream s in c.Program.Streams)
        {
            if (s.Engine.Kind != EngineKind.Dma || s.Engine.Unit != 8)
            {
                continue;
            }

            queues++;
            int copies = 0, inputWaits = 0, copiesBeforeFirst = -1;
            foreach (Instruction i in s.Code)
            {
                if (i.Op is Opcode.Copy or Opcode.Copy2d or Opcode.Copy3d)
                {
                    copies++;
                }
                else if (i.Op == Opcode.Wait && TokenRef.Unpack(i.A).Id == 308 + s.Engine.Cluster)
                {
                    inputWaits++;
                    copiesBeforeFirst = copiesBeforeFirst < 0 ? copies : copiesBeforeFirst;
                }
            }

            Assert.That(copies, Is.EqualTo(3), $"{s.Engine}: one staging per layer");
            Assert.That(inputWaits, Is.EqualTo(inputFirst ? 1 : 0), $"{s.Engine}: one micro-batch");
            if (inputFirst)
            {
                Assert.That(copiesBeforeFirst, Is.EqualTo(1), $"{s.Engine}: the first layer's weights are staged before the wait");
            }
        }

        Assert.That(queues, Is.EqualTo(4));
        NetworkRunResult run = NetworkRun.Run(card, c, "three-layers", ulong.MaxValue, 100_000_000);
        Assert.That(run.Summary.Cycles, Is.GreaterThan(0UL), "runs to the end (no deadlock)");
    }
}
