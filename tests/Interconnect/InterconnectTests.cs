using System.Numerics;
using Antoum.Isa;
using Antoum.Sim.Blocks.Interconnect;
using Antoum.Sim.Blocks.Memory;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Stats;
using NUnit.Framework;

namespace Antoum.Tests.Interconnect;

[TestFixture]
[Category("Quick")]
[Category("Interconnect")]
public class InterconnectTests
{
    private const ulong Ps = 1_000_000_000_000;
    private const ulong MiB = 1 << 20;

    private static CardParameters Card(string sku) => CardParameters.FromConfig(ConfigLoader.Load(sku).Config) with { DramDevice = null };

    private static ulong Ser(ulong bytes, ulong bw) => (ulong)(((BigInteger)bytes * Ps + bw - 1) / bw);

    // PCIe from first principles: lane rate × lanes × 128/130 / 8 bits; 2% of the link time to DLLPs; 256-byte
    // payloads, each TLP carrying 16 B header + 2 B sequence + 4 B LCRC + 2 B framing.
    [TestCase("S4", 8_000_000_000UL)]
    [TestCase("S10", 16_000_000_000UL)]
    public void OneMebibyteOverX16TakesWireBytesOverTheTlpRatePlusLatency(string sku, ulong transfersPerSecond)
    {
        CardParameters p = Card(sku);
        PcieLinkModel pcie = p.HostPcie!;
        const ulong Payload = 256, Overhead = 16 + 2 + 4 + 2, LatencyPs = 500_000;
        BigInteger rawNum = (BigInteger)transfersPerSecond * 16 * 128, rawDen = 130 * 8;   // bytes per second
        BigInteger tlpNum = rawNum * 98, tlpDen = rawDen * 100;                               // after DLLPs
        ulong tlps = (MiB + Payload - 1) / Payload;
        BigInteger wire = MiB + (tlps * Overhead);
        ulong expectedPs = LatencyPs + (ulong)(((wire * Ps * tlpDen) + tlpNum - 1) / tlpNum);
        ulong effective = (ulong)(tlpNum * Payload / (tlpDen * (Payload + Overhead)));

        Assert.That(tlps, Is.EqualTo(4096));
        Assert.That(pcie.TransferPs(MiB), Is.EqualTo(expectedPs));
        Assert.That(pcie.EffectiveBytesPerSecond, Is.EqualTo(effective));
        Assert.That(pcie.RawBytesPerSecond, Is.EqualTo((ulong)(rawNum / rawDen)));
        Assert.That(p.HostLinkBytesPerSecond, Is.EqualTo(effective), "the card and program paths use the effective rate");
        TestContext.Out.WriteLine($"{sku}: raw {pcie.RawBytesPerSecond} B/s, effective {effective} B/s, 1 MiB in {expectedPs} ps");
    }

    [Test]
    public void PcieNumbersMatchTheDocumentedValues()
    {
        // Gen3 x16: 15.754 GB/s raw, 14.115 GB/s effective, 1 MiB in 74.786 us; Gen4 x16 twice the rates.
        Assert.That(Card("S4").HostLinkBytesPerSecond, Is.EqualTo(14_115_446_153UL));
        Assert.That(Card("S10").HostLinkBytesPerSecond, Is.EqualTo(28_230_892_307UL));
        Assert.That(Card("S4").HostPcie!.TransferPs(MiB) / 1_000_000.0, Is.EqualTo(74.786).Within(0.001));
        Assert.That(Card("S10").HostPcie!.TransferPs(MiB) / 1_000_000.0, Is.EqualTo(37.643).Within(0.001));
    }

    [Test]
    public void PartialTlpsStillPayTheirOverhead()
    {
        PcieLinkModel pcie = Card("S4").HostPcie!;
        Assert.That(pcie.Tlps(257), Is.EqualTo(2));
        Assert.That(pcie.WireBytes(257), Is.EqualTo(257 + (2 * 24)));
        Assert.That(pcie.WireBytes(1), Is.EqualTo(1 + 24));
    }

