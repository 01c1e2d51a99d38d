using Antoum.Sim.Config;

namespace Antoum.Sim.Blocks.Dram;

/// <summary>
/// The timing of one DDR interface resolved to whole clock cycles and held in ps (cycles x tCK), so every command
/// time stays on a clock edge. Built once from <see cref="DramConfig"/>; holds no timing constant of its own: each
/// value is a config entry rounded up to cycles, or a JESD209-4B formula over config entries (named below).
/// </summary>
public sealed class DramTimingTable
{
    public DramTimingTable(DramConfig config)
    {
        DramTimingConfig t = config.Timing;
        TckPs = t.ClockPeriodPs;
        BurstCycles = (ulong)(t.BurstLength / 2);
        Rl = (ulong)t.ReadLatency;
        Wl = (ulong)t.WriteLatency;
        Ccd = (ulong)t.TCcd;
        Rcd = Cycles(t.TRcd);
        Rp = Cycles(t.TRp);
        RpAb = Cycles(t.TRpAb);
        Ras = Cycles(t.TRas);
        Rrd = Cycles(t.TRrd);
        Faw = Cycles(t.TFaw);
        Wr = Cycles(t.TWr);
        Wtr = Cycles(t.TWtr);
        Rtp = Cycles(t.TRtp);
        DqsckMax = Cycles(t.TDqsckMax);
        Wpre = (ulong)t.WritePreamble;
        RfcAb = Cycles(t.TRfcAb);
        Refi = Cycles(t.TRefi);

        // JESD209-4B, BL16: READ to PRECHARGE = BL/2 + max(tRTP, 8 nCK) - 8 nCK.
        ReadToPrecharge = BurstCycles + Math.Max(Rtp, 8) - 8;

        // WRITE to PRECHARGE = WL + BL/2 + 1 + tWR (the 1 is tDQSS, data one cycle after WL).
        WriteToPrecharge = Wl + BurstCycles + 1 + Wr;

        // WRITE to READ (any bank of the channel) = WL + 1 + BL/2 + tWTR.
        WriteToRead = Wl + 1 + BurstCycles + Wtr;

        // READ to WRITE (no ODT) = RL + RU(tDQSCKmax/tCK) + BL/2 - WL + tWPRE + RD(tRPST = 0.5 nCK) = ... + 0;
        // never less than tCCD.
        ulong rtw = Rl + DqsckMax + BurstCycles + Wpre;
        ReadToWrite = rtw > Wl + Ccd ? rtw - Wl : Ccd;
    }

    /// <summary>Clock period tCK in ps.</summary>
    public ulong TckPs { get; }

    /// <summary>Data-bus cycles of one burst: BL/2.</summary>
    public ulong BurstCycles { get; }

    public ulong Rl { get; }

    public ulong Wl { get; }

    public ulong Ccd { get; }

    public ulong Rcd { get; }

    public ulong Rp { get; }

    public ulong RpAb { get; }

    public ulong Ras { get; }

    public ulong Rrd { get; }

    public ulong Faw { get; }

    public ulong Wr { get; }

    public ulong Wtr { get; }

    public ulong Rtp { get; }

    public ulong DqsckMax { get; }

    public ulong Wpre { get; }

    public ulong RfcAb { get; }

    public ulong Refi { get; }

    /// <summary>Cycles from READ to PRECHARGE of the same bank.</summary>
    public ulong ReadToPrecharge { get; }

    /// <summary>Cycles from WRITE to PRECHARGE of the same bank.</summary>
    public ulong WriteToPrecharge { get; }

    /// <summary>Cycles from WRITE to the next READ on the channel.</summary>
    public ulong WriteToRead { get; }

    /// <summary>Cycles from READ to the next WRITE on the channel.</summary>
    public ulong ReadToWrite { get; }

    /// <summary>Cycles to ps.</summary>
    public ulong Ps(ulong cycles) => cycles * TckPs;

    /// <summary>A duration rounded up to whole clock cycles.</summary>
    private ulong Cycles(Duration d) => (d.Picoseconds + TckPs - 1) / TckPs;
}
