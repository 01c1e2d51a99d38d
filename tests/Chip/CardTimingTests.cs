using System.Numerics;
using Antoum.Sim.Blocks.Host;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Stats;
using Antoum.Sim.Workloads;
using NUnit.Framework;

namespace Antoum.Tests.Chip;

[TestFixture]
[Category("Quick")]
[Category("Chip")]
public class CardTimingTests
{
    private const ulong Ps = 1_000_000_000_000;

    private static CardParameters Tiny(int chips = 1, int clusters = 1, int spus = 1) => new()
    {
        Sku = "test",
        Chips = chips,
        ClockHz = 900_000_000,
        Clusters = clusters,
        SpusPerCluster = spus,
        SpuRows = 16,
        SpuCols = 32,
        SpuPipelineLatency = 8,
        L1Bytes = 64 * 1024,
        DramBytesPerSecondPerInterface = 20_500_000_000,
        DramLatencyPs = 100_000,
        CrossbarBytesPerSecond = 64_000_000_000,
        CrossbarLatencyPs = 3_000,
        HostLinkBytesPerSecond = 15_753_846_153,
        HostLinkLatencyPs = 500_000,
        ChipLinkBytesPerSecond = 31_507_692_307,
        ChipLinkLatencyPs = 200_000,
        LaunchOverheadPs = 2_000_000,
        TdpMilliwatts = 70_000,
    };

    private static ulong Ser(ulong bytes, ulong bw) => (ulong)(((BigInteger)bytes * Ps + bw - 1) / bw);

    private static ulong Edge(ulong n, ulong f) => (ulong)(((BigInteger)n * Ps + f - 1) / f);

    private static ulong CycleAtOrAfter(ulong t, ulong f) => t == 0 ? 0 : (ulong)(((BigInteger)(t - 1) * f / Ps) + 1);

    [Test]
    public void OneTileEndToEndMatchesTheHandComputedTimeline()
    {
        CardParameters p = Tiny();
        GemmWorkload w = BuiltInWorkloads.Resolve("gemm:16x32x64");
        CardModel model = CardBuilder.Build(p, w, 1);
        RunSummary s = CardRun.Run(model, w, 1, new RunLimits());

        // Host -> switch -> chip: the input (16 x 64 B).
        ulong t = Ser(16 * 64, p.HostLinkBytesPerSecond) + p.HostLinkLatencyPs;
        t += Ser(16 * 64, p.ChipLinkBytesPerSecond) + p.ChipLinkLatencyPs;
        t += p.LaunchOverheadPs;
        t += Ser(32, p.CrossbarBytesPerSecond) + p.CrossbarLatencyPs;          // tile command
        t += Ser(16, p.CrossbarBytesPerSecond) + p.CrossbarLatencyPs;          // read request
        const ulong operands = (16 * 64) + (64 * 32);
        t += Ser(operands, p.DramBytesPerSecondPerInterface) + p.DramLatencyPs; // DRAM channel + access latency
        t += Ser(operands, p.CrossbarBytesPerSecond) + p.CrossbarLatencyPs;    // data back through the crossbar
        ulong start = CycleAtOrAfter(t, p.ClockHz);
        // ws (the default dataflow): Sr = K = 64 -> 4 row folds of 16, Sc = N = 32 -> 1 column fold, T = M = 16;
        // each fold 2R + C + T - 2 = 2*16 + 32 + 16 - 2 = 78 cycles (SCALE-Sim), plus the pipeline latency.
        Assert.That(p.SpuDataflow, Is.EqualTo(Antoum.Sim.Blocks.Spu.SpuDataflow.Ws));
        ulong cycles = (4 * 78) + 8;
        t = Edge(start + cycles, p.ClockHz);
        t += Ser(8, p.CrossbarBytesPerSecond) + p.CrossbarLatencyPs;           // tile done
        t += Ser(16 * 32, p.ChipLinkBytesPerSecond) + p.ChipLinkLatencyPs;     // output up to the switch
        t += Ser(16 * 32, p.HostLinkBytesPerSecond) + p.HostLinkLatencyPs;     // and to the host

        Assert.That(s.SimulatedPs, Is.EqualTo(t));
        Assert.That(s.Macs, Is.EqualTo(16L * 32 * 64));
        Assert.That(s.DramBytesRead, Is.EqualTo((long)operands));
        Assert.That(s.DramBytesWritten, Is.EqualTo(16L * 32));
    }

