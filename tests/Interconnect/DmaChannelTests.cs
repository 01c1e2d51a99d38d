using System.Numerics;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Interconnect;

/// <summary>
/// DMA channels (chip.dma.channels): each channel is its own engine with its own queue, but the channels of a cluster
/// share the cluster's crossbar port, L2 banks and DRAM interface, so two channels copying at once split the shared
/// bandwidth; channels of different clusters do not interfere.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Interconnect")]
public class DmaChannelTests
{
    private const ulong Ps = 1_000_000_000_000;
    private const int N = 64;
    private const ulong Burst = 4096;

    // The crossbar is made the narrowest resource of an L2 → L1 copy (a quarter of its shipped rate, below one L1's
    // banks and the L2's banks), so a copy alone is crossbar-bound and the crossbar port is what channels share.
    private static CardParameters Card()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4").Config) with { DramDevice = null };
        return p with { CrossbarBytesPerSecond = p.CrossbarBytesPerSecond / 4 };
    }

    private static ulong Ser(ulong bytes, ulong bw) => (ulong)(((BigInteger)bytes * Ps + bw - 1) / bw);

    // N bursts from consecutive L2 addresses, all landing on one burst-sized L1 buffer (destination stride 0).
    private static string CopyL2ToL1(string engine, int cluster, int spu, ulong l2Offset) =>
        $".engine {engine}\n copy2d l1.{cluster}.{spu}[0], l2.{cluster}[{l2Offset}], {N}, {Burst}, 0, {Burst}\n";

    private static ProgramSummary Run(CardParameters p, string text)
    {
        AkpProgram program = Assembler.Assemble(text, "test.s");
        return ProgramRunner.Run(ProgramRunner.Build(p, program, "test.s"), ulong.MaxValue, ulong.MaxValue);
    }

    [Test]
    public void ShippedConfigHasOneChannelPerSpuAndAPrefetchQueue()
    {
        // One in-order queue per SPU plus one, the weight-prefetch queue dma.K.8 (docs/compiler.md "Weight prefetch").
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4").Config);
        Assert.That(p.DmaChannels, Is.EqualTo(p.SpusPerCluster + 1));
        Assert.That(Card().CrossbarBytesPerSecond, Is.LessThan((ulong)p.L1BytesPerCycle * p.ClockHz), "the test's crossbar is below one L1's rate");
    }

    // Alone, a channel moving N bursts needs N crossbar times t (plus a fixed setup and path latency); two channels of
    // one cluster at once need 2N·t each (they share the port); channels 0 of two clusters need N·t each. Tolerance:
    // one burst time (which channel's last burst goes last).
    [Test]
    public void ChannelsOfOneClusterShareItsCrossbarAndOtherClustersDoNotInterfere()
    {
        CardParameters p = Card();
        ulong t = Ser(Burst, p.CrossbarBytesPerSecond);
        string a = CopyL2ToL1("dma.0", 0, 0, 0);
        string b = CopyL2ToL1("dma.0.1", 0, 1, 0x200000);
        string other = CopyL2ToL1("dma.1", 1, 1, 0x200000);

        ProgramSummary alone = Run(p, a);
        ulong fixedPs = alone.Engines[0].FinishPs - (N * t);
        Assert.That(fixedPs - p.LaunchOverheadPs, Is.LessThan(N * t / 4), "alone the copy is crossbar-bound (beyond the launch)");

        ProgramSummary shared = Run(p, a + b);
        Assert.That(shared.Engines.Select(e => e.Engine), Is.EqualTo(new[] { "dma.0", "dma.0.1" }));
        foreach (EngineRow e in shared.Engines)
        {
            Assert.That((double)e.FinishPs, Is.EqualTo((double)(fixedPs + (2 * N * t))).Within(t), e.Engine);
        }

        ProgramSummary apart = Run(p, a + other);
        foreach (EngineRow e in apart.Engines)
        {
            Assert.That((double)e.FinishPs, Is.EqualTo((double)(fixedPs + (N * t))).Within(t), e.Engine);
        }
    }

    [Test]
    public void AChannelTheConfigDoesNotHaveIsRejectedWithItsName()
    {
        CardParameters p = Card() with { DmaChannels = 2, DmaHostQueues = 0 };
        AkpProgram ok = Assembler.Assemble(CopyL2ToL1("dma.0.1", 0, 1, 0), "ok.s");
        Assert.DoesNotThrow(() => ProgramChecks.Check(p, ok, "ok.s"));
        AkpProgram bad = Assembler.Assemble(CopyL2ToL1("dma.0.2", 0, 1, 0), "bad.s");
        var ex = Assert.Throws<UserInputException>(() => ProgramChecks.Check(p, bad, "bad.s"));
        Assert.That(ex!.Message, Does.Contain("dma.0.2").And.Contain("chip.dma.channels").And.Contain("0..1"));

        // A host queue (chip.dma.hostQueues) is the next DMA engine past the channels.
        CardParameters withHostQueue = p with { DmaHostQueues = 1 };
        Assert.DoesNotThrow(() => ProgramChecks.Check(withHostQueue, bad, "bad.s"));
        AkpProgram beyond = Assembler.Assemble(CopyL2ToL1("dma.0.3", 0, 1, 0), "beyond.s");
        var ex2 = Assert.Throws<UserInputException>(() => ProgramChecks.Check(withHostQueue, beyond, "beyond.s"));
        Assert.That(ex2!.Message, Does.Contain("chip.dma.hostQueues").And.Contain("0..2"));
    }

    [Test]
    public void EngineIdsOfChannelsRoundTrip()
    {
        Assert.That(EngineId.Parse("dma.2.5"), Is.EqualTo(new EngineId(EngineKind.Dma, 0, 2, 5)));
        Assert.That(new EngineId(EngineKind.Dma, 1, 3, 7).ToString(), Is.EqualTo("c1:dma.3.7"));
        Assert.That(new EngineId(EngineKind.Dma, 0, 3, 0).ToString(), Is.EqualTo("dma.3"));
        Assert.That(EngineId.Check(new EngineId(EngineKind.Dma, 0, 0, IsaLimits.MaxDmaChannels - 1).Pack()), Is.Null);
        Assert.That(EngineId.Check(new EngineId(EngineKind.Dma, 0, 0, IsaLimits.MaxDmaChannels).Pack()), Is.Not.Null);
        Assert.That(EngineId.TryParse("dma.0.16", out _, out string? error), Is.False);
        Assert.That(error, Does.Contain("DMA channel"));
    }
}