    [TestCase(4, 0, 1, 1, true)]
    [TestCase(4, 0, 3, 1, false)]
    [TestCase(4, 0, 2, 2, true)]
    [TestCase(4, 3, 1, 2, true)]
    [TestCase(4, 2, 1, 1, false)]
    [TestCase(4, 1, 1, 0, true)]
    public void RingRoutesTheShortestWay(int clusters, int src, int dst, int hops, bool clockwise)
    {
        Assert.That(RingTopology.Route(clusters, src, dst), Is.EqualTo((hops, clockwise)));
    }

    [Test]
    public void CreditsBoundTheLinkRate()
    {
        // min(width × clock, credits × width / (2 × hop latency)).
        Assert.That(RingTopology.LinkBytesPerSecond(256, 800_000_000, 8, 5_000), Is.EqualTo(204_800_000_000UL));
        Assert.That(RingTopology.LinkBytesPerSecond(256, 800_000_000, 16, 5_000), Is.EqualTo(204_800_000_000UL));
        Assert.That(RingTopology.LinkBytesPerSecond(256, 800_000_000, 2, 5_000), Is.EqualTo(2 * 256 * Ps / 10_000));
    }

    [Test]
    public void BytesSplitOverWordInterleavedBanks()
    {
        var sram = new SramBanks(4, 64, 2, 900_000_000, 1_111);
        Assert.That(sram.PeakBytesPerSecond, Is.EqualTo(4UL * 2 * 64 * 900_000_000));
        var banks = new ulong[4];
        sram.BytesPerBank(0, 4096, banks);
        Assert.That(banks, Is.EqualTo(new ulong[] { 1024, 1024, 1024, 1024 }));
        sram.BytesPerBank(32, 100, banks);          // 32 B in word 0, 64 B in word 1, 4 B in word 2
        Assert.That(banks, Is.EqualTo(new ulong[] { 32, 64, 4, 0 }));
        sram.BytesPerBank(256 * 7, 64, banks);      // pitch banks × word: always bank 0
        Assert.That(banks, Is.EqualTo(new ulong[] { 64, 0, 0, 0 }));
        sram.BytesPerBank(200, 1000, banks);        // brute force below
        var brute = new ulong[4];
        for (ulong a = 200; a < 1200; a++)
        {
            brute[(a / 64) % 4]++;
        }

        Assert.That(banks, Is.EqualTo(brute));
    }

    // Two streams over one ring link: dma.0 copies cluster 0 → 1 (link 0→1), dma.3 copies cluster 3 → 1 (a tie,
    // routed clockwise over 3→0 and 0→1). The link is the bottleneck (4 KiB takes 20 ns at 204.8 GB/s; an L2 bank
    // takes 4.4 ns for its 512 B), so alone a stream of N bursts needs N link times, and together each needs 2N:
    // each gets half the link. Tolerance: one burst time (which stream's last burst goes last).
    [Test]
    public void TwoStreamsOverOneRingLinkEachGetHalfOfIt()
    {
        CardParameters p = Card("S4");
        const int N = 64;
        const ulong Burst = 4096;
        ulong t = Ser(Burst, p.NocBytesPerSecond);
        string a = ".engine dma.0\n copy l2.1[0], l2.0[0], " + (N * Burst) + "\n";
        string b = ".engine dma.3\n copy l2.1[0x200000], l2.3[0], " + (N * Burst) + "\n";

        (ProgramSummary aloneA, _) = Run(p, a);
        (ProgramSummary aloneB, _) = Run(p, b);
        (ProgramSummary both, StatRegistry stats) = Run(p, a + b);
        ulong fixedA = aloneA.Engines[0].FinishPs - (N * t);
        ulong fixedB = aloneB.Engines[0].FinishPs - (N * t);
        Assert.That(aloneA.Engines[0].FinishPs - fixedA, Is.EqualTo(N * t));
        Assert.That((double)both.Engines[0].FinishPs, Is.EqualTo((double)(fixedA + (2 * N * t))).Within(t));
        Assert.That((double)both.Engines[1].FinishPs, Is.EqualTo((double)(fixedB + (2 * N * t))).Within(t));

        // Alone the stream is link-bound: its time beyond N link times is only setup and one path latency.
        ulong latency = (2 * Edge(p.L2LatencyCycles, p.ClockHz)) + p.NocHopLatencyPs;
        Assert.That(fixedA, Is.LessThan(Start(p) + Edge((ulong)p.DmaSetupCycles + 2, p.ClockHz) + latency + 1_000));
        Assert.That(Value(stats, "chip0.noc.ring0to1.bytes"), Is.EqualTo(2 * N * (long)Burst));
        Assert.That(Value(stats, "chip0.noc.ring0to1.busyTime"), Is.EqualTo(2 * N * (long)t));
        Assert.That(Value(stats, "chip0.noc.ring3to0.bytes"), Is.EqualTo(N * (long)Burst));
        Assert.That(Value(stats, "chip0.noc.ring1to0.bytes"), Is.EqualTo(0));
    }

