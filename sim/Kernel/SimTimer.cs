namespace Antoum.Sim.Kernel;

/// <summary>
/// A reusable timer owned by a component (gem5's member events, SST's self-links): created once in the
/// constructor and scheduled, rescheduled or cancelled any number of times without allocating.
/// Cancelling is lazy: a stale queue entry is recognised by its generation number and ignored.
/// </summary>
public sealed class SimTimer : IEventHandler
{
    private readonly Simulator _sim;
    private readonly Action _action;
    private readonly int _priority;
    private readonly bool _background;
    private ulong _generation;
    private bool _scheduled;
    private ulong _when;

    public SimTimer(Simulator sim, Action action, int priority = Priorities.Message)
        : this(sim, action, priority, background: false)
    {
    }

    /// <summary>A timer whose events are background events (see <see cref="Simulator.ScheduleBackground"/>).</summary>
    public SimTimer(Simulator sim, Action action, int priority, bool background)
    {
        _sim = sim;
        _action = action;
        _priority = priority;
        _background = background;
    }

    /// <summary>True when the timer will fire.</summary>
    public bool IsScheduled => _scheduled;

    /// <summary>When the timer will fire (valid while <see cref="IsScheduled"/>).</summary>
    public ulong When => _when;

    /// <summary>Schedules the timer at an absolute time; it must not already be scheduled.</summary>
    public void Schedule(ulong timePs)
    {
        if (_scheduled)
        {
            throw new InvalidOperationException("timer is already scheduled; use Reschedule");
        }

        _scheduled = true;
        _when = timePs;
        if (_background)
        {
            _sim.ScheduleBackground(timePs, _priority, this, _generation);
        }
        else
        {
            _sim.Schedule(timePs, _priority, this, _generation);
        }
    }

    /// <summary>Moves the timer to a new time, scheduled or not.</summary>
    public void Reschedule(ulong timePs)
    {
        Cancel();
        Schedule(timePs);
    }

    /// <summary>Cancels the timer if it is scheduled.</summary>
    public void Cancel()
    {
        if (_scheduled)
        {
            _scheduled = false;
            _generation++;
        }
    }

    void IEventHandler.OnEvent(ulong data)
    {
        if (!_scheduled || data != _generation)
        {
            return;
        }

        _scheduled = false;
        _generation++;
        _action();
    }
}
