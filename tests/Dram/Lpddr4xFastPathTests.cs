using Antoum.Sim.Blocks.Dram;
using Antoum.Sim.Config;
using Antoum.Tests.Config;
using NUnit.Framework;

namespace Antoum.Tests.Dram;

/// <summary>
/// The batched <see cref="Lpddr4xModel.Access"/> against the per-burst reference
/// <see cref="Lpddr4xModel.AccessReference"/>: two models driven by the same random request streams (sequential runs,
/// random addresses, reads, writes and mixes, 1 B to 64 KiB, arrival gaps from 0 to a few tREFI, refresh on and off,
/// several address mappings, 1 and 2 channels) must return the same completion time, hold the same internal state and
/// the same counters after every request.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Dram")]
public class Lpddr4xFastPathTests
{
    private const int Streams = 250;
    private const int RequestsPerStream = 30;

    private static DramConfig Shipped => ConfigLoader.Load("S4", [], ConfigTestFiles.ShippedDir).Config.Chip.Dram;

    [TestCase("RoBaRaCoCh", 2, 1, "allBank", true, 101)]
    [TestCase("RoBaRaCoCh", 2, 1, "off", true, 102)]
    [TestCase("RoBaRaCoCh", 1, 1, "allBank", true, 103)]
    [TestCase("RoBaRaCoCh", 1, 1, "off", true, 104)]
    [TestCase("ChRoBaCo", 2, 1, "allBank", true, 105)]
    [TestCase("ChRoBaCo", 2, 1, "off", true, 106)]
    [TestCase("ChRoBaCo", 1, 1, "allBank", true, 107)]
    [TestCase("ChRoBaCo", 1, 1, "off", true, 108)]
    [TestCase("RoBaRaCoCh", 2, 2, "allBank", true, 109)]
    [TestCase("RoBaRaChCo", 2, 2, "allBank", true, 110)]
    [TestCase("RoCoBaCh", 2, 1, "allBank", false, 111)]
    public void RandomStreams_FastEqualsReference(string mapping, int channels, int ranks, string refresh, bool batches, int seed)
    {
        DramConfig shipped = Shipped;
        DramConfig cfg = shipped with
        {
            Refresh = refresh,
            Organisation = shipped.Organisation with { AddressMapping = mapping, ChannelsPerInterface = channels, Ranks = ranks },
        };
        DramTimingTable timing = new Lpddr4xModel(cfg).Timing;
        ulong refi = timing.Ps(timing.Refi);
        var rng = new Random(seed);
        long bursts = 0;
        long refreshStalls = 0;
        long hits = 0;
        long conflicts = 0;
        for (int stream = 0; stream < Streams; stream++)
        {
            var fast = new Lpddr4xModel(cfg);
            var reference = new Lpddr4xModel(cfg);
            Assert.That(fast.Batches, Is.EqualTo(batches));

            // Per stream: a direction mix, an address window (small windows revisit rows: hits and conflicts), and
            // how bursty arrivals are.
            int direction = rng.Next(3); // 0 reads, 1 writes, 2 mixed
            ulong window = 1UL << rng.Next(14, 27);
            int gapKind = rng.Next(4);
            ulong now = (ulong)rng.Next(0, 5000);
            ulong next = (ulong)rng.NextInt64(0, (long)window);
            for (int r = 0; r < RequestsPerStream; r++)
            {
                bool isWrite = direction switch
                {
                    0 => false,
                    1 => true,
                    _ => rng.Next(2) == 0,
                };
                uint bytes = RandomSize(rng);
                ulong address = rng.Next(3) == 0 ? (ulong)rng.NextInt64(0, (long)window) : next;
                next = address + bytes + (rng.Next(4) == 0 ? (ulong)rng.Next(0, 64) : 0);
                now += RandomGap(rng, gapKind, refi);

                ulong expected = reference.AccessReference(now, address, bytes, isWrite);
                ulong actual = fast.Access(now, address, bytes, isWrite);
                if (actual != expected || !fast.SameStateAs(reference) || !SameStats(fast.Stats, reference.Stats))
                {
                    Assert.Fail(
                        $"stream {stream}, request {r}: Access({now}, 0x{address:x}, {bytes}, write {isWrite}) = {actual}, reference {expected}; " +
                        $"state equal {fast.SameStateAs(reference)}, stats equal {SameStats(fast.Stats, reference.Stats)}");
                }
            }

            bursts += reference.Stats.Bursts;
            refreshStalls += reference.Stats.RefreshStalls;
            hits += reference.Stats.RowHits;
            conflicts += reference.Stats.RowConflicts;
        }

        // The streams reach the cases the batched path must get right.
        Assert.Multiple(() =>
        {
            Assert.That(bursts, Is.GreaterThan(1_000_000));
            Assert.That(hits, Is.GreaterThan(bursts / 2));
            Assert.That(conflicts, Is.GreaterThan(1000));
            Assert.That(refreshStalls, refresh == "off" ? Is.Zero : Is.GreaterThan(1000));
        });
    }

    [Test]
    public void LongSequentialRead_IsBatched_AndMatchesTheReference()
    {
        DramConfig cfg = Shipped;
        var fast = new Lpddr4xModel(cfg);
        var reference = new Lpddr4xModel(cfg);
        for (int i = 0; i < 64; i++)
        {
            ulong now = (ulong)i * 1_000_000;
            Assert.That(fast.Access(now, (ulong)i * 48 * 1024, 48 * 1024, false), Is.EqualTo(reference.AccessReference(now, (ulong)i * 48 * 1024, 48 * 1024, false)));
        }

        Assert.Multiple(() =>
        {
            Assert.That(fast.Batches, Is.True);
            Assert.That(fast.SameStateAs(reference), Is.True);
            Assert.That(SameStats(fast.Stats, reference.Stats), Is.True);
            Assert.That(fast.Stats.Refreshes, Is.GreaterThan(0));
        });
    }

    /// <summary>1 B to 64 KiB: a third small (up to 256 B), a third up to 4 KiB, a third up to 64 KiB.</summary>
    private static uint RandomSize(Random rng)
    {
        return rng.Next(3) switch
        {
            0 => (uint)rng.Next(1, 257),
            1 => (uint)rng.Next(1, 4097),
            _ => (uint)rng.Next(1, 65537),
        };
    }

    /// <summary>Arrival gap in ps: back to back, sub-cycle to a few cycles, up to 100 ns, or up to 3 x tREFI (kind 3
    /// mixes all of them).</summary>
    private static ulong RandomGap(Random rng, int kind, ulong refi)
    {
        int k = kind == 3 ? rng.Next(3) : kind;
        return k switch
        {
            0 => rng.Next(2) == 0 ? 0 : (ulong)rng.Next(0, 2000),
            1 => (ulong)rng.Next(0, 100_000),
            _ => (ulong)rng.NextInt64(0, (long)(3 * refi)),
        };
    }

    private static bool SameStats(DramStats a, DramStats b)
    {
        return a.Requests == b.Requests
            && a.Bursts == b.Bursts
            && a.RowHits == b.RowHits
            && a.RowMisses == b.RowMisses
            && a.RowConflicts == b.RowConflicts
            && a.Refreshes == b.Refreshes
            && a.RefreshStalls == b.RefreshStalls
            && a.RefreshStallPs == b.RefreshStallPs
            && a.BytesRead == b.BytesRead
            && a.BytesWritten == b.BytesWritten
            && a.ChannelBusyPs.AsSpan().SequenceEqual(b.ChannelBusyPs);
    }
}
