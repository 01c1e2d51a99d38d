using System.Runtime.CompilerServices;

namespace Antoum.Sim.Kernel;

/// <summary>Receives a scheduled event. Implemented by preallocated timers, links and clock domains.</summary>
public interface IEventHandler
{
    /// <summary>Runs the event. <paramref name="data"/> is the word given when it was scheduled.</summary>
    void OnEvent(ulong data);
}

/// <summary>What a scheduled event carries: its handler and one data word. A struct, so scheduling allocates nothing.</summary>
public struct ScheduledEvent
{
    public IEventHandler Handler;
    public ulong Data;

    public ScheduledEvent(IEventHandler handler, ulong data)
    {
        Handler = handler;
        Data = data;
    }
}

/// <summary>Lifecycle of a simulation: construct and connect, then run, then finish (SST / gem5 phases).</summary>
public enum SimPhase
{
    /// <summary>Components are being built and their ports connected. Nothing may be sent yet.</summary>
    Construct,

    /// <summary>Events are being executed.</summary>
    Running,

    /// <summary>The run ended; statistics are final.</summary>
    Finished,
}

/// <summary>Why <see cref="Simulator.Run"/> returned.</summary>
public enum StopReason
{
    /// <summary>No event left: the model went quiet.</summary>
    QueueEmpty,

    /// <summary>A component asked the run to stop.</summary>
    Requested,

    /// <summary>The time limit was reached.</summary>
    TimeLimit,

    /// <summary>The event-count limit was reached.</summary>
    EventLimit,
}

/// <summary>
/// The discrete-event kernel. It knows nothing about hardware: integer picosecond time, a total event order
/// (time, priority, insertion sequence), explicit lifecycle, and a statistics registry. Components register
/// with it so that it can check their connections before the run and close their statistics after it.
/// </summary>
public sealed class Simulator
{
    private readonly EventQueue<ScheduledEvent> _queue = new();
    private readonly List<SimComponent> _components = new();
    private ulong _now;
    private ulong _seq;
    private ulong _eventsExecuted;
    private bool _stopRequested;
    private IEventHandler? _background;
    private int _backgroundPending;
    private ulong _backgroundExecuted;

    public Simulator()
    {
        Stats = new Stats.StatRegistry();
    }

    /// <summary>Current simulated time in picoseconds.</summary>
    public ulong Now => _now;

    /// <summary>Current lifecycle phase.</summary>
    public SimPhase Phase { get; private set; } = SimPhase.Construct;

    /// <summary>Events executed so far.</summary>
    public ulong EventsExecuted => _eventsExecuted;

    /// <summary>Events waiting in the queue.</summary>
    public int PendingEvents => _queue.Count - _backgroundPending;

    /// <summary>Background (observer) events executed so far; not included in <see cref="EventsExecuted"/>.</summary>
    public ulong BackgroundEventsExecuted => _backgroundExecuted;

    /// <summary>Every statistic of every component, by dotted name.</summary>
    public Stats.StatRegistry Stats { get; }

    /// <summary>Components registered so far, in registration order.</summary>
    public IReadOnlyList<SimComponent> Components => _components;

    internal void Register(SimComponent component)
    {
        if (Phase != SimPhase.Construct)
        {
            throw new InvalidOperationException($"component '{component.Name}' was created after the simulation started");
        }

        for (int i = 0; i < _components.Count; i++)
        {
            if (string.Equals(_components[i].Name, component.Name, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"two components are named '{component.Name}'");
            }
        }

        _components.Add(component);
    }

    /// <summary>Schedules <paramref name="handler"/> at absolute time <paramref name="timePs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Schedule(ulong timePs, int priority, IEventHandler handler, ulong data = 0)
    {
        if (timePs < _now)
        {
            ThrowPast(timePs);
        }

        _queue.Enqueue(new EventKey(timePs, priority, _seq++), new ScheduledEvent(handler, data));
    }

