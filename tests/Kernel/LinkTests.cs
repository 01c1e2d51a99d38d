using System.Numerics;
using Antoum.Sim.Kernel;
using NUnit.Framework;

namespace Antoum.Tests.Kernel;

[TestFixture]
[Category("Quick")]
[Category("Kernel")]
public class LinkTests
{
    private const ulong Ps = 1_000_000_000_000;

    private static ulong CeilDiv(BigInteger a, BigInteger b) => (ulong)((a + b - 1) / b);

    /// <summary>Sends <c>Count</c> messages as fast as credits allow, retrying when refused.</summary>
    private sealed class Sender : SimComponent, IRetryable
    {
        private readonly uint _bytes;
        private int _sent;

        public Sender(Simulator sim, int count, uint bytes)
            : base(sim, "sender")
        {
            Count = count;
            _bytes = bytes;
            Out = AddOutPort<int>("out");
            Out.RetryTarget = this;
        }

        public int Count { get; }

        public OutPort<int> Out { get; }

        public List<ulong> SendTimes { get; } = new();

        public int Refused { get; private set; }

        public override void Setup()
        {
            Pump();
        }

        public void OnRetry(IPort port)
        {
            Pump();
        }

        private void Pump()
        {
            while (_sent < Count)
            {
                if (!Out.TrySend(_sent, _bytes))
                {
                    Refused++;
                    return;
                }

                SendTimes.Add(Sim.Now);
                _sent++;
            }
        }
    }

    /// <summary>Holds each message for <c>hold</c> ps after arrival, then releases its buffer slot.</summary>
    private sealed class Receiver : SimComponent, IReceiver<int>
    {
        private readonly ulong _hold;
        private readonly Queue<InPort<int>> _toRelease = new();
        private readonly SimTimer[] _timers;
        private int _next;

        public Receiver(Simulator sim, ulong hold, int maxHeld)
            : base(sim, "receiver")
        {
            _hold = hold;
            In = AddInPort<int>("in", this);
            _timers = new SimTimer[maxHeld];
            for (int i = 0; i < maxHeld; i++)
            {
                _timers[i] = new SimTimer(sim, () => _toRelease.Dequeue().Release());
            }
        }

        public InPort<int> In { get; }

        public List<(int Message, ulong Time)> Arrivals { get; } = new();

        public void Receive(InPort<int> port, in int message)
        {
            Arrivals.Add((message, Sim.Now));
            if (_hold == 0)
            {
                port.Release();
                return;
            }

            _toRelease.Enqueue(port);
            _timers[_next].Schedule(Sim.Now + _hold);
            _next = (_next + 1) % _timers.Length;
        }
    }

    [TestCase(1UL, 3_000_000_000UL, 0UL)]
    [TestCase(64UL, 82_000_000_000UL, 1_000UL)]
    [TestCase(4096UL, 20_500_000_000UL, 100_000UL)]
    public void OneMessageArrivesAfterSerialisationPlusLatency(ulong bytes, ulong bw, ulong latency)
    {
        var sim = new Simulator();
        var s = new Sender(sim, 1, (uint)bytes);
        var r = new Receiver(sim, 0, 1);
        Link<int>.Connect(sim, "l", s.Out, r.In, new LinkTiming(latency, bw, 1));
        sim.Run();
        Assert.That(r.Arrivals.Single().Time, Is.EqualTo(CeilDiv(bytes * Ps, bw) + latency));
    }

    [Test]
    public void BackToBackMessagesDoNotAccumulateRounding()
    {
        // 1 B at 3 GB/s is 333.33 ps: 3000 messages take exactly 10^6 ps of serialisation.
        var sim = new Simulator();
        var s = new Sender(sim, 3000, 1);
        var r = new Receiver(sim, 0, 1);
        Link<int>.Connect(sim, "l", s.Out, r.In, new LinkTiming(500, 3_000_000_000, 3000));
        sim.Run();
        Assert.That(r.Arrivals.Count, Is.EqualTo(3000));
        for (int i = 0; i < 3000; i++)
        {
            Assert.That(r.Arrivals[i], Is.EqualTo((i, CeilDiv((BigInteger)(i + 1) * Ps, 3_000_000_000) + 500)));
        }

        Assert.That(r.Arrivals[^1].Time, Is.EqualTo(1_000_000UL + 500));
        Assert.That(s.Refused, Is.EqualTo(0));
    }

