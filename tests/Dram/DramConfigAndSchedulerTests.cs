using Antoum.Sim.Blocks.Dram;
using Antoum.Sim.Config;
using Antoum.Sim.Stats;
using Antoum.Tests.Config;
using NUnit.Framework;

namespace Antoum.Tests.Dram;

/// <summary>chip.dram timing / organisation validation (errors name the path), the scheduler registry, and the
/// queued mode's FCFS vs FR-FCFS order.</summary>
[TestFixture]
[Category("Quick")]
[Category("Dram")]
public class DramConfigAndSchedulerTests
{
    private static DramConfig Shipped => ConfigLoader.Load("S4", [], ConfigTestFiles.ShippedDir).Config.Chip.Dram;

    [TestCase("dram.timing.tRcd=0ns", "chip.dram.timing.tRcd", "must be > 0")]
    [TestCase("dram.timing.tRcd=18", "chip.dram.timing.tRcd", "has no unit")]
    [TestCase("dram.timing.tRcd=18MHz", "chip.dram.timing.tRcd", "duration")]
    [TestCase("dram.timing.dataRate=4266kT/s", "chip.dram.timing.dataRate", "within a factor of 4")]
    [TestCase("dram.timing.dataRate=0MT/s", "chip.dram.timing.dataRate", "must be > 0")]
    [TestCase("dram.timing.burstLength=8", "chip.dram.timing.burstLength", "16 or 32")]
    [TestCase("dram.timing.readLatency=0", "chip.dram.timing.readLatency", "must be in")]
    [TestCase("dram.timing.tRfcAb=4us", "chip.dram.timing.tRfcAb", "shorter than tRefi")]
    [TestCase("dram.organisation.banks=6", "chip.dram.organisation.banks", "power of two")]
    [TestCase("dram.organisation.channelsPerInterface=0", "chip.dram.organisation.channelsPerInterface", "must be in")]
    [TestCase("dram.organisation.channelWidth=12", "chip.dram.organisation.channelWidth", "8, 16, 32 or 64")]
    [TestCase("dram.organisation.pageSize=3KiB", "chip.dram.organisation.pageSize", "power of two")]
    [TestCase("dram.organisation.pageSize=16B", "chip.dram.organisation.pageSize", "at least one burst")]
    [TestCase("dram.organisation.addressMapping=RoBaXxCo", "chip.dram.organisation.addressMapping", "unknown field \"Xx\"")]
    [TestCase("dram.organisation.addressMapping=RoBaCo", "chip.dram.organisation.addressMapping", "lacks the Channel field")]
    [TestCase("dram.organisation.addressMapping=RoBaBaChCo", "chip.dram.organisation.addressMapping", "appears twice")]
    [TestCase("dram.organisation.addressMapping=RoBaChCo", "chip.dram.organisation.addressMapping", "lacks the Ra field", "dram.organisation.ranks=2")]
    [TestCase("dram.scheduler=LIFO", "chip.dram.scheduler", "FCFS, FRFCFS")]
    [TestCase("dram.refresh=sometimes", "chip.dram.refresh", "allBank, off")]
    public void BadDramValue_IsRejectedNamingItsPath(string set, string path, string fragment, string? extra = null)
    {
        string[] sets = extra is null ? [set] : [set, extra];
        ConfigException ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load("S4", sets, ConfigTestFiles.ShippedDir))!;
        Assert.That(ex.Message, Does.Contain(path).And.Contain(fragment));
    }

    [Test]
    public void ShippedTiming_IsTheJedecTable()
    {
        DramTimingConfig t = Shipped.Timing;
        Assert.Multiple(() =>
        {
            Assert.That(t.DataRate.TransfersPerSecond, Is.EqualTo(4_266_000_000UL));
            Assert.That(t.ClockPeriodPs, Is.EqualTo(469UL), "ceil(2e12 / 4266e6) = ceil(468.82)");
            Assert.That((t.TRcd.Picoseconds, t.TRp.Picoseconds, t.TRas.Picoseconds), Is.EqualTo((18_000UL, 18_000UL, 42_000UL)));
            Assert.That((t.ReadLatency, t.WriteLatency, t.BurstLength), Is.EqualTo((36, 18, 16)));
            Assert.That(Shipped.Organisation.BurstBytes(t.BurstLength), Is.EqualTo(32));
        });
    }

    [Test]
    public void OtherMappings_Decode()
    {
        // ChRoBaCo: column lowest, then bank, row (65536 rows = 16 bits), channel highest.
        DramConfig cfg = Shipped with { Organisation = Shipped.Organisation with { AddressMapping = "ChRoBaCo" } };
        var m = new Lpddr4xModel(cfg);
        ulong address = (1UL << (5 + 6 + 3 + 16)) | (77UL << (5 + 6 + 3)) | (3UL << (5 + 6)) | (9UL << 5);
        Assert.That(m.Decode(address), Is.EqualTo(new DramLocation(Channel: 1, Rank: 0, Bank: 3, Row: 77, Column: 9)));
    }

    [Test]
    public void Registry_ImplementsEveryConfigName()
    {
        Assert.That(DramSchedulers.Names, Is.EqualTo(DramSchedulerNames.All.Order(StringComparer.Ordinal).ToArray()));
        foreach (string name in DramSchedulerNames.All)
        {
            Assert.That(DramSchedulers.Create(Shipped with { Scheduler = name }).Name, Is.EqualTo(name));
        }

        ArgumentException ex = Assert.Throws<ArgumentException>(() => DramSchedulers.Create(Shipped with { Scheduler = "LIFO" }))!;
        Assert.That(ex.Message, Does.Contain("FCFS, FRFCFS"));
    }

    /// <summary>Queue: A (row 0), B (row 1), C (row 0), all bank 0 channel 0, all arrived. FCFS serves A, B, C:
    /// B and C conflict. FR-FCFS serves A, then C (a hit on A's open row), then B: one conflict, and all done
    /// earlier by the saved conflict's tRP + tRCD less the hit's shorter path.</summary>
    [TestCase("FCFS", new[] { 1L, 2L, 3L }, 0L, 2L)]
    [TestCase("FRFCFS", new[] { 1L, 3L, 2L }, 1L, 1L)]
    public void QueuedMode_ServesInSchedulerOrder(string scheduler, long[] order, long hits, long conflicts)
    {
        DramConfig cfg = Shipped with { Scheduler = scheduler, Refresh = "off" };
        var c = new DramController(cfg, queueCapacity: 4);
        const ulong RowStride = 1UL << 15; // RoBaRaCoCh: 32 B x 2 channels x 64 columns x 8 banks
        Assert.That(c.TryEnqueue(new DramRequest(0, 0, 32, false, 1)), Is.True);
        Assert.That(c.TryEnqueue(new DramRequest(0, RowStride, 32, false, 2)), Is.True);
        Assert.That(c.TryEnqueue(new DramRequest(0, 64, 32, false, 3)), Is.True);
        var served = new List<long>();
        ulong now = 0;
        while (c.TryServeNext(now, out DramRequest r, out ulong done))
        {
            served.Add(r.Tag);
            now = done;
        }

        Assert.Multiple(() =>
        {
            Assert.That(served, Is.EqualTo(order));
            Assert.That(c.Model.Stats.RowHits, Is.EqualTo(hits));
            Assert.That(c.Model.Stats.RowConflicts, Is.EqualTo(conflicts));
            Assert.That(c.Count, Is.Zero);
        });
    }

    [Test]
    public void Stats_RegisterAsFormulasOverThePlainCounters()
    {
        var m = new Lpddr4xModel(Shipped);
        var reg = new StatRegistry();
        ulong now = 0;
        m.Stats.Register(reg, "dram", () => now);
        now = m.Access(0, 0, 64, false); // two bursts, one per channel: both misses
        m.Access(now, 32, 32, false);    // a hit on channel 1
        Assert.Multiple(() =>
        {
            Assert.That(((Formula)reg.Find("dram.bursts")!).Evaluate(), Is.EqualTo(3));
            Assert.That(((Formula)reg.Find("dram.rowHits")!).Evaluate(), Is.EqualTo(1));
            Assert.That(((Formula)reg.Find("dram.rowMisses")!).Evaluate(), Is.EqualTo(2));
            Assert.That(((Formula)reg.Find("dram.bytesRead")!).Evaluate(), Is.EqualTo(96));
            Assert.That(((Formula)reg.Find("dram.ch1.busyTime")!).Evaluate(), Is.EqualTo(2 * m.Stats.ChannelBusyPs[0]));
            Assert.That(((Formula)reg.Find("dram.ch0.utilization")!).Evaluate(), Is.EqualTo((double)m.Stats.ChannelBusyPs[0] / now));
        });
    }

    [Test]
    public void QueuedMode_FullQueueRefuses_AndOnlyArrivedRequestsAreServed()
    {
        var c = new DramController(Shipped, queueCapacity: 2);
        Assert.That(c.TryEnqueue(new DramRequest(100, 0, 32, false, 1)), Is.True);
        Assert.That(c.TryEnqueue(new DramRequest(200, 64, 32, false, 2)), Is.True);
        Assert.That(c.TryEnqueue(new DramRequest(300, 128, 32, false, 3)), Is.False);
        Assert.That(c.TryServeNext(99, out _, out _), Is.False, "nothing has arrived at 99 ps");
        Assert.That(c.TryServeNext(150, out DramRequest first, out _), Is.True);
        Assert.That(first.Tag, Is.EqualTo(1));
        Assert.That(c.TryServeNext(150, out _, out _), Is.False, "request 2 arrives at 200 ps");
    }
}