    [Test]
    public void ComputeBoundLayerTakesTheFoldFormulaTimesTheTilesPerArray()
    {
        // A huge DRAM and crossbar bandwidth and zero latencies leave the MAC arrays as the only cost:
        // each array computes its tiles back to back (double buffering hides the fetches), so the layer takes
        // ceil(tiles / arrays) x (ws folds x (2R + C + M - 2) + pipeline) cycles, give or take the first fetch.
        CardParameters p = Tiny(clusters: 2, spus: 4) with
        {
            DramBytesPerSecondPerInterface = 1_000_000_000_000_000,
            CrossbarBytesPerSecond = 1_000_000_000_000_000,
            HostLinkBytesPerSecond = 1_000_000_000_000_000,
            ChipLinkBytesPerSecond = 1_000_000_000_000_000,
            DramLatencyPs = 0,
            CrossbarLatencyPs = 0,
            HostLinkLatencyPs = 0,
            ChipLinkLatencyPs = 0,
            LaunchOverheadPs = 0,
        };
        GemmWorkload w = BuiltInWorkloads.Resolve("gemm:128x256x512"); // 8 x 8 = 64 tiles over 8 arrays
        CardModel model = CardBuilder.Build(p, w, 1);
        RunSummary s = CardRun.Run(model, w, 1, new RunLimits());
        // ws: Sr = K = 512 -> 32 row folds, Sc = 32 -> 1 column fold, T = M = 16 rows of the tile.
        ulong perTile = (32 * ((2 * 16) + 32 + 16 - 2)) + 8;
        ulong expectedCycles = 8 * perTile;
        Assert.That(model.Layers[0].ChunkDepth, Is.EqualTo(512), "a whole K fits L1 twice over");
        Assert.That(s.Cycles, Is.InRange(expectedCycles, expectedCycles + 2));
    }

    [Test]
    public void BatchIsSplitOverChipsAndWorkScalesWithIt()
    {
        Assert.That(Enumerable.Range(0, 3).Select(c => HostDriver.SamplesFor(c, 8, 3)), Is.EqualTo(new[] { 3, 3, 2 }));
        GemmWorkload w = BuiltInWorkloads.Resolve("gemm-small");
        RunSummary one = CardRun.Run(CardBuilder.Build(Tiny(chips: 1, clusters: 2, spus: 2), w, 6), w, 6, new RunLimits());
        RunSummary three = CardRun.Run(CardBuilder.Build(Tiny(chips: 3, clusters: 2, spus: 2), w, 6), w, 6, new RunLimits());
        Assert.That(three.Macs, Is.EqualTo(one.Macs));
        Assert.That(one.Macs, Is.EqualTo(6 * w.MacsPerSample));
        Assert.That(three.SimulatedPs, Is.LessThan(one.SimulatedPs / 2), "three chips share the batch");
    }

    [Test]
    public void L1TooSmallForAnyChunkIsAUserErrorNamingTheLayer()
    {
        CardParameters p = Tiny() with { L1Bytes = 64 };
        GemmWorkload w = BuiltInWorkloads.Resolve("mlp");
        Assert.That(() => CardBuilder.Build(p, w, 1), Throws.InstanceOf<UserInputException>().With.Message.Contains("fc1").And.Message.Contains("L1"));
    }

    [Test]
    public void EventLimitEndsTheRunWithAClearError()
    {
        GemmWorkload w = BuiltInWorkloads.Resolve("mlp");
        CardModel model = CardBuilder.Build(Tiny(), w, 1);
        Assert.That(() => CardRun.Run(model, w, 1, new RunLimits(MaxEvents: 100)),
            Throws.InstanceOf<UserInputException>().With.Message.Contains("event limit"));
    }

    [Test]
    public void StatisticsNamesFollowTheBuildTree()
    {
        GemmWorkload w = BuiltInWorkloads.Resolve("gemm-small");
        CardModel model = CardBuilder.Build(Tiny(chips: 2, clusters: 2, spus: 2), w, 2);
        CardRun.Run(model, w, 2, new RunLimits());
        Assert.That(model.Sim.Stats.Find("chip1.cluster1.spu1.busyCycles"), Is.InstanceOf<Counter>());
        Assert.That(model.Sim.Stats.Find("chip0.cluster0.dram.bytesRead"), Is.InstanceOf<Counter>());
        Assert.That(model.Sim.Stats.Find("card.link.hostDown.bytes"), Is.InstanceOf<Counter>());
    }
}
