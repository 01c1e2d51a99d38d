using Antoum.Sim.Blocks.Dram;
using Antoum.Sim.Config;
using Antoum.Tests.Config;
using NUnit.Framework;

namespace Antoum.Tests.Dram;

/// <summary>
/// Timing of the LPDDR4x model against closed forms computed here from the shipped config's timing table (never from
/// the model's own derived numbers): unloaded latencies, row hit / miss / conflict gaps, timing boundaries (not ready
/// at T - 1, ready at T), streaming and random bandwidth, refresh overhead, determinism.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Dram")]
public class Lpddr4xModelTests
{
    private DramConfig _cfg = null!;
    private ulong _tck;

    [OneTimeSetUp]
    public void LoadShipped()
    {
        _cfg = ConfigLoader.Load("S4", [], ConfigTestFiles.ShippedDir).Config.Chip.Dram;
        ulong rate = _cfg.Timing.DataRate.TransfersPerSecond;
        _tck = (2_000_000_000_000UL + rate - 1) / rate;
        Assume.That(_cfg.Organisation.AddressMapping, Is.EqualTo("RoBaRaCoCh"), "the address helper below assumes the shipped mapping");
        Assume.That(_cfg.Organisation.Ranks, Is.EqualTo(1));
    }

    // ---- closed forms from the config ----

    /// <summary>A JEDEC duration rounded up to whole clock cycles, in ps.</summary>
    private ulong C(Duration d) => (d.Picoseconds + _tck - 1) / _tck * _tck;

    /// <summary>Clock cycles in ps.</summary>
    private ulong N(int cycles) => (ulong)cycles * _tck;

    private ulong Burst => N(_cfg.Timing.BurstLength / 2);

    private ulong Rl => N(_cfg.Timing.ReadLatency);

    private ulong Wl => N(_cfg.Timing.WriteLatency);

    private int BurstBytes => _cfg.Timing.BurstLength * _cfg.Organisation.ChannelWidth / 8;

    /// <summary>Address of (row, bank, channel, column burst) under RoBaRaCoCh with one rank: from the least
    /// significant bit: byte in burst, channel, column, bank, row.</summary>
    private ulong Addr(ulong row, int bank, int channel, int column)
    {
        DramOrganisationConfig o = _cfg.Organisation;
        ulong burst = (ulong)BurstBytes;
        ulong columns = o.PageSize.Bytes / burst;
        ulong a = (ulong)channel;
        a += (ulong)column * (ulong)o.ChannelsPerInterface;
        a += (ulong)bank * columns * (ulong)o.ChannelsPerInterface;
        a += row * (ulong)o.Banks * columns * (ulong)o.ChannelsPerInterface;
        return a * burst;
    }

    private Lpddr4xModel Model(DramConfig? cfg = null) => new(cfg ?? _cfg);

    private DramConfig NoRefresh => _cfg with { Refresh = "off" };

    [Test]
    public void AddressMapping_DecodesTheFieldsTheHelperEncodes()
    {
        Lpddr4xModel m = Model();
        DramLocation l = m.Decode(Addr(row: 12345, bank: 5, channel: 1, column: 17) + 3);
        Assert.That(l, Is.EqualTo(new DramLocation(Channel: 1, Rank: 0, Bank: 5, Row: 12345, Column: 17)));
        Assert.That(m.BurstBytes, Is.EqualTo(BurstBytes));
    }

    [Test]
    public void UnloadedRead_ClosedBank_IsTrcdPlusRlPlusBurst()
    {
        Lpddr4xModel m = Model();
        ulong expected = C(_cfg.Timing.TRcd) + Rl + Burst;
        Assert.That(m.Access(0, Addr(0, 0, 0, 0), (uint)BurstBytes, isWrite: false), Is.EqualTo(expected));

        // A request arriving between clock edges starts at the next edge.
        Lpddr4xModel m2 = Model();
        Assert.That(m2.Access(1, Addr(0, 0, 0, 0), 1, isWrite: false), Is.EqualTo(_tck + expected));
        Assert.That(m.Stats.RowMisses, Is.EqualTo(1));
    }

