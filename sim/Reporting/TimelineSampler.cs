using Antoum.Sim.Kernel;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Reporting;

/// <summary>
/// Samples, at bin boundaries, every block's cumulative busy time and the cumulative byte counters of each memory
/// level (DRAM, NoC, PCIe, L2, L1), and keeps the per-bin differences. Bins start 1 µs wide; whenever a 400th bin
/// completes, adjacent pairs are merged and the width doubles, so a run ends with at most 400 bins of equal width
/// (the last one may be partial). It also keeps, per bin, the counted actions of every energy category (see
/// <see cref="Power.EnergyCounters"/>) for the power timeline. The sampler is an observer only: its timer is a background timer (see
/// <see cref="Simulator.ScheduleBackground"/>), it reschedules itself only while model events are pending, and it
/// reads statistics without changing them, so results, event counts and deadlock detection are unchanged.
/// </summary>
public sealed class TimelineSampler : SimComponent
{
    /// <summary>The first bin width, ps (1 µs).</summary>
    public const ulong InitialBinPs = 1_000_000;

    /// <summary>Most bins kept.</summary>
    public const int MaxBins = 400;

    /// <summary>The levels, in column order, with the counter-name rules that assign a byte counter to each.</summary>
    public static readonly IReadOnlyList<string> AllLevels = ["dram", "noc", "pcie", "l2", "l1"];

    private readonly SimTimer _timer;
    private readonly List<ulong> _binStarts = new();
    private readonly List<ulong> _binEnds = new();
    private readonly List<ulong[]> _busy = new();
    private readonly List<long[]> _bytes = new();
    private readonly List<long[]> _actions = new();
    private Power.EnergyCounters? _energy;
    private long[] _lastActions = [];
    private readonly List<string> _levels = new();
    private readonly List<List<Counter>> _levelCounters = new();
    private BlockActivity[] _blocks = [];
    private ulong[] _lastBusy = [];
    private ulong[] _lastStall = [];
    private readonly List<ulong[]> _stall = new();
    private long[] _lastBytes = [];
    private ulong _binPs = InitialBinPs;
    private ulong _lastSample;
    private bool _finished;

    public TimelineSampler(Simulator sim, string name = "timeline")
        : base(sim, name)
    {
        _timer = new SimTimer(sim, Sample, Priorities.Stats, background: true);
    }

    /// <summary>
    /// A sampler over the given activities instead of the registry's blocks (pipelines: their stages, whose blocks are
    /// registered only after the run).
    /// </summary>
    public TimelineSampler(Simulator sim, IReadOnlyList<BlockActivity> activities, string name = "timeline")
        : this(sim, name)
    {
        _explicitBlocks = activities;
    }

    private readonly IReadOnlyList<BlockActivity>? _explicitBlocks;

    /// <summary>Current bin width, ps.</summary>
    public ulong BinPs => _binPs;

    /// <summary>Block instances sampled, in registration order.</summary>
    public IReadOnlyList<BlockActivity> Blocks => _blocks;

    /// <summary>Levels that have at least one counter, in <see cref="AllLevels"/> order.</summary>
    public IReadOnlyList<string> Levels => _levels;

    /// <summary>Counters assigned to each level (same order as <see cref="Levels"/>).</summary>
    public IReadOnlyList<IReadOnlyList<Counter>> LevelCounters => _levelCounters;

    public int BinCount => _binStarts.Count;

    public ulong BinStart(int bin) => _binStarts[bin];

    public ulong BinEnd(int bin) => _binEnds[bin];

    /// <summary>Busy ps of block <paramref name="block"/> added during <paramref name="bin"/> (not clamped).</summary>
    public ulong Busy(int bin, int block) => _busy[bin][block];

    /// <summary>Stall ps of block <paramref name="block"/> booked during <paramref name="bin"/> (clocked but waiting; not clamped).</summary>
    public ulong Stall(int bin, int block) => _stall[bin][block];

    /// <summary>Bytes of level <paramref name="level"/> counted during <paramref name="bin"/>.</summary>
    public long Bytes(int bin, int level) => _bytes[bin][level];

    /// <summary>Counted actions of energy category <paramref name="category"/> (see <see cref="Power.EnergyCounters"/>) during <paramref name="bin"/>.</summary>
    public long Actions(int bin, int category) => _actions[bin][category];

    /// <summary>The level a byte counter belongs to, or null.</summary>
    public static string? LevelOf(string counterName)
    {
        if (counterName.EndsWith(".dram.bytes", StringComparison.Ordinal)
            || counterName.EndsWith(".dram.bytesRead", StringComparison.Ordinal)
            || counterName.EndsWith(".dram.bytesWritten", StringComparison.Ordinal))
        {
            return "dram";
        }

        if (!counterName.EndsWith(".bytes", StringComparison.Ordinal))
        {
            return null;
        }

        if (counterName.Contains(".noc.ring", StringComparison.Ordinal))
        {
            return "noc";
        }

        if (counterName.StartsWith("card.hostLink.", StringComparison.Ordinal) || counterName.StartsWith("card.link.host", StringComparison.Ordinal))
        {
            return "pcie";
        }

        if (counterName.Contains(".l2.bank", StringComparison.Ordinal))
        {
            return "l2";
        }

        return counterName.Contains(".l1.bank", StringComparison.Ordinal) ? "l1" : null;
    }

