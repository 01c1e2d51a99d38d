using Antoum.Sim.Stats;

namespace Antoum.Sim.Kernel;

/// <summary>Timing of a link: latency, bandwidth and receive-buffer credits.</summary>
public readonly record struct LinkTiming
{
    public LinkTiming(ulong latencyPs, ulong bytesPerSecond, int credits, ulong creditLatencyPs = 0)
    {
        if (bytesPerSecond == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytesPerSecond), "link bandwidth must be > 0 B/s");
        }

        if (credits <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(credits), "a link needs at least one credit (receive-buffer slot)");
        }

        LatencyPs = latencyPs;
        BytesPerSecond = bytesPerSecond;
        Credits = credits;
        CreditLatencyPs = creditLatencyPs;
    }

    /// <summary>Flight time from the end of serialisation to arrival, ps.</summary>
    public ulong LatencyPs { get; }

    /// <summary>Serialisation bandwidth, bytes per second.</summary>
    public ulong BytesPerSecond { get; }

    /// <summary>Receive-buffer slots; a send needs a free one (credit-based backpressure).</summary>
    public int Credits { get; }

    /// <summary>Time for a released credit to reach the sender, ps.</summary>
    public ulong CreditLatencyPs { get; }
}

/// <summary>
/// A point-to-point link between an <see cref="OutPort{TMsg}"/> and an <see cref="InPort{TMsg}"/> (SST links,
/// gem5 port pairs). Timing: messages serialise one after another at the link bandwidth, then fly for the
/// latency: a message of B bytes offered at t on an idle link arrives at t + ceil(B·10^12 / bw) + latency.
/// Back-to-back messages are timed from the cumulative byte count since the link went busy, so rounding does
/// not accumulate. Backpressure: the receiver has <see cref="LinkTiming.Credits"/> buffer slots; a message
/// holds one from send until the receiver releases it; with no credit the send is refused and the sender is
/// told to retry when a credit returns. In-flight messages live in a preallocated ring: sending allocates nothing.
/// Statistics: <c>NAME.messages</c>, <c>NAME.bytes</c>, <c>NAME.refusals</c>, <c>NAME.busy</c> (serialising).
/// </summary>
public sealed class Link<TMsg> : IEventHandler
    where TMsg : struct
{
    private const ulong PsPerSecond = 1_000_000_000_000UL;
    private const ulong CreditEvent = ulong.MaxValue;

    private readonly Simulator _sim;
    private readonly OutPort<TMsg> _source;
    private readonly InPort<TMsg> _sink;
    private readonly TMsg[] _slots;
    private int _slotHead;
    private int _slotCount;
    private int _creditsFree;
    private bool _senderWaiting;
    private ulong _burstStart;
    private ulong _burstBytes;
    private ulong _busyUntil;
    private readonly Counter _messages;
    private readonly Counter _bytes;
    private readonly Counter _refusals;
    private readonly Counter _busyPs;

    private Link(Simulator sim, string name, OutPort<TMsg> source, InPort<TMsg> sink, LinkTiming timing)
    {
        _sim = sim;
        Name = name;
        Timing = timing;
        _source = source;
        _sink = sink;
        _slots = new TMsg[timing.Credits];
        _creditsFree = timing.Credits;
        _messages = sim.Stats.Counter(name + ".messages", "count", "messages delivered");
        _bytes = sim.Stats.Counter(name + ".bytes", "B", "payload bytes carried");
        _refusals = sim.Stats.Counter(name + ".refusals", "count", "sends refused for lack of a credit");
        _busyPs = sim.Stats.Counter(name + ".busyTime", "ps", "time spent serialising messages");
        sim.Stats.Formula(name + ".utilization", "ratio", "busy time / elapsed time", () => sim.Now == 0 ? 0.0 : (double)_busyPs.Value / sim.Now);
    }

    /// <summary>Name of the link (its statistics prefix).</summary>
    public string Name { get; }

    /// <summary>Latency, bandwidth and credits.</summary>
    public LinkTiming Timing { get; }

    /// <summary>Receive-buffer slots free right now.</summary>
    public int CreditsFree => _creditsFree;

    /// <summary>Time at which the link finishes serialising what it has accepted.</summary>
    public ulong BusyUntil => _busyUntil;

    /// <summary>Joins two ports (connect phase).</summary>
    public static Link<TMsg> Connect(Simulator sim, string name, OutPort<TMsg> source, InPort<TMsg> sink, LinkTiming timing)
    {
        if (sim.Phase != SimPhase.Construct)
        {
            throw new InvalidOperationException($"link '{name}' created after the simulation started");
        }

        var link = new Link<TMsg>(sim, name, source, sink, timing);
        source.Bind(link);
        sink.Bind(link);
        return link;
    }

    /// <summary>Serialisation time of <paramref name="bytes"/> on this link, ps (rounded up).</summary>
    public ulong SerializationPs(ulong bytes)
    {
        return (ulong)(((UInt128)bytes * PsPerSecond + Timing.BytesPerSecond - 1) / Timing.BytesPerSecond);
    }

    internal bool TrySend(in TMsg message, ulong bytes)
    {
        if (_sim.Phase != SimPhase.Running)
        {
            throw new InvalidOperationException($"link '{Name}': send before the simulation started (lifecycle: construct, connect, run)");
        }

        if (_creditsFree == 0)
        {
            _senderWaiting = true;
            _refusals.Value++;
            return false;
        }

        _creditsFree--;
        ulong now = _sim.Now;
        if (now >= _busyUntil)
        {
            _burstStart = now;
            _burstBytes = 0;
        }

        ulong start = now >= _busyUntil ? now : _busyUntil;
        _burstBytes += bytes;
        ulong end = _burstStart + SerializationPs(_burstBytes);
        _busyPs.Value += (long)(end - start);
        _busyUntil = end;

        int slot = _slotHead + _slotCount;
        if (slot >= _slots.Length)
        {
            slot -= _slots.Length;
        }

        _slots[slot] = message;
        _slotCount++;
        _messages.Value++;
        _bytes.Value += (long)bytes;
        _sim.Schedule(end + Timing.LatencyPs, Priorities.Message, this, (ulong)slot);
        return true;
    }

    internal void ReturnCredit()
    {
        if (Timing.CreditLatencyPs == 0)
        {
            CreditArrived();
        }
        else
        {
            _sim.ScheduleIn(Timing.CreditLatencyPs, Priorities.Credit, this, CreditEvent);
        }
    }

    void IEventHandler.OnEvent(ulong data)
    {
        if (data == CreditEvent)
        {
            CreditArrived();
            return;
        }

        // Messages arrive in send order: serialisation is FIFO and the latency is fixed, so the slot at the head
        // of the ring is always the one arriving.
        int slot = _slotHead;
        TMsg message = _slots[slot];
        _slotHead = slot + 1 == _slots.Length ? 0 : slot + 1;
        _slotCount--;
        _sink.Receiver.Receive(_sink, message);
    }

    private void CreditArrived()
    {
        if (_creditsFree >= Timing.Credits)
        {
            throw new InvalidOperationException($"link '{Name}': more credits returned than were taken (a receiver released a message twice)");
        }

        _creditsFree++;
        if (_senderWaiting)
        {
            _senderWaiting = false;
            _source.RetryTarget?.OnRetry(_source);
        }
    }
}
