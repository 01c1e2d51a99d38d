namespace Antoum.Sim.Kernel;

/// <summary>A block that does work on clock edges.</summary>
public interface IClocked
{
    /// <summary>
    /// Does one cycle of work. Returns <c>true</c> while the block still has work (keep ticking) and
    /// <c>false</c> when it has gone idle: the domain then stops ticking it until <see cref="ClockDomain.Wake"/>.
    /// </summary>
    bool Tick(ulong cycle);
}

/// <summary>
/// One clock frequency and the blocks clocked by it (SST groups clock handlers per frequency; gem5 computes
/// clock edges from the cycle count). Edge n is at t_n = ceil(n * 10^12 / f) ps, computed from the cycle index
/// with 128-bit arithmetic, so a non-integer period (900 MHz = 1111.1 ps) never drifts. Idle blocks are not
/// ticked; when no block is active the domain schedules nothing at all.
/// </summary>
public sealed class ClockDomain : IEventHandler
{
    private const ulong PsPerSecond = 1_000_000_000_000UL;

    private readonly Simulator _sim;
    private readonly List<IClocked> _members = new();
    private bool[] _active = new bool[4];
    private int[] _activeList = new int[4];
    private int _activeCount;
    private int[] _pending = new int[4];
    private int _pendingCount;
    private bool _tickScheduled;
    private ulong _lastTickedCycle = ulong.MaxValue;
    private ulong _ticks;

    public ClockDomain(Simulator sim, string name, ulong frequencyHz)
    {
        if (frequencyHz == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(frequencyHz), "clock frequency must be > 0 Hz");
        }

        if (frequencyHz > PsPerSecond)
        {
            throw new ArgumentOutOfRangeException(nameof(frequencyHz), "clock frequency must be at most 1 THz (the kernel's time unit is 1 ps)");
        }

        _sim = sim;
        Name = name;
        FrequencyHz = frequencyHz;
    }

    /// <summary>Name of the domain, e.g. <c>chip0.core</c>.</summary>
    public string Name { get; }

    /// <summary>Clock frequency in Hz.</summary>
    public ulong FrequencyHz { get; }

    /// <summary>Member ticks executed so far (a measure of the work the domain did).</summary>
    public ulong MemberTicks => _ticks;

    /// <summary>Time of clock edge <paramref name="cycle"/>: ceil(cycle * 10^12 / f) ps.</summary>
    public ulong EdgeTime(ulong cycle)
    {
        UInt128 num = (UInt128)cycle * PsPerSecond;
        UInt128 t = (num + FrequencyHz - 1) / FrequencyHz;
        if (t > ulong.MaxValue)
        {
            throw new OverflowException($"clock edge {cycle} of domain '{Name}' is beyond the kernel's time range");
        }

        return (ulong)t;
    }

    /// <summary>Index of the first edge at or after <paramref name="timePs"/>.</summary>
    public ulong CycleAtOrAfter(ulong timePs)
    {
        if (timePs == 0)
        {
            return 0;
        }

        // EdgeTime(n) >= t  <=>  n * 10^12 > (t - 1) * f  <=>  n = floor((t - 1) * f / 10^12) + 1
        UInt128 n = ((UInt128)(timePs - 1) * FrequencyHz / PsPerSecond) + 1;
        return (ulong)n;
    }

    /// <summary>Index of the last edge at or before <paramref name="timePs"/>: floor(t * f / 10^12).</summary>
    public ulong CycleAtOrBefore(ulong timePs)
    {
        return (ulong)((UInt128)timePs * FrequencyHz / PsPerSecond);
    }

    /// <summary>Number of whole cycles in <paramref name="durationPs"/>, rounded up.</summary>
    public ulong CyclesCeil(ulong durationPs)
    {
        return (ulong)(((UInt128)durationPs * FrequencyHz + PsPerSecond - 1) / PsPerSecond);
    }

    /// <summary>Adds a block to the domain (construct phase). It starts idle; call <see cref="Wake"/> to start it.</summary>
    public int Register(IClocked member)
    {
        _members.Add(member);
        int handle = _members.Count - 1;
        if (_active.Length < _members.Count)
        {
            Array.Resize(ref _active, _members.Count * 2);
            Array.Resize(ref _activeList, _members.Count * 2);
            Array.Resize(ref _pending, _members.Count * 2);
        }

        return handle;
    }

    /// <summary>
    /// Makes a block active. Its first tick is the next edge that the domain has not ticked yet
    /// (an edge at the current time counts if the domain has not ticked it).
    /// </summary>
    public void Wake(int handle)
    {
        if (_active[handle])
        {
            return;
        }

        _active[handle] = true;
        _pending[_pendingCount++] = handle;
        ulong cycle = CycleAtOrAfter(_sim.Now);
        if (_lastTickedCycle != ulong.MaxValue && cycle <= _lastTickedCycle)
        {
            cycle = _lastTickedCycle + 1;
        }

        if (!_tickScheduled)
        {
            _tickScheduled = true;
            _sim.Schedule(EdgeTime(cycle), Priorities.Clock, this, cycle);
        }
    }

    /// <summary>True when the block is being ticked.</summary>
    public bool IsActive(int handle) => _active[handle];

    void IEventHandler.OnEvent(ulong cycle)
    {
        _tickScheduled = false;
        _lastTickedCycle = cycle;
        MergePending();

        int kept = 0;
        for (int i = 0; i < _activeCount; i++)
        {
            int m = _activeList[i];
            _ticks++;
            if (_members[m].Tick(cycle))
            {
                _activeList[kept++] = m;
            }
            else
            {
                _active[m] = false;
            }
        }

        _activeCount = kept;
        if ((_activeCount > 0 || _pendingCount > 0) && !_tickScheduled)
        {
            _tickScheduled = true;
            _sim.Schedule(EdgeTime(cycle + 1), Priorities.Clock, this, cycle + 1);
        }
    }

    // Newly woken members join the active list in registration order, so the tick order within a cycle
    // never depends on the order in which blocks were woken.
    private void MergePending()
    {
        for (int p = 0; p < _pendingCount; p++)
        {
            int m = _pending[p];
            if (!_active[m])
            {
                continue;
            }

            bool present = false;
            for (int i = 0; i < _activeCount; i++)
            {
                if (_activeList[i] == m)
                {
                    present = true;
                    break;
                }
            }

            if (present)
            {
                continue;
            }

            int j = _activeCount++;
            while (j > 0 && _activeList[j - 1] > m)
            {
                _activeList[j] = _activeList[j - 1];
                j--;
            }

            _activeList[j] = m;
        }

        _pendingCount = 0;
    }
}