    public override void Setup()
    {
        _blocks = [.. _explicitBlocks ?? Sim.Stats.Blocks];
        _lastBusy = new ulong[_blocks.Length];
        _lastStall = new ulong[_blocks.Length];
        foreach (string level in AllLevels)
        {
            var counters = new List<Counter>();
            foreach (Statistic s in Sim.Stats.All)
            {
                if (s is Counter c && LevelOf(c.Name) == level)
                {
                    counters.Add(c);
                }
            }

            if (counters.Count > 0)
            {
                _levels.Add(level);
                _levelCounters.Add(counters);
            }
        }

        _energy = Power.EnergyCounters.From(Sim.Stats);
        _lastActions = new long[Power.EnergyCounters.Count];
        for (int i = 0; i < _lastActions.Length; i++)
        {
            _lastActions[i] = _energy.Total(i);
        }

        _lastBytes = new long[_levels.Count];
        for (int b = 0; b < _blocks.Length; b++)
        {
            _lastBusy[b] = _blocks[b].BusyPs();
            _lastStall[b] = _blocks[b].StallPs();
        }

        for (int l = 0; l < _levels.Count; l++)
        {
            _lastBytes[l] = Total(l);
        }

        _lastSample = Sim.Now;
        _timer.Schedule(Sim.Now + _binPs);
    }

    public override void Finish()
    {
        _timer.Cancel();
        if (!_finished && Sim.Now > _lastSample)
        {
            Close(Sim.Now);
        }

        _finished = true;
    }

    private void Sample()
    {
        Close(Sim.Now);
        if (_binStarts.Count == MaxBins)
        {
            Merge();
        }

        if (Sim.PendingEvents > 0)
        {
            _timer.Schedule(Sim.Now + _binPs);
        }
    }

    private long Total(int level)
    {
        long sum = 0;
        foreach (Counter c in _levelCounters[level])
        {
            sum += c.Value;
        }

        return sum;
    }

    private void Close(ulong now)
    {
        var busy = new ulong[_blocks.Length];
        for (int b = 0; b < _blocks.Length; b++)
        {
            ulong v = _blocks[b].BusyPs();
            busy[b] = v - _lastBusy[b];
            _lastBusy[b] = v;
        }

        var stall = new ulong[_blocks.Length];
        for (int b = 0; b < _blocks.Length; b++)
        {
            ulong v = _blocks[b].StallPs();
            stall[b] = v - _lastStall[b];
            _lastStall[b] = v;
        }

        var bytes = new long[_levels.Count];
        for (int l = 0; l < _levels.Count; l++)
        {
            long v = Total(l);
            bytes[l] = v - _lastBytes[l];
            _lastBytes[l] = v;
        }

        var actions = new long[_lastActions.Length];
        for (int i = 0; i < actions.Length; i++)
        {
            long v = _energy!.Total(i);
            actions[i] = v - _lastActions[i];
            _lastActions[i] = v;
        }

        _actions.Add(actions);
        _binStarts.Add(_lastSample);
        _binEnds.Add(now);
        _busy.Add(busy);
        _stall.Add(stall);
        _bytes.Add(bytes);
        _lastSample = now;
    }

    private void Merge()
    {
        int n = _binStarts.Count / 2;
        for (int i = 0; i < n; i++)
        {
            ulong[] a = _busy[2 * i];
            ulong[] b = _busy[(2 * i) + 1];
            for (int k = 0; k < a.Length; k++)
            {
                a[k] += b[k];
            }

            ulong[] sa = _stall[2 * i];
            ulong[] sb = _stall[(2 * i) + 1];
            for (int k = 0; k < sa.Length; k++)
            {
                sa[k] += sb[k];
            }

            _stall[i] = sa;
            long[] x = _bytes[2 * i];
            long[] y = _bytes[(2 * i) + 1];
            for (int k = 0; k < x.Length; k++)
            {
                x[k] += y[k];
            }

            long[] p = _actions[2 * i];
            long[] q = _actions[(2 * i) + 1];
            for (int k = 0; k < p.Length; k++)
            {
                p[k] += q[k];
            }

            _actions[i] = p;
            _busy[i] = a;
            _bytes[i] = x;
            _binStarts[i] = _binStarts[2 * i];
            _binEnds[i] = _binEnds[(2 * i) + 1];
        }

        int count = _binStarts.Count;
        _busy.RemoveRange(n, count - n);
        _stall.RemoveRange(n, count - n);
        _bytes.RemoveRange(n, count - n);
        _actions.RemoveRange(n, count - n);
        _binStarts.RemoveRange(n, count - n);
        _binEnds.RemoveRange(n, count - n);
        _binPs *= 2;
    }
}