    [Test]
    public void OneCreditGivesStopAndWaitTiming()
    {
        // C = 1: each message is sent when the previous one is released:
        // period = S + L + H; message i arrives at i(S + L + H) + S + L.
        const ulong bytes = 100;
        const ulong bw = 10_000_000_000; // 10 ps per byte: S = 1000 ps
        const ulong latency = 250;
        const ulong hold = 4_000;
        const int n = 50;
        var sim = new Simulator();
        var s = new Sender(sim, n, (uint)bytes);
        var r = new Receiver(sim, hold, 1);
        Link<int> link = Link<int>.Connect(sim, "l", s.Out, r.In, new LinkTiming(latency, bw, 1));
        sim.Run();
        ulong ser = bytes * Ps / bw;
        for (int i = 0; i < n; i++)
        {
            Assert.That(r.Arrivals[i].Time, Is.EqualTo(((ulong)i * (ser + latency + hold)) + ser + latency));
        }

        Assert.That(s.Refused, Is.EqualTo(n - 1), "every send after the first is refused once, then retried");
        Assert.That(((Antoum.Sim.Stats.Counter)sim.Stats.Find("l.refusals")!).Value, Is.EqualTo(n - 1));
        Assert.That(link.CreditsFree, Is.EqualTo(1));
    }

    [Test]
    public void CreditsMatchAnIndependentRecurrence()
    {
        // Reference: s_i = max(s_{i-1}, r_{i-C}) with r_j = a_j + H, a_i = max(s_i, e_{i-1}) + S + L where e is
        // the end of serialisation. Computed here without the kernel.
        const ulong ser = 700;
        const ulong latency = 300;
        const ulong hold = 2_500;
        const int credits = 3;
        const int n = 40;
        var sends = new ulong[n];
        var arrivals = new ulong[n];
        ulong linkFree = 0;
        for (int i = 0; i < n; i++)
        {
            ulong s = i == 0 ? 0 : sends[i - 1];
            if (i >= credits)
            {
                s = Math.Max(s, arrivals[i - credits] + hold);
            }

            sends[i] = s;
            ulong start = Math.Max(s, linkFree);
            linkFree = start + ser;
            arrivals[i] = linkFree + latency;
        }

        var sim = new Simulator();
        var snd = new Sender(sim, n, 7);
        var rcv = new Receiver(sim, hold, credits);
        Link<int>.Connect(sim, "l", snd.Out, rcv.In, new LinkTiming(latency, 10_000_000_000, credits)); // 7 B = 700 ps
        sim.Run();
        Assert.That(snd.SendTimes, Is.EqualTo(sends));
        Assert.That(rcv.Arrivals.Select(a => a.Time), Is.EqualTo(arrivals));
    }

    [Test]
    public void UtilizationAndByteCountsAreReported()
    {
        var sim = new Simulator();
        var s = new Sender(sim, 10, 1000);
        var r = new Receiver(sim, 0, 1);
        Link<int>.Connect(sim, "l", s.Out, r.In, new LinkTiming(0, 1_000_000_000, 10)); // 1 ns per byte
        sim.Run();
        sim.Finish();
        Assert.That(((Antoum.Sim.Stats.Counter)sim.Stats.Find("l.bytes")!).Value, Is.EqualTo(10_000));
        Assert.That(((Antoum.Sim.Stats.Counter)sim.Stats.Find("l.busyTime")!).Value, Is.EqualTo(10_000_000));
        Assert.That(((Antoum.Sim.Stats.Formula)sim.Stats.Find("l.utilization")!).Evaluate(), Is.EqualTo(1.0));
    }

    [Test]
    public void InvalidTimingIsRejected()
    {
        Assert.That(() => new LinkTiming(0, 0, 1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("bandwidth"));
        Assert.That(() => new LinkTiming(0, 1, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("credit"));
    }
}