    [Test]
    public void RowHitMissConflict_LatenciesAndGaps()
    {
        Lpddr4xModel m = Model();
        ulong trcd = C(_cfg.Timing.TRcd);
        ulong trp = C(_cfg.Timing.TRp);
        ulong quiet = 1_000 * _tck; // long after every constraint of earlier accesses, before the first refresh

        ulong miss = m.Access(0, Addr(7, 3, 0, 0), (uint)BurstBytes, false) - 0;
        ulong hit = m.Access(quiet, Addr(7, 3, 0, 9), (uint)BurstBytes, false) - quiet;
        ulong conflict = m.Access(2 * quiet, Addr(8, 3, 0, 0), (uint)BurstBytes, false) - (2 * quiet);
        Assert.Multiple(() =>
        {
            Assert.That(hit, Is.EqualTo(Rl + Burst), "hit = RL + burst");
            Assert.That(miss, Is.EqualTo(trcd + Rl + Burst), "miss = tRCD + RL + burst");
            Assert.That(conflict, Is.EqualTo(trp + trcd + Rl + Burst), "conflict = tRP + tRCD + RL + burst");
            Assert.That(miss - hit, Is.EqualTo(trcd));
            Assert.That(conflict - miss, Is.EqualTo(trp));
            Assert.That((m.Stats.RowHits, m.Stats.RowMisses, m.Stats.RowConflicts), Is.EqualTo((1L, 1L, 1L)));
        });
    }

    [Test]
    public void UnloadedWrite_ClosedBank_IsTrcdPlusWlPlusBurst()
    {
        Lpddr4xModel m = Model();
        Assert.That(m.Access(0, Addr(0, 2, 1, 0), (uint)BurstBytes, isWrite: true), Is.EqualTo(C(_cfg.Timing.TRcd) + Wl + Burst));
        Assert.That(m.Stats.BytesWritten, Is.EqualTo(BurstBytes));
    }

    /// <summary>Boundary probe: not ready one ps and one clock before <paramref name="t"/>, ready at it.</summary>
    private static void AssertReadyExactlyAt(Lpddr4xModel m, ulong t, ulong tck, ulong address, bool isWrite, string rule)
    {
        Assert.Multiple(() =>
        {
            Assert.That(m.CanIssueAt(t - tck, address, isWrite), Is.False, rule + ": ready one clock early");
            Assert.That(m.CanIssueAt(t - 1, address, isWrite), Is.False, rule + ": ready 1 ps early");
            Assert.That(m.CanIssueAt(t, address, isWrite), Is.True, rule + ": not ready at T");
        });
    }

    [Test]
    public void Boundary_OpenRowColumnGap_IsTrcdThenTccd()
    {
        Lpddr4xModel m = Model();
        ulong a = Addr(4, 1, 0, 0);
        DramBurstPlan first = m.Peek(0, a, false);
        Assert.That(first.ColumnPs - first.ActivatePs, Is.EqualTo(C(_cfg.Timing.TRcd)), "ACT to READ = tRCD");
        m.Access(0, a, (uint)BurstBytes, false);

        // Second READ to the open row: tCCD after the first.
        ulong t = C(_cfg.Timing.TRcd) + N(_cfg.Timing.TCcd);
        AssertReadyExactlyAt(m, t, _tck, Addr(4, 1, 0, 1), false, "READ-READ tCCD");
        Assert.That(m.Peek(t, Addr(4, 1, 0, 1), false).Outcome, Is.EqualTo(DramRowOutcome.Hit));
    }

    [Test]
    public void Boundary_ActToActOtherBank_IsTrrd()
    {
        Lpddr4xModel m = Model(NoRefresh);
        m.Access(0, Addr(0, 0, 0, 0), (uint)BurstBytes, false);
        AssertReadyExactlyAt(m, C(_cfg.Timing.TRrd), _tck, Addr(0, 1, 0, 0), false, "ACT-ACT tRRD");
    }

    [Test]
    public void Boundary_FifthActivate_WaitsForTfaw()
    {
        // With the shipped grade 4 x tRRD >= tFAW, so tFAW never binds; shorten tRRD so it does.
        DramConfig cfg = NoRefresh with { Timing = _cfg.Timing with { TRrd = new Duration(5_000) } };
        ulong trrd = (5_000 + _tck - 1) / _tck * _tck;
        ulong tfaw = C(_cfg.Timing.TFaw);
        Assume.That(4 * trrd, Is.LessThan(tfaw));
        Lpddr4xModel m = Model(cfg);
        for (int bank = 0; bank < 4; bank++)
        {
            DramBurstPlan p = m.Peek((ulong)bank * trrd, Addr(0, bank, 0, 0), false);
            Assert.That(p.ActivatePs, Is.EqualTo((ulong)bank * trrd), $"ACT {bank} at {bank} x tRRD");
            m.Access((ulong)bank * trrd, Addr(0, bank, 0, 0), (uint)BurstBytes, false);
        }

        AssertReadyExactlyAt(m, tfaw, _tck, Addr(0, 4, 0, 0), false, "fifth ACT tFAW");
    }

