using System.Numerics;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Workloads;
using NUnit.Framework;

namespace Antoum.Tests.Dram;

/// <summary>
/// The LPDDR4x device model behind the memory fabric (program execution) and behind the cluster DRAM interface
/// (built-in workloads): end-to-end times against closed forms computed here from the timing table.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Dram")]
public class DramIntegrationTests
{
    private const ulong Ps = 1_000_000_000_000;

    private static ulong Ser(ulong bytes, ulong bw) => (ulong)(((BigInteger)bytes * Ps + bw - 1) / bw);

    private static ulong Edge(ulong n, ulong f) => (ulong)(((BigInteger)n * Ps + f - 1) / f);

    private static ulong CycleAtOrAfter(ulong t, ulong f) => t == 0 ? 0 : (ulong)(((BigInteger)(t - 1) * f / Ps) + 1);

    // The device clock: tCK = ceil(2 / data rate), commands on tCK edges from time 0; a closed-bank read of n bursts
    // that stay in one open row of one channel ends (tRCD + RL + BL/2 + (n - 1) tCCD) tCK after the aligned arrival.
    private static ulong DeviceReadEnd(DramConfig d, ulong arrivalPs, int burstsPerChannel)
    {
        ulong tck = (ulong)((2 * (BigInteger)Ps + d.Timing.DataRate.TransfersPerSecond - 1) / d.Timing.DataRate.TransfersPerSecond);
        ulong aligned = (arrivalPs + tck - 1) / tck * tck;
        ulong trcd = (d.Timing.TRcd.Picoseconds + tck - 1) / tck;
        ulong cycles = trcd + (ulong)d.Timing.ReadLatency + (ulong)(d.Timing.BurstLength / 2) + ((ulong)(burstsPerChannel - 1) * (ulong)d.Timing.TCcd);
        return aligned + (cycles * tck);
    }

    [Test]
    public void ShippedConfigurationUsesTheDeviceModel()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4", Antoum.Sim.Validation.Validator.Neutral()).Config);
        Assert.That(p.DramDevice, Is.Not.Null);
        Assert.That(CardParameters.FromConfig(ConfigLoader.Load("S4", ["dram.model=bandwidth"]).Config).DramDevice, Is.Null);
    }

    [Test]
    public void OneBurstDmaReadPaysTheClosedBankDeviceLatencyPlusTheControllerLatency()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4", Antoum.Sim.Validation.Validator.Neutral()).Config);
        DramConfig d = p.DramDevice!;
        ProgramModel model = ProgramRunner.Build(p, Assembler.Assemble(".engine dma.0\n copy l2[0], dram[0], 32\n", "d.s"), "d.s");
        ProgramSummary s = ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue);

        ulong t0 = Edge(CycleAtOrAfter(p.LaunchOverheadPs, p.ClockHz) + (ulong)p.DmaSetupCycles, p.ClockHz);
        ulong arrival = t0 + Ser(16, p.CrossbarBytesPerSecond);
        ulong l2Latency = Edge((ulong)p.L2LatencyCycles, p.ClockHz);
        ulong landed = DeviceReadEnd(d, arrival, 1) + p.DramLatencyPs + l2Latency;
        Assert.That(s.SimulatedPs, Is.EqualTo(landed + Ser(8, p.CrossbarBytesPerSecond)));
        Assert.That(((Antoum.Sim.Stats.Formula)model.Sim.Stats.Find("chip0.cluster0.dram.device.rowMisses")!).Evaluate(), Is.EqualTo(1));
    }

    [Test]
    public void CardOperandFetchStreamsThroughOpenRowsOnBothChannels()
    {
        // One SPU fetches one 16x32x64 chunk (16*64 + 64*32 = 3072 B = 96 bursts of 32 B, alternating the two
        // channels, so 48 row hits per channel after the first activation).
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4", Antoum.Sim.Validation.Validator.Neutral()).Config) with { Clusters = 1, SpusPerCluster = 1 };
        DramConfig d = p.DramDevice!;
        Assert.That(d.Organisation.ChannelsPerInterface, Is.EqualTo(2));
        GemmWorkload w = BuiltInWorkloads.Resolve("gemm:16x32x64");
        CardModel card = CardBuilder.Build(p, w, 1);
        CardRun.Run(card, w, 1, new RunLimits());

        ulong t = Ser(16 * 64, p.HostLinkBytesPerSecond) + p.HostLinkLatencyPs;
        t += Ser(16 * 64, p.ChipLinkBytesPerSecond) + p.ChipLinkLatencyPs;
        t += p.LaunchOverheadPs;
        t += Ser(32, p.CrossbarBytesPerSecond) + p.CrossbarLatencyPs;   // tile command: the SPU asks for its operands
        ulong asked = t;
        t += Ser(16, p.CrossbarBytesPerSecond) + p.CrossbarLatencyPs;   // read request
        ulong answered = DeviceReadEnd(d, t, 48) + p.DramLatencyPs;
        ulong landed = answered + Ser(3072, p.CrossbarBytesPerSecond) + p.CrossbarLatencyPs;
        var latency = (Antoum.Sim.Stats.Histogram)card.Sim.Stats.Find("chip0.cluster0.spu0.fetchLatency")!;
        Assert.That(latency.Count, Is.EqualTo(1));
        Assert.That((ulong)latency.Max, Is.EqualTo(landed - asked));
    }
}