    // Bank conflicts: a 2-D copy of 64-byte rows into an L1 (4 banks × 2 ports × 64 B). Rows at pitch 64 rotate over
    // the 4 banks; rows at pitch 256 = banks × word all land in bank 0 and serialise on it. DRAM is made fast and the
    // DMA deep so the L1 banks are the bottleneck: R rows take R/4 bank times contiguous and R bank times conflicting.
    // Tolerance 1 ns (request-link stagger of 17 ps per row, crossbar share).
    [Test]
    public void RowsMappedToOneBankLoseTheBankParallelism()
    {
        CardParameters p = Card("S4") with { DramBytesPerSecondPerInterface = 10_000_000_000_000, DramLatencyPs = 1_000, DmaMaxOutstanding = 64 };
        const int Rows = 192;
        ulong bank = Ser(64, (ulong)(p.L1BytesPerCycle / p.L1Banks) * p.ClockHz);
        (ProgramSummary spread, StatRegistry s1) = Run(p, ".engine dma.0\n copy2d l1.0[0], dram[0], " + Rows + ", 64, 64, 64\n");
        (ProgramSummary conflict, StatRegistry s2) = Run(p, ".engine dma.0\n copy2d l1.0[0], dram[0], " + Rows + ", 64, 256, 64\n");
        ulong extra = conflict.Engines[0].FinishPs - spread.Engines[0].FinishPs;
        Assert.That((double)extra, Is.EqualTo((double)((ulong)(Rows - (Rows / p.L1Banks)) * bank)).Within(1_000));
        Assert.That(Value(s1, "chip0.cluster0.spu0.l1.bank1.bytes"), Is.EqualTo(Rows / 4 * 64));
        Assert.That(Value(s2, "chip0.cluster0.spu0.l1.bank0.bytes"), Is.EqualTo(Rows * 64));
        Assert.That(Value(s2, "chip0.cluster0.spu0.l1.bank0.busyTime"), Is.EqualTo(Rows * (long)bank));
    }

    private static ulong Edge(ulong n, ulong f) => (ulong)(((BigInteger)n * Ps + f - 1) / f);

    private static ulong Edge(int n, ulong f) => Edge((ulong)n, f);

    private static ulong Start(CardParameters p) => Edge((ulong)(((BigInteger)(p.LaunchOverheadPs - 1) * p.ClockHz / Ps) + 1), p.ClockHz);

    private static long Value(StatRegistry stats, string name) => stats.Find(name) is Counter c ? c.Value : -1;

    private static (ProgramSummary Summary, StatRegistry Stats) Run(CardParameters p, string text)
    {
        AkpProgram program = Assembler.Assemble(text, "test.s");
        ProgramModel model = ProgramRunner.Build(p, program, "test.s");
        ProgramSummary s = ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue);
        return (s, model.Sim.Stats);
    }
}