    [Test]
    public void Boundary_ConflictPrecharge_WaitsForTrasAndTrtp_ThenTrp()
    {
        Lpddr4xModel m = Model();
        m.Access(0, Addr(0, 6, 0, 0), (uint)BurstBytes, false);
        ulong read = C(_cfg.Timing.TRcd);
        ulong rtp = C(_cfg.Timing.TRtp);
        ulong readToPre = Burst + Math.Max(rtp, N(8)) - N(8);
        ulong tPre = Math.Max(C(_cfg.Timing.TRas), read + readToPre);
        ulong other = Addr(1, 6, 0, 0);
        AssertReadyExactlyAt(m, tPre, _tck, other, false, "PRE after tRAS / READ-to-PRE");
        DramBurstPlan p = m.Peek(tPre, other, false);
        Assert.That((p.Outcome, p.PrechargePs, p.ActivatePs), Is.EqualTo((DramRowOutcome.Conflict, tPre, tPre + C(_cfg.Timing.TRp))));
    }

    [Test]
    public void Boundary_WriteToRead_IsWlPlusOnePlusBurstPlusTwtr()
    {
        Lpddr4xModel m = Model();
        m.Access(0, Addr(2, 2, 0, 0), (uint)BurstBytes, isWrite: true);
        ulong write = C(_cfg.Timing.TRcd);
        ulong t = write + Wl + N(1) + Burst + C(_cfg.Timing.TWtr);
        AssertReadyExactlyAt(m, t, _tck, Addr(2, 2, 0, 1), false, "WRITE-READ turnaround");

        // A write after the write only needs tCCD.
        Assert.That(m.Peek(0, Addr(2, 2, 0, 2), true).ColumnPs, Is.EqualTo(write + N(_cfg.Timing.TCcd)));
    }

    [Test]
    public void Boundary_ReadToWrite_IsRlPlusTdqsckPlusBurstMinusWlPlusPreamble()
    {
        Lpddr4xModel m = Model();
        m.Access(0, Addr(2, 2, 0, 0), (uint)BurstBytes, isWrite: false);
        ulong read = C(_cfg.Timing.TRcd);
        ulong t = read + Rl + C(_cfg.Timing.TDqsckMax) + Burst + N(_cfg.Timing.WritePreamble) - Wl;
        AssertReadyExactlyAt(m, t, _tck, Addr(2, 2, 0, 1), true, "READ-WRITE turnaround");
    }

    [Test]
    public void Boundary_Refresh_BlocksTheRankForTrfcFromTrefi()
    {
        Lpddr4xModel m = Model();
        ulong refi = C(_cfg.Timing.TRefi);
        ulong end = refi + C(_cfg.Timing.TRfcAb);

        // Idle rank, all banks closed: the refresh runs from its due time tREFI for tRFCab; just before the due time
        // a command still goes.
        Assert.That(m.CanIssueAt(refi - _tck, Addr(0, 0, 0, 0), false), Is.True, "before the refresh is due");
        AssertReadyExactlyAt(m, end, _tck, Addr(0, 0, 0, 0), false, "ACT after REFab");
        Assert.That(m.Access(refi, Addr(0, 0, 0, 0), 1, false), Is.EqualTo(end + C(_cfg.Timing.TRcd) + Rl + Burst));
        Assert.That((m.Stats.Refreshes, m.Stats.RefreshStalls, m.Stats.RefreshStallPs), Is.EqualTo((1L, 1L, (long)(end - refi))));
    }

