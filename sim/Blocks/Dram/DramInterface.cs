using Antoum.Sim.Config;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Dram;

/// <summary>Parameters of the placeholder DRAM interface (from <c>chip.dram</c>).</summary>
public sealed record DramParams(ulong BytesPerSecond, ulong LatencyPs, int Requesters, int QueueDepthPerRequester)
{
    /// <summary>The LPDDR4x device behind the interface; null keeps the plain FIFO bandwidth channel.</summary>
    public Config.DramConfig? Device { get; init; }

    /// <summary>Bytes of address space per requester (each streams through its own region), with a device.</summary>
    public ulong RegionBytes { get; init; } = 1UL << 28;
}

/// <summary>
/// The DRAM interface of a cluster for the built-in GEMM workloads: a request front-end in front of the LPDDR4x
/// device model (<see cref="Lpddr4xModel"/>: channels, banks, rows, refresh, timing table from config), or, when no
/// device is configured, a single FIFO channel at a bandwidth (kept for closed-form tests of the card model).
/// <para>Ports: <c>req[i]</c> (in, MemRequest from requester i; credits = queue depth per requester),
/// <c>resp[i]</c> (out, MemResponse to requester i).</para>
/// <para>Statistics: <c>bytesRead</c>, <c>bytesWritten</c>, <c>requests</c>, <c>busyTime</c> (bytes at the
/// device's peak rate), <c>inFlight</c>, <c>bandwidthUtilization</c>, and the device's row-hit/miss/conflict and
/// refresh counters under <c>NAME.device</c>.</para>
/// <para>Timing with a device: requests reach the device in arrival order; requester i streams through its own
/// address region (its operands are laid out contiguously); a read is answered the controller latency
/// (<c>chip.dram.latency</c>) after its last data beat, answers in request order. Without a device: a request of B
/// bytes occupies the channel for ceil(B·10^12 / bandwidth) ps from max(arrival, channel free), plus the latency.
/// </para>
/// </summary>
public sealed class DramInterface : SimComponent, IReceiver<MemRequest>, IRetryable, IEventHandler
{
    private const ulong PsPerSecond = 1_000_000_000_000UL;

    private readonly DramParams _p;
    private readonly InPort<MemRequest>[] _req;
    private readonly OutPort<MemResponse>[] _resp;

    // Reads in flight, in completion order (the channel is FIFO and the latency fixed, so completion order is
    // issue order): requester, response.
    private readonly int[] _flightRequester;
    private readonly MemResponse[] _flightResponse;
    private int _flightHead;
    private int _flightCount;

    // Responses refused by a full requester buffer, per requester, in order.
    private readonly MemResponse[][] _held;
    private readonly int[] _heldHead;
    private readonly int[] _heldCount;

    private ulong _channelFree;
    private readonly Lpddr4xModel? _device;
    private readonly ulong[] _cursor;
    private ulong _lastAccess;
    private ulong _lastCompletion;
    private readonly Counter _bytesRead;
    private readonly Counter _bytesWritten;
    private readonly Counter _requests;
    private readonly Counter _busyPs;
    private readonly TimeWeighted _queue;

    public DramInterface(Simulator sim, string name, DramParams p, ulong clockHz)
        : base(sim, name)
    {
        if (p.BytesPerSecond == 0 || p.Requesters <= 0 || p.QueueDepthPerRequester <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "DRAM needs bandwidth, requesters and queue depth > 0");
        }

        _p = p;
        _req = new InPort<MemRequest>[p.Requesters];
        _resp = new OutPort<MemResponse>[p.Requesters];
        _held = new MemResponse[p.Requesters][];
        _heldHead = new int[p.Requesters];
        _heldCount = new int[p.Requesters];
        for (int i = 0; i < p.Requesters; i++)
        {
            _req[i] = AddInPort<MemRequest>("req" + i, this);
            _req[i].Tag = i;
            _resp[i] = AddOutPort<MemResponse>("resp" + i);
            _resp[i].RetryTarget = this;
            _held[i] = new MemResponse[p.QueueDepthPerRequester];
        }

        _cursor = new ulong[p.Requesters];
        if (p.Device is not null)
        {
            _device = new Lpddr4xModel(p.Device);
            _device.Stats.Register(sim.Stats, name + ".device", () => sim.Now);
        }

