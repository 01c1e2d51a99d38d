using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using Antoum.Tests.Functional;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// Segment input prefetch (docs/compiler.md "Segment input prefetch"), timing: the next micro-batch's segment input
/// (and the next segment's first) is copied DRAM → L2 while the current micro-batch computes, and the L2 budget keeps
/// the segments and micro-batches of the schedule without it.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class InputPrefetchOverlapTests
{
    private static CardParameters Card(params string[] sets) => CardParameters.FromConfig(ConfigLoader.Load("S4", sets).Config);

    private static NetworkRunResult Run(CardParameters card, WorkloadGraph g, int batch, bool prefetchInput)
    {
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card), new CompileOptions { Mode = PartitionMode.PerCluster, PrefetchInput = prefetchInput, WeightLookahead = false, ResidentWeights = false });
        return NetworkRun.Run(card, c, g.Name, ulong.MaxValue, 100_000_000);
    }

    /// <summary>
    /// Two compute-heavy GEMMs per sample (256 × 256 × 1024 and 256 × 1024 × 256, 64 KiB of INT8 input per sample): on a
    /// 2.75 MiB L2 one segment of two micro-batches of 4, each with 256 KiB of input.
    /// </summary>
    private static WorkloadGraph TwoGemms() => new()
    {
        Name = "two-gemms",
        InputBytesPerSample = 256 * 256,
        OutputBytesPerSample = 256 * 256,
        Layers =
        [
            new Layer { Name = "g1", Op = OpKind.Gemm, M = 256, K = 256, N = 1024 },
            new Layer { Name = "g2", Op = OpKind.Gemm, M = 256, K = 1024, N = 256 },
        ],
    };

    [Test]
    public void NextInputCopy_OverlapsCompute()
    {
        // Serial: each micro-batch's 256 KiB input is copied on channel 0 at its start, with every SPU idle. Prefetched:
        // the second one is copied on the prefetch queue while the first micro-batch computes.
        CardParameters card = Card("chip.l2.capacity=2816KiB");
        NetworkRunResult serial = Run(card, TwoGemms(), 32, prefetchInput: false);
        NetworkRunResult overlapped = Run(card, TwoGemms(), 32, prefetchInput: true);
        Assert.That(overlapped.Compiled.Report.Segments, Is.EqualTo(new[] { "g1..g2 mb 4 stage 2x262144 prefetch input 2x prefetch" }));
        Assert.That(serial.Compiled.Report.Segments, Is.EqualTo(new[] { "g1..g2 mb 4 stage 2x262144 prefetch" }));
        Assert.That(overlapped.Compiled.Report.Layers.Sum(l => l.DramToL2Bytes), Is.EqualTo(serial.Compiled.Report.Layers.Sum(l => l.DramToL2Bytes)), "the same bytes, only earlier");

        // One cluster's second input at one interface's bandwidth, against the first micro-batch's time.
        double bytesPerCycle = card.DramBytesPerSecondPerInterface / (double)card.ClockHz;
        double copy = 4 * 256 * 256 / bytesPerCycle;
        TestContext.Out.WriteLine($"serial {serial.Summary.Cycles} cycles, input prefetch {overlapped.Summary.Cycles} cycles; copy {copy:0} cycles");
        Assert.That(copy, Is.GreaterThan(10_000), "the test needs a copy time that matters");
        Assert.That(overlapped.Summary.Cycles, Is.LessThan(serial.Summary.Cycles - (0.5 * copy)), "at least half of the second input's copy is hidden");
    }

    [Test]
    public void ResNet50_KeepsItsSegmentsAndMicroBatches()
    {
        // The anchor's schedule: the input buffers fit the L2 next to each segment's regions without another pass.
        CompileTarget t = CompilerTarget.From(Card());
        WorkloadGraph g = Networks.Resolve("resnet50") with { InputBytesPerSample = 224 * 224 * 3 };
        CompileResult on = Antoum.Firmware.Compiler.Compiler.Compile(g, 32, t, new CompileOptions { Mode = PartitionMode.PerCluster });
        CompileResult off = Antoum.Firmware.Compiler.Compiler.Compile(g, 32, t, new CompileOptions { Mode = PartitionMode.PerCluster, PrefetchInput = false });
        static string Shape(string seg) => string.Join(' ', seg.Split(' ')[..3]);
        Assert.That(on.Report.Segments.Select(Shape), Is.EqualTo(off.Report.Segments.Select(Shape)));
        Assert.That(on.Report.Segments, Has.All.Contains("input 2x prefetch"), string.Join("; ", on.Report.Segments));

        // With two stage buffers (no weight ring) and fc's weights staged per micro-batch, the L2 left over takes the
        // second segment's first input ahead; the ring and the resident weights use that room by default.
        CompileResult two = Antoum.Firmware.Compiler.Compiler.Compile(g, 32, t, new CompileOptions { Mode = PartitionMode.PerCluster, WeightLookahead = false, ResidentWeights = false });
        Assert.That(two.Report.Segments[1], Does.EndWith("input 2x prefetch ahead"), string.Join("; ", two.Report.Segments));
    }
}