    [Test]
    public void Refresh_OwedDuringIdleTime_AreCountedAndDoNotDelayLaterRequests()
    {
        Lpddr4xModel m = Model();
        ulong refi = C(_cfg.Timing.TRefi);
        ulong arrival = (1000 * refi) + (refi / 2); // mid-way between refreshes 1000 and 1001
        Assert.That(m.Access(arrival, Addr(0, 0, 0, 0), 1, false) - arrival,
            Is.EqualTo(C(_cfg.Timing.TRcd) + Rl + Burst).Within(_tck), "no stall once the last owed refresh has ended");
        Assert.That(m.Stats.Refreshes, Is.EqualTo(1000));
        Assert.That(m.Stats.RefreshStalls, Is.Zero);
    }

    private ulong PeakBytesPerSecond => (ulong)_cfg.Organisation.ChannelsPerInterface * (ulong)BurstBytes * 1_000_000_000_000UL / Burst;

    /// <summary>Streams <paramref name="bytes"/> sequential bytes in <paramref name="requestBytes"/> requests all
    /// arriving at 0 (saturating load); returns the achieved bandwidth in B/s.</summary>
    private static double Stream(Lpddr4xModel m, ulong bytes, uint requestBytes, bool isWrite)
    {
        ulong end = 0;
        for (ulong a = 0; a < bytes; a += requestBytes)
        {
            end = Math.Max(end, m.Access(0, a, requestBytes, isWrite));
        }

        return bytes * 1e12 / end;
    }

    [Test]
    public void PeakBandwidth_MatchesConfigAndStatedFigure()
    {
        Lpddr4xModel m = Model();
        Assert.That(m.PeakBytesPerSecond, Is.EqualTo(PeakBytesPerSecond));
        Assert.That(_cfg.TimingPeakPerInterface, Is.EqualTo(PeakBytesPerSecond));

        // The assumed organisation (2 x16 channels at 4266 MT/s) gives 2 x 2 B x 4266 MT/s = 17.06 GB/s per interface,
        // within 20% of the stated 82 GB/s / 4 = 20.5 GB/s (docs/dram.md).
        double perInterfaceStated = (double)_cfg.Bandwidth.BytesPerSecond / _cfg.Interfaces;
        Assert.That(PeakBytesPerSecond / perInterfaceStated, Is.InRange(0.8, 1.0));
    }

    [Test]
    public void SequentialReads_ReachPeak_WithoutRefresh()
    {
        // 4 MiB in 64 B requests: every row switch is a miss to the next bank, whose ACTIVATE the look-ahead hides.
        double bw = Stream(Model(NoRefresh), 4 << 20, 64, false);
        double ideal = PeakBytesPerSecond;

        // Only the first access's tRCD + RL is not overlapped: tolerance = that over the whole stream time.
        double streamPs = (4 << 20) * 1e12 / ideal;
        double tolerance = (C(_cfg.Timing.TRcd) + Rl) / streamPs;
        TestContext.Out.WriteLine($"sequential {bw / 1e9:F4} GB/s of {ideal / 1e9:F4} GB/s peak ({bw / ideal:P3}), tolerance {tolerance:P4}");
        Assert.That(bw / ideal, Is.InRange(1 - tolerance - 1e-9, 1.0));
    }

    [Test]
    public void SequentialReads_WithRefresh_LoseAboutTrfcOverTrefi()
    {
        // Long enough for ~40 refreshes.
        ulong bytes = 48UL << 20;
        double off = Stream(Model(NoRefresh), bytes, 64, false);
        Lpddr4xModel on = Model();
        double withRefresh = Stream(on, bytes, 64, false);
        double loss = 1 - (withRefresh / off);

        // Each refresh stops the data bus for at least tRFCab; at most for the wait until the open rows may close
        // (tRAS after their ACT), tRPab, tRFCab, then a fresh tRCD + RL before data flows again.
        double refi = C(_cfg.Timing.TRefi);
        double lower = C(_cfg.Timing.TRfcAb) / refi;
        double upper = (C(_cfg.Timing.TRas) + C(_cfg.Timing.TRpAb) + C(_cfg.Timing.TRfcAb) + C(_cfg.Timing.TRcd) + Rl) / refi;
        TestContext.Out.WriteLine($"refresh loss {loss:P3} (bounds {lower:P3}..{upper:P3}), {on.Stats.Refreshes} refreshes");
        Assert.That(on.Stats.Refreshes, Is.GreaterThan(30));
        Assert.That(loss, Is.InRange(lower, upper), $"loss {loss:P2}, bounds {lower:P2}..{upper:P2}");
    }