        int maxFlight = p.Requesters * p.QueueDepthPerRequester;
        _flightRequester = new int[maxFlight];
        _flightResponse = new MemResponse[maxFlight];
        _bytesRead = sim.Stats.Counter(name + ".bytesRead", "B", "bytes read");
        _bytesWritten = sim.Stats.Counter(name + ".bytesWritten", "B", "bytes written");
        _requests = sim.Stats.Counter(name + ".requests", "count", "requests served");
        _busyPs = sim.Stats.Counter(name + ".busyTime", "ps", "time the data channel was transferring");
        _queue = sim.Stats.TimeWeighted(name + ".inFlight", "requests", "reads accepted and not yet answered");
        sim.Stats.Block(new BlockActivity(name, "dram", clockHz, () => (ulong)_busyPs.Value, () => 0, () => _bytesWritten.Value, () => _bytesRead.Value));
        sim.Stats.Formula(name + ".bandwidthUtilization", "ratio", "busy time / elapsed time", () => sim.Now == 0 ? 0.0 : (double)_busyPs.Value / sim.Now);
    }

    /// <summary>Request port of requester <paramref name="i"/> (for wiring).</summary>
    public InPort<MemRequest> RequestPort(int i) => _req[i];

    /// <summary>Response port of requester <paramref name="i"/> (for wiring).</summary>
    public OutPort<MemResponse> ResponsePort(int i) => _resp[i];

    void IReceiver<MemRequest>.Receive(InPort<MemRequest> port, in MemRequest message)
    {
        int requester = port.Tag;
        ulong now = Sim.Now;
        ulong ready;
        if (_device is null)
        {
            ulong start = now > _channelFree ? now : _channelFree;
            ulong transfer = (ulong)(((UInt128)message.Bytes * PsPerSecond + _p.BytesPerSecond - 1) / _p.BytesPerSecond);
            _channelFree = start + transfer;
            _busyPs.Value += (long)transfer;
            ready = _channelFree + _p.LatencyPs;
        }
        else
        {
            // Each requester streams through its own region; the device times banks, rows and refresh. Answers leave
            // in request order (ready times are kept monotone), after the controller latency.
            ulong at = now > _lastAccess ? now : _lastAccess;
            _lastAccess = at;
            ulong address = ((ulong)requester * _p.RegionBytes) + (_cursor[requester] % _p.RegionBytes);
            _cursor[requester] += message.Bytes;
            ulong end = _device.Access(at, address, message.Bytes, message.IsWrite);
            _busyPs.Value += (long)(((UInt128)message.Bytes * PsPerSecond + _device.PeakBytesPerSecond - 1) / _device.PeakBytesPerSecond);
            ready = Math.Max(end + _p.LatencyPs, _lastCompletion);
            _lastCompletion = ready;
        }

        _requests.Value++;
        if (message.IsWrite)
        {
            _bytesWritten.Value += message.Bytes;
            port.Release();
            return;
        }

        _bytesRead.Value += message.Bytes;
        int slot = (_flightHead + _flightCount) % _flightRequester.Length;
        _flightRequester[slot] = requester;
        _flightResponse[slot] = new MemResponse(message.Bytes, message.Tag);
        _flightCount++;
        _queue.Set(now, _flightCount);
        Sim.Schedule(ready, Priorities.Message, this);
    }

    void IEventHandler.OnEvent(ulong data)
    {
        int requester = _flightRequester[_flightHead];
        MemResponse response = _flightResponse[_flightHead];
        _flightHead = (_flightHead + 1) % _flightRequester.Length;
        _flightCount--;
        _queue.Set(Sim.Now, _flightCount);

        // The request's buffer slot is freed when its answer leaves, so held answers stay bounded by the depth.
        if (_heldCount[requester] == 0 && _resp[requester].TrySend(response, response.Bytes))
        {
            _req[requester].Release();
            return;
        }

        MemResponse[] held = _held[requester];
        held[(_heldHead[requester] + _heldCount[requester]) % held.Length] = response;
        _heldCount[requester]++;
    }

    void IRetryable.OnRetry(IPort port)
    {
        for (int r = 0; r < _resp.Length; r++)
        {
            MemResponse[] held = _held[r];
            while (_heldCount[r] > 0 && _resp[r].TrySend(held[_heldHead[r]], held[_heldHead[r]].Bytes))
            {
                _heldHead[r] = (_heldHead[r] + 1) % held.Length;
                _heldCount[r]--;
                _req[r].Release();
            }
        }
    }

    public override void Finish()
    {
        _queue.Set(Sim.Now, _flightCount);
    }
}
