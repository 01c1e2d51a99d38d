using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Dram;

/// <summary>
/// Plain counters of one DDR interface, bumped on the hot path by <see cref="Lpddr4xModel"/>. A caller that wants them
/// reported calls <see cref="Register"/> once, which declares formulas over these fields in a statistics registry.
/// </summary>
public sealed class DramStats
{
    public DramStats(int channels)
    {
        ChannelBusyPs = new long[channels];
    }

    /// <summary>Requests served (calls of Access).</summary>
    public long Requests;

    /// <summary>Bursts served (requests are split into bursts).</summary>
    public long Bursts;

    /// <summary>Bursts to the open row of their bank.</summary>
    public long RowHits;

    /// <summary>Bursts to a closed bank (ACTIVATE only).</summary>
    public long RowMisses;

    /// <summary>Bursts to a bank with another row open (PRECHARGE then ACTIVATE).</summary>
    public long RowConflicts;

    /// <summary>All-bank refreshes performed (summed over ranks and channels).</summary>
    public long Refreshes;

    /// <summary>Bursts that found their rank refreshing (or due to refresh) and waited for it.</summary>
    public long RefreshStalls;

    /// <summary>Total wait of those bursts, from the time they could have issued to the end of the refresh, in ps.</summary>
    public long RefreshStallPs;

    /// <summary>Bytes requested by reads.</summary>
    public long BytesRead;

    /// <summary>Bytes requested by writes.</summary>
    public long BytesWritten;

    /// <summary>Data-bus busy time per channel, in ps (bursts x BL/2 x tCK).</summary>
    public readonly long[] ChannelBusyPs;

    /// <summary>Declares these counters in <paramref name="registry"/> under <paramref name="prefix"/> (e.g.
    /// "chip0.cluster0.dram"). <paramref name="now"/> gives the current time for the utilisation formula.</summary>
    public void Register(StatRegistry registry, string prefix, Func<ulong> now)
    {
        registry.Formula(prefix + ".requests", "count", "requests served", () => Requests);
        registry.Formula(prefix + ".bursts", "count", "bursts served", () => Bursts);
        registry.Formula(prefix + ".rowHits", "count", "bursts to an open row", () => RowHits);
        registry.Formula(prefix + ".rowMisses", "count", "bursts to a closed bank", () => RowMisses);
        registry.Formula(prefix + ".rowConflicts", "count", "bursts to a bank with another row open", () => RowConflicts);
        registry.Formula(prefix + ".rowHitRate", "ratio", "rowHits / bursts", () => Bursts == 0 ? 0.0 : (double)RowHits / Bursts);
        registry.Formula(prefix + ".refreshes", "count", "all-bank refreshes", () => Refreshes);
        registry.Formula(prefix + ".refreshStalls", "count", "bursts delayed by a refresh", () => RefreshStalls);
        registry.Formula(prefix + ".refreshStallTime", "ps", "time bursts waited for refreshes", () => RefreshStallPs);
        registry.Formula(prefix + ".bytesRead", "B", "bytes read", () => BytesRead);
        registry.Formula(prefix + ".bytesWritten", "B", "bytes written", () => BytesWritten);
        for (int c = 0; c < ChannelBusyPs.Length; c++)
        {
            int ch = c;
            registry.Formula(prefix + ".ch" + ch + ".busyTime", "ps", "data-bus busy time of the channel", () => ChannelBusyPs[ch]);
            registry.Formula(prefix + ".ch" + ch + ".utilization", "ratio", "busy time / elapsed time", () =>
            {
                ulong t = now();
                return t == 0 ? 0.0 : (double)ChannelBusyPs[ch] / t;
            });
        }
    }
}