    /// <summary>Schedules <paramref name="handler"/> <paramref name="delayPs"/> picoseconds from now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ScheduleIn(ulong delayPs, int priority, IEventHandler handler, ulong data = 0)
    {
        Schedule(checked(_now + delayPs), priority, handler, data);
    }

    /// <summary>
    /// Schedules an event of the simulator's one background handler (an observer such as a statistics sampler).
    /// Background events do not keep the run alive: when only background events are left, <see cref="Run"/>
    /// drops them without advancing time and returns <see cref="StopReason.QueueEmpty"/>. They are not counted in
    /// <see cref="EventsExecuted"/> or <see cref="PendingEvents"/> and do not use the event budget, so a model's
    /// results do not change when an observer is added. Only one handler may use this.
    /// </summary>
    public void ScheduleBackground(ulong timePs, int priority, IEventHandler handler, ulong data = 0)
    {
        if (_background is null)
        {
            _background = handler;
        }
        else if (!ReferenceEquals(_background, handler))
        {
            throw new InvalidOperationException("only one background event handler is supported");
        }

        Schedule(timePs, priority, handler, data);
        _backgroundPending++;
    }

    /// <summary>Asks the run loop to return after the current event.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
    }

    /// <summary>
    /// Ends the construct phase: every component checks that its required ports are bound and runs its
    /// start-up code (which may schedule the first events). Called by <see cref="Run"/> if not called before.
    /// </summary>
    public void Start()
    {
        if (Phase != SimPhase.Construct)
        {
            return;
        }

        var unbound = new List<string>();
        for (int i = 0; i < _components.Count; i++)
        {
            _components[i].CollectUnboundPorts(unbound);
        }

        if (unbound.Count > 0)
        {
            throw new InvalidOperationException("unbound ports after wiring: " + string.Join(", ", unbound));
        }

        Phase = SimPhase.Running;
        for (int i = 0; i < _components.Count; i++)
        {
            _components[i].Setup();
        }
    }

    /// <summary>
    /// Executes events in (time, priority, sequence) order until the queue is empty, a stop is requested, or a
    /// limit is reached. May be called again to continue a run stopped by a limit.
    /// </summary>
    public StopReason Run(ulong untilPs = ulong.MaxValue, ulong maxEvents = ulong.MaxValue)
    {
        Start();
        if (Phase != SimPhase.Running)
        {
            throw new InvalidOperationException("the simulation has finished; it cannot run again");
        }

        _stopRequested = false;
        ulong budget = maxEvents;
        while (true)
        {
            if (_queue.Count == _backgroundPending)
            {
                if (_backgroundPending != 0)
                {
                    _queue.Clear();
                    _backgroundPending = 0;
                }

                return StopReason.QueueEmpty;
            }

            _queue.TryPeek(out EventKey next);

            if (next.Time > untilPs)
            {
                _now = untilPs;
                return StopReason.TimeLimit;
            }

            if (budget == 0)
            {
                return StopReason.EventLimit;
            }

            _queue.TryDequeue(out EventKey key, out ScheduledEvent ev);
            _now = key.Time;
            if (ReferenceEquals(ev.Handler, _background))
            {
                _backgroundPending--;
                _backgroundExecuted++;
            }
            else
            {
                _eventsExecuted++;
                budget--;
            }

            ev.Handler.OnEvent(ev.Data);
            if (_stopRequested)
            {
                return StopReason.Requested;
            }
        }
    }

    /// <summary>Closes the run: components flush their statistics at the current time.</summary>
    public void Finish()
    {
        if (Phase == SimPhase.Finished)
        {
            return;
        }

        Start();
        for (int i = 0; i < _components.Count; i++)
        {
            _components[i].Finish();
        }

        Stats.Close(_now);
        Phase = SimPhase.Finished;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowPast(ulong timePs)
    {
        throw new InvalidOperationException($"event scheduled in the past: at {timePs} ps, now is {_now} ps");
    }
}
