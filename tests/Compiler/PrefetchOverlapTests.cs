using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// Weight prefetch (docs/compiler.md "Weight prefetch"), timing: a layer's weight staging DRAM → L2 overlaps the
/// previous layer's compute, and the L2 budget decides whether a segment double-buffers its stage.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class PrefetchOverlapTests
{
    private static CardParameters Card(params string[] sets) => CardParameters.FromConfig(ConfigLoader.Load("S4", sets).Config);

    /// <summary>
    /// Layer 1: 256 × 256 × 1024 (compute-heavy: 67 M MACs per cluster, few bytes per MAC); layer 2: 256 × 2048 × 256
    /// (512 KiB of dense INT8 weights, over 20k cycles at one interface's bandwidth); one sample per cluster.
    /// </summary>
    private static WorkloadGraph TwoLayers() => new()
    {
        Name = "two-layers",
        InputBytesPerSample = 256 * 1024,
        OutputBytesPerSample = 256 * 2048,
        Layers =
        [
            new Layer { Name = "l1", Op = OpKind.Gemm, M = 256, K = 1024, N = 256 },
            new Layer { Name = "l2", Op = OpKind.Gemm, M = 256, K = 256, N = 2048 },
        ],
    };

    private static NetworkRunResult Run(CardParameters card, WorkloadGraph g, int batch, bool prefetch)
    {
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card), new CompileOptions { Mode = PartitionMode.PerCluster, Prefetch = prefetch });
        return NetworkRun.Run(card, c, g.Name, ulong.MaxValue, 100_000_000);
    }

    [Test]
    public void NextLayersWeightStaging_OverlapsThisLayersCompute()
    {
        CardParameters card = Card();
        NetworkRunResult serial = Run(card, TwoLayers(), 4, prefetch: false);
        NetworkRunResult overlapped = Run(card, TwoLayers(), 4, prefetch: true);

        LayerReport l2 = overlapped.Compiled.Report.Layers[1];
        Assert.That(l2.PrefetchedBytes, Is.EqualTo(l2.DramToL2Bytes).And.GreaterThan(0), "layer 2's weights go through the prefetch queue");
        Assert.That(serial.Compiled.Report.TotalPrefetchedBytes, Is.EqualTo(0));
        Assert.That(serial.Compiled.Report.Layers[1].DramToL2Bytes, Is.EqualTo(l2.DramToL2Bytes), "the same bytes are staged, only earlier");

        // The serial schedule: layer 1's compute, then layer 2's weights DRAM → L2 on channel 0 (nothing else moves),
        // then layer 2. Staging one cluster's copy of layer 2's weights takes at least bytes / interface bandwidth.
        long perCluster = l2.DramToL2Bytes / 4;
        double bytesPerCycle = card.DramBytesPerSecondPerInterface / (double)card.ClockHz;
        double stageCycles = perCluster / bytesPerCycle;
        LayerRow serialL1 = serial.Layers[0];
        double overlap = Math.Min(stageCycles, serialL1.Cycles);
        TestContext.Out.WriteLine($"serial {serial.Summary.Cycles} cycles, prefetch {overlapped.Summary.Cycles} cycles; stage {stageCycles:0} cycles, layer 1 {serialL1.Cycles} cycles");
        Assert.That(stageCycles, Is.GreaterThan(10_000), "the test needs a staging time that matters");
        Assert.That(overlapped.Summary.Cycles, Is.LessThan(serial.Summary.Cycles - (0.5 * overlap)),
            "at least half of the smaller of (layer 2's staging, layer 1's compute) is hidden");
    }

    [Test]
    public void SecondStageBuffer_IsUsedOnlyWhenTheL2HoldsItWithoutMorePasses()
    {
        // 4 MiB L2: the double stage fits. 1.25 MiB: the 512 KiB stage fits once (at most half of what the scratch
        // leaves) but not twice, so the segment stages synchronously on channel 0.
        CompileTarget big = CompilerTarget.From(Card());
        CompileTarget small = CompilerTarget.From(Card("chip.l2.capacity=1280KiB"));
        var options = new CompileOptions { Mode = PartitionMode.PerCluster };
        WorkloadGraph g = TwoLayers() with { Layers = [new Layer { Name = "l1", Op = OpKind.Gemm, M = 64, K = 64, N = 256 }, new Layer { Name = "l2", Op = OpKind.Gemm, M = 64, K = 256, N = 2048 }] };
        CompileResult withRoom = Antoum.Firmware.Compiler.Compiler.Compile(g, 4, big, options);
        CompileResult tight = Antoum.Firmware.Compiler.Compiler.Compile(g, 4, small, options);
        Assert.That(withRoom.Report.Segments, Has.All.Contains("prefetch"), string.Join("; ", withRoom.Report.Segments));
        Assert.That(withRoom.Report.TotalPrefetchedBytes, Is.GreaterThan(0));
        Assert.That(tight.Report.Segments, Has.None.Contains("prefetch"), string.Join("; ", tight.Report.Segments));
        Assert.That(tight.Report.Segments, Has.Some.Contains("stage"), "still a single stage buffer");
        Assert.That(tight.Report.TotalPrefetchedBytes, Is.EqualTo(0));
        Assert.That(tight.Program.Streams.Any(s => s.Engine.Kind == EngineKind.Dma && s.Engine.Unit == 8), Is.False, "no prefetch queue stream");
        Assert.That(tight.Report.Layers.Sum(l => l.DramToL2Bytes), Is.EqualTo(withRoom.Report.Layers.Sum(l => l.DramToL2Bytes)), "the same bytes");
    }
}
