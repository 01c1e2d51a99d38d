using System.Numerics;
using Antoum.Sim.Kernel;
using NUnit.Framework;

namespace Antoum.Tests.Kernel;

[TestFixture]
[Category("Quick")]
[Category("Kernel")]
public class ClockDomainTests
{
    // Independent reference: ceil(n * 10^12 / f) with arbitrary-precision integers.
    private static ulong RefEdge(ulong n, ulong f)
    {
        BigInteger num = (BigInteger)n * 1_000_000_000_000;
        return (ulong)((num + f - 1) / f);
    }

    [TestCase(900_000_000UL)]
    [TestCase(1_000_000_000UL)]
    [TestCase(333_333_333UL)]
    [TestCase(1_500_000_000UL)]
    [TestCase(7UL)]
    public void EdgeTimesMatchTheClosedFormWithoutDrift(ulong f)
    {
        var sim = new Simulator();
        var clock = new ClockDomain(sim, "c", f);
        ulong[] cycles = [0, 1, 2, 3, 9, 10, 899, 900, 1_000_003, 900_000_000, 123_456_789_012, 10_000_000_000_000];
        foreach (ulong n in cycles)
        {
            if ((BigInteger)n * 1_000_000_000_000 / f > ulong.MaxValue)
            {
                continue;
            }

            Assert.That(clock.EdgeTime(n), Is.EqualTo(RefEdge(n, f)), $"edge {n}");
        }
    }

    [Test]
    public void NineHundredMegahertzHasExactEdgesEveryNineCycles()
    {
        var clock = new ClockDomain(new Simulator(), "c", 900_000_000);
        Assert.That(clock.EdgeTime(1), Is.EqualTo(1112UL));
        Assert.That(clock.EdgeTime(9), Is.EqualTo(10_000UL));
        Assert.That(clock.EdgeTime(900_000_000), Is.EqualTo(1_000_000_000_000UL));
        Assert.That(clock.EdgeTime(9_000_000_000_000), Is.EqualTo(10_000_000_000_000_000UL));
    }

    [Test]
    public void CycleLookupsAreInversesOfEdgeTime()
    {
        var clock = new ClockDomain(new Simulator(), "c", 900_000_000);
        var rng = new Random(7);
        for (int i = 0; i < 10_000; i++)
        {
            ulong t = (ulong)rng.NextInt64(0, 1L << 50);
            ulong after = clock.CycleAtOrAfter(t);
            ulong before = clock.CycleAtOrBefore(t);
            Assert.That(clock.EdgeTime(after), Is.GreaterThanOrEqualTo(t));
            Assert.That(after == 0 || clock.EdgeTime(after - 1) < t, Is.True);
            Assert.That(clock.EdgeTime(before), Is.LessThanOrEqualTo(t));
            Assert.That(clock.EdgeTime(before + 1), Is.GreaterThan(t));
        }
    }

    private sealed class Worker : IClocked
    {
        private readonly Simulator _sim;

        public Worker(Simulator sim, int work)
        {
            _sim = sim;
            Work = work;
        }

        public int Work { get; set; }

        public List<(ulong Cycle, ulong Time)> Ticks { get; } = new();

        public bool Tick(ulong cycle)
        {
            Ticks.Add((cycle, _sim.Now));
            Work--;
            return Work > 0;
        }
    }

    [Test]
    public void IdleBlocksStopTickingAndWakeAtTheNextEdge()
    {
        var sim = new Simulator();
        var clock = new ClockDomain(sim, "c", 900_000_000);
        var w = new Worker(sim, 5);
        int h = clock.Register(w);
        clock.Wake(h);
        Assert.That(sim.Run(), Is.EqualTo(StopReason.QueueEmpty));
        Assert.That(w.Ticks.Count, Is.EqualTo(5));
        Assert.That(w.Ticks[4], Is.EqualTo((4UL, clock.EdgeTime(4))));
        Assert.That(sim.PendingEvents, Is.EqualTo(0), "an idle domain schedules nothing");

        // Wake at t = 1,000,000 ps (not an edge): first tick at the next edge.
        var waker = new SimTimer(sim, () =>
        {
            w.Work = 2;
            clock.Wake(h);
        });
        waker.Schedule(1_000_000);
        sim.Run();
        ulong expected = clock.CycleAtOrAfter(1_000_000);
        Assert.That(w.Ticks.Count, Is.EqualTo(7));
        Assert.That(w.Ticks[5], Is.EqualTo((expected, clock.EdgeTime(expected))));
        Assert.That(w.Ticks[6], Is.EqualTo((expected + 1, clock.EdgeTime(expected + 1))));
        Assert.That(clock.MemberTicks, Is.EqualTo(7UL));
    }

    [Test]
    public void MembersTickInRegistrationOrderWhateverTheWakeOrder()
    {
        var sim = new Simulator();
        var clock = new ClockDomain(sim, "c", 1_000_000_000);
        var order = new List<string>();
        var a = new NamedWorker("a", order, 2);
        var b = new NamedWorker("b", order, 2);
        int ha = clock.Register(a);
        int hb = clock.Register(b);
        clock.Wake(hb);
        clock.Wake(ha);
        sim.Run();
        Assert.That(order, Is.EqualTo(new[] { "a0", "b0", "a1", "b1" }));
    }

    private sealed class NamedWorker(string name, List<string> log, int work) : IClocked
    {
        private int _work = work;

        public bool Tick(ulong cycle)
        {
            log.Add(name + cycle);
            return --_work > 0;
        }
    }

    [Test]
    public void TwoDomainsInterleaveAtTheirOwnEdges()
    {
        var sim = new Simulator();
        var fast = new ClockDomain(sim, "fast", 1_500_000_000);
        var slow = new ClockDomain(sim, "slow", 400_000_000);
        var wf = new Worker(sim, 6);
        var ws = new Worker(sim, 3);
        fast.Wake(fast.Register(wf));
        slow.Wake(slow.Register(ws));
        sim.Run();
        for (int i = 0; i < 6; i++)
        {
            Assert.That(wf.Ticks[i].Time, Is.EqualTo(RefEdge((ulong)i, 1_500_000_000)));
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.That(ws.Ticks[i].Time, Is.EqualTo((ulong)i * 2500));
        }
    }

    [Test]
    public void ZeroFrequencyIsRejected()
    {
        Assert.That(() => new ClockDomain(new Simulator(), "c", 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
