using Antoum.Sim.Kernel;
using NUnit.Framework;

namespace Antoum.Tests.Kernel;

[TestFixture]
[Category("Quick")]
[Category("Kernel")]
public class SimulatorTests
{
    private sealed class Recorder : IEventHandler
    {
        private readonly Simulator _sim;

        public Recorder(Simulator sim)
        {
            _sim = sim;
        }

        public List<(ulong Time, ulong Data)> Seen { get; } = new();

        public void OnEvent(ulong data)
        {
            Seen.Add((_sim.Now, data));
        }
    }

    [Test]
    public void EventsRunInTimeThenPriorityThenInsertionOrder()
    {
        var sim = new Simulator();
        var r = new Recorder(sim);
        sim.Schedule(30, Priorities.Message, r, 1);
        sim.Schedule(10, Priorities.Message, r, 2);
        sim.Schedule(10, Priorities.Clock, r, 3);
        sim.Schedule(10, Priorities.Message, r, 4);
        sim.Schedule(20, Priorities.Exit, r, 5);
        sim.Schedule(10, Priorities.Clock, r, 6);
        Assert.That(sim.Run(), Is.EqualTo(StopReason.QueueEmpty));
        Assert.That(r.Seen, Is.EqualTo(new[] { (10UL, 3UL), (10UL, 6UL), (10UL, 2UL), (10UL, 4UL), (20UL, 5UL), (30UL, 1UL) }));
    }

    [Test]
    public void SameTimeEventsScheduledDuringTheRunKeepFifoOrder()
    {
        var sim = new Simulator();
        var r = new Recorder(sim);
        var chain = new ChainHandler(sim, r);
        sim.Schedule(5, Priorities.Message, chain, 0);
        sim.Run();

        // The chain handler schedules 1000 zero-delay events at t=5 while 3 others wait at t=5 too.
        Assert.That(r.Seen.Count, Is.EqualTo(1000));
        for (int i = 0; i < r.Seen.Count; i++)
        {
            Assert.That(r.Seen[i], Is.EqualTo((5UL, (ulong)i)));
        }
    }

    private sealed class ChainHandler : IEventHandler
    {
        private readonly Simulator _sim;
        private readonly Recorder _r;

        public ChainHandler(Simulator sim, Recorder r)
        {
            _sim = sim;
            _r = r;
        }

        public void OnEvent(ulong data)
        {
            for (ulong i = 0; i < 1000; i++)
            {
                _sim.ScheduleIn(0, Priorities.Message, _r, i);
            }
        }
    }

    [Test]
    public void SchedulingInThePastThrows()
    {
        var sim = new Simulator();
        var r = new Recorder(sim);
        sim.Schedule(100, Priorities.Message, r);
        sim.Run();
        Assert.That(() => sim.Schedule(99, Priorities.Message, r), Throws.InvalidOperationException.With.Message.Contains("past"));
    }

    [Test]
    public void EventLimitStopsAndRunContinues()
    {
        var sim = new Simulator();
        var r = new Recorder(sim);
        for (ulong i = 1; i <= 10; i++)
        {
            sim.Schedule(i * 10, Priorities.Message, r, i);
        }

        Assert.That(sim.Run(maxEvents: 4), Is.EqualTo(StopReason.EventLimit));
        Assert.That(r.Seen.Count, Is.EqualTo(4));
        Assert.That(sim.Run(untilPs: 75), Is.EqualTo(StopReason.TimeLimit));
        Assert.That(r.Seen.Count, Is.EqualTo(7));
        Assert.That(sim.Now, Is.EqualTo(75UL));
        Assert.That(sim.Run(), Is.EqualTo(StopReason.QueueEmpty));
        Assert.That(r.Seen.Count, Is.EqualTo(10));
        Assert.That(sim.EventsExecuted, Is.EqualTo(10UL));
    }

    [Test]
    public void TimerCancelAndRescheduleFireOnceAtTheLastTime()
    {
        var sim = new Simulator();
        var fired = new List<ulong>();
        SimTimer? timer = null;
        timer = new SimTimer(sim, () => fired.Add(sim.Now));
        timer.Schedule(50);
        timer.Reschedule(80);
        timer.Cancel();
        timer.Schedule(120);
        Assert.That(timer.IsScheduled, Is.True);
        sim.Run();
        Assert.That(fired, Is.EqualTo(new[] { 120UL }));
        Assert.That(timer.IsScheduled, Is.False);
        Assert.That(() => { timer.Schedule(130); timer.Schedule(140); }, Throws.InvalidOperationException);
    }

    private sealed class Sink : SimComponent, IReceiver<int>
    {
        public Sink(Simulator sim, string name)
            : base(sim, name)
        {
            In = AddInPort<int>("in", this);
        }

        public InPort<int> In { get; }

        public void Receive(InPort<int> port, in int message)
        {
            port.Release();
        }
    }

    private sealed class Source : SimComponent
    {
        public Source(Simulator sim, string name)
            : base(sim, name)
        {
            Out = AddOutPort<int>("out");
        }

        public OutPort<int> Out { get; }
    }

    [Test]
    public void UnboundRequiredPortStopsTheStartWithItsName()
    {
        var sim = new Simulator();
        _ = new Source(sim, "src");
        Assert.That(() => sim.Start(), Throws.InvalidOperationException.With.Message.Contains("src.out"));
    }

    [Test]
    public void SendingBeforeTheRunThrows()
    {
        var sim = new Simulator();
        var src = new Source(sim, "src");
        var sink = new Sink(sim, "sink");
        Link<int>.Connect(sim, "l", src.Out, sink.In, new LinkTiming(10, 1_000_000_000, 1));
        Assert.That(() => src.Out.TrySend(1, 4), Throws.InvalidOperationException.With.Message.Contains("before the simulation started"));
    }

    [Test]
    public void ComponentsCannotBeAddedAfterStartAndNamesAreUnique()
    {
        var sim = new Simulator();
        _ = new Sink(sim, "a");
        Assert.That(() => new Sink(sim, "a"), Throws.InvalidOperationException.With.Message.Contains("two components"));
        var sim2 = new Simulator();
        sim2.Start();
        Assert.That(() => new Sink(sim2, "late"), Throws.InvalidOperationException);
    }
}