    [Test]
    public void SequentialWrites_ReachPeak_WithoutRefresh()
    {
        double bw = Stream(Model(NoRefresh), 4 << 20, 64, true);
        Assert.That(bw / PeakBytesPerSecond, Is.GreaterThan(0.99));
    }

    [Test]
    public void RandomReads_AreActivateBound()
    {
        // Random 32 B reads: almost every burst needs an ACTIVATE, and one rank takes at most one ACTIVATE per
        // max(tRRD, tFAW / 4), so each channel moves at most one burst per that window; bank conflicts (tRC = tRAS +
        // tRP per bank) cut it further, but not below one burst per (tRC + tRCD) per channel.
        Lpddr4xModel m = Model(NoRefresh);
        var rng = new Lcg(12345);
        ulong end = 0;
        const int N = 20_000;
        for (int i = 0; i < N; i++)
        {
            ulong a = (rng.Next() % (1UL << 30)) & ~31UL;
            end = Math.Max(end, m.Access(0, a, 32, false));
        }

        double bw = N * 32 * 1e12 / end;
        double actWindow = Math.Max(C(_cfg.Timing.TRrd), C(_cfg.Timing.TFaw) / 4.0);
        double channels = _cfg.Organisation.ChannelsPerInterface;
        double upper = channels * BurstBytes * 1e12 / actWindow;
        double lower = channels * BurstBytes * 1e12 / (C(_cfg.Timing.TRas) + C(_cfg.Timing.TRp) + C(_cfg.Timing.TRcd));
        TestContext.Out.WriteLine($"random {bw / 1e9:F3} GB/s in [{lower / 1e9:F3}, {upper / 1e9:F3}], peak {PeakBytesPerSecond / 1e9:F3}, hits {m.Stats.RowHits} conflicts {m.Stats.RowConflicts}");
        Assert.That(bw, Is.InRange(lower, upper * 1.01), $"random {bw / 1e9:F2} GB/s, peak {PeakBytesPerSecond / 1e9:F2} GB/s");
        Assert.That(bw, Is.LessThan(0.5 * PeakBytesPerSecond));
        Assert.That(m.Stats.RowHits, Is.LessThan(N / 100));
    }

    [Test]
    public void SameInputs_GiveIdenticalTimesAndStats()
    {
        static (ulong Sum, long Hits, long Conflicts, long Refreshes) Run(DramConfig cfg)
        {
            var m = new Lpddr4xModel(cfg);
            var rng = new Lcg(99);
            ulong now = 0;
            ulong sum = 0;
            for (int i = 0; i < 5_000; i++)
            {
                now += rng.Next() % 20_000;
                ulong done = m.Access(now, rng.Next() % (1UL << 28), (uint)(1 + (rng.Next() % 256)), (rng.Next() & 3) == 0);
                sum = unchecked((sum * 31) + done);
            }

            return (sum, m.Stats.RowHits, m.Stats.RowConflicts, m.Stats.Refreshes);
        }

        Assert.That(Run(_cfg), Is.EqualTo(Run(_cfg)));
    }

    [Test]
    public void RequestSpanningBursts_CompletesWithItsLastBurst()
    {
        // 256 B from offset 16 covers 9 bursts of 32 B, alternating channels: 5 on channel 0, 4 on channel 1.
        Lpddr4xModel m = Model(NoRefresh);
        ulong done = m.Access(0, 16, 256, false);
        Assert.That(m.Stats.Bursts, Is.EqualTo(9));
        Assert.That(done, Is.EqualTo(C(_cfg.Timing.TRcd) + Rl + (5 * Burst)));
        Assert.That(m.Stats.ChannelBusyPs, Is.EqualTo(new[] { (long)(5 * Burst), (long)(4 * Burst) }));
    }

    [Test]
    public void Access_DoesNotAllocate()
    {
        Lpddr4xModel m = Model();
        m.Access(0, 0, 64, false);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ulong now = 0;
        for (ulong i = 0; i < 10_000; i++)
        {
            now += 1_000;
            m.Access(now, i * 4096, 128, (i & 1) == 0);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    /// <summary>A fixed 64-bit linear congruential generator (Knuth MMIX constants), so the tests own their stream.</summary>
    private sealed class Lcg(ulong seed)
    {
        private ulong _s = seed;

        public ulong Next()
        {
            _s = (_s * 6364136223846793005UL) + 1442695040888963407UL;
            return _s >> 11;
        }
    }
}
