using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Interconnect;

/// <summary>
/// The host link in the memory fabric with the shipped LPDDR4x device model: a host → DRAM copy is limited by the
/// PCIe link's effective bandwidth. (Before the fix the host link's resource index was taken for a DRAM device's,
/// so with the device model it had no bandwidth limit and host copies ran at the chip link's rate.)
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Interconnect")]
public class HostLinkFabricTests
{
    private const ulong Bytes = 4 * 1024 * 1024;

    // S4 (PCIe 3.0 x16): the link, not the DMA queue's bursts in flight, is the narrowest part of the path.
    [Test]
    public void AHostCopyTakesItsBytesOverTheHostLinksEffectiveBandwidth()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4").Config);
        Assert.That(p.DramDevice, Is.Not.Null, "the shipped config uses the LPDDR4x device model");
        Assert.That(p.HostLinkBytesPerSecond, Is.LessThan(p.ChipLinkBytesPerSecond), "the host link is the narrowest resource of the path");
        AkpProgram program = Assembler.Assemble($".engine dma.0\n copy dram.0[0], host[0], {Bytes}\n", "host.s");
        ProgramSummary s = ProgramRunner.Run(ProgramRunner.Build(p, program, "host.s"), ulong.MaxValue, ulong.MaxValue);
        double serialisation = Bytes * 1e12 / p.HostLinkBytesPerSecond;
        double latencies = p.LaunchOverheadPs + 2.0 * (p.HostLinkLatencyPs + p.ChipLinkLatencyPs + p.DramLatencyPs) + 1e6;
        Assert.That((double)s.SimulatedPs, Is.GreaterThanOrEqualTo(serialisation), "no faster than the PCIe link");
        Assert.That((double)s.SimulatedPs, Is.LessThanOrEqualTo(1.02 * serialisation + latencies), "the PCIe link is the limit");
    }
}
