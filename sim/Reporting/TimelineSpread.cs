namespace Antoum.Sim.Reporting;

/// <summary>
/// The timeline's per-bin busy, stall and action counts moved to the bins where the work ran. Engines book an
/// operation's busy time (and the SPU, VPU, SFA and codec book its counted actions) when the operation starts, so a
/// raw bin can hold more busy time than its length and all of an operation's energy. Here each block's booked busy
/// time runs first-in first-out from the bin it was booked in: a bin takes at most its length of it and the rest
/// carries into the next bins. Stall (wait) time is booked when the wait ends, so it is carried backward into the room
/// busy time leaves in the earlier bins. The actions of those categories are
/// then spread over the bins in the same proportions as their block kind's busy time booked in the same bin. Memory
/// byte counters (L2, DRAM, NoC, crossbar, PCIe) count bytes as they move and are not moved. Whatever is still carried
/// at the end of the run goes to the last bin (stall: the first), so every per-block and per-category sum over bins equals the raw sum:
/// per-bin energy still sums to the run total.
/// </summary>
public sealed class TimelineSpread
{
    private readonly double[][] _busy;
    private readonly double[][] _stall;
    private readonly double[][] _actions;

    public TimelineSpread(TimelineSampler t)
    {
        ArgumentNullException.ThrowIfNull(t);
        int bins = t.BinCount, blocks = t.Blocks.Count, cats = Power.EnergyCounters.Count;
        _busy = Jagged(bins, blocks);
        _stall = Jagged(bins, blocks);
        _actions = Jagged(bins, cats);
        var kinds = new List<string>();
        var kindOf = new int[blocks];
        for (int b = 0; b < blocks; b++)
        {
            int k = kinds.IndexOf(t.Blocks[b].Kind);
            if (k < 0)
            {
                k = kinds.Count;
                kinds.Add(t.Blocks[b].Kind);
            }

            kindOf[b] = k;
        }

        // moved[k][i] holds, for busy booked in bin i by blocks of kind k, the amount that ran in each later bin.
        var moved = new List<(int From, int To, double Ps)>[kinds.Count];
        for (int k = 0; k < moved.Length; k++)
        {
            moved[k] = new List<(int, int, double)>();
        }

        var pending = new List<(int From, double Ps)>();
        for (int b = 0; b < blocks; b++)
        {
            pending.Clear();
            int head = 0;
            double stallCarry = 0;
            for (int bin = 0; bin < bins; bin++)
            {
                double len = t.BinEnd(bin) - t.BinStart(bin);
                double booked = t.Busy(bin, b);
                if (booked > 0)
                {
                    pending.Add((bin, booked));
                }

                double room = len;
                while (head < pending.Count && room > 0)
                {
                    (int from, double ps) = pending[head];
                    double run = Math.Min(ps, room);
                    room -= run;
                    _busy[bin][b] += run;
                    moved[kindOf[b]].Add((from, bin, run));
                    if (run >= ps)
                    {
                        head++;
                    }
                    else
                    {
                        pending[head] = (from, ps - run);
                    }
                }

            }

            if (bins > 0)
            {
                for (; head < pending.Count; head++)
                {
                    (int from, double ps) = pending[head];
                    _busy[bins - 1][b] += ps;
                    moved[kindOf[b]].Add((from, bins - 1, ps));
                }

                // Stall (wait) time is booked when the wait ends: it goes backward, into the room busy time left.
                for (int bin = bins - 1; bin >= 0; bin--)
                {
                    stallCarry += t.Stall(bin, b);
                    double room = Math.Max(0, (double)(t.BinEnd(bin) - t.BinStart(bin)) - _busy[bin][b]);
                    double stall = Math.Min(stallCarry, room);
                    _stall[bin][b] = stall;
                    stallCarry -= stall;
                }

                _stall[0][b] += stallCarry;
            }
        }

        // Per kind and origin bin: the total booked there, to turn moved amounts into fractions.
        var bookedByKind = Jagged(kinds.Count, bins);
        for (int b = 0; b < blocks; b++)
        {
            for (int bin = 0; bin < bins; bin++)
            {
                bookedByKind[kindOf[b]][bin] += t.Busy(bin, b);
            }
        }

        for (int c = 0; c < cats; c++)
        {
            int k = SpreadKind(c) is { } kind ? kinds.IndexOf(kind) : -1;
            for (int bin = 0; bin < bins; bin++)
            {
                long n = t.Actions(bin, c);
                if (n == 0)
                {
                    continue;
                }

                if (k < 0 || bookedByKind[k][bin] <= 0)
                {
                    _actions[bin][c] += n;
                }
            }

            if (k < 0)
            {
                continue;
            }

            foreach ((int from, int to, double ps) in moved[k])
            {
                double booked = bookedByKind[k][from];
                long n = t.Actions(from, c);
                if (n != 0 && booked > 0)
                {
                    _actions[to][c] += n * (ps / booked);
                }
            }
        }
    }

    /// <summary>Busy ps of a block that ran in the bin (at most the bin's length, except the last bin's remainder).</summary>
    public double Busy(int bin, int block) => _busy[bin][block];

    /// <summary>Stall ps of a block placed in the bin, in the room its busy time leaves.</summary>
    public double Stall(int bin, int block) => _stall[bin][block];

    /// <summary>Counted actions of an energy category in the bin, after spreading.</summary>
    public double Actions(int bin, int category) => _actions[bin][category];

    /// <summary>
    /// The block kind whose busy time a category's actions follow (its actions are booked when that kind's operation
    /// starts), or null for byte counters that count as bytes move.
    /// </summary>
    public static string? SpreadKind(int category)
    {
        return Power.EnergyCounters.BlockClass(category) switch
        {
            "spu" => "spu",
            "vpu" => "vpu",
            "sfa" => "sfa",
            "codec" => "codec",
            _ => null,
        };
    }

    private static double[][] Jagged(int n, int m)
    {
        var a = new double[n][];
        for (int i = 0; i < n; i++)
        {
            a[i] = new double[m];
        }

        return a;
    }
}
