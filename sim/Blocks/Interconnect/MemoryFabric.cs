using System.Globalization;
using Antoum.Isa;
using Antoum.Sim.Config;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Interconnect;

/// <summary>Bandwidth, latency and capacity of every memory and link the fabric routes through.</summary>
public sealed record FabricParams(
    int Chips,
    int Clusters,
    int SpusPerCluster,
    ulong ClockHz,
    ulong DramBytesPerSecond,
    ulong DramLatencyPs,
    ulong L2BytesPerSecond,
    ulong L2LatencyPs,
    ulong L1BytesPerSecond,
    ulong L1LatencyPs,
    ulong NocBytesPerSecond,
    ulong NocLatencyPs,
    ulong ChipLinkBytesPerSecond,
    ulong ChipLinkLatencyPs,
    ulong HostBytesPerSecond,
    ulong HostLatencyPs);

/// <summary>
/// PLACEHOLDER memory system and interconnect for program execution: DMA bursts move between DRAM interfaces,
/// L2s, L1s, other chips and the host. Each memory and link is a resource with a bandwidth and a latency; a burst
/// claims every resource on its path (source memory, the NoC when it crosses clusters, both chips' PCIe links
/// when it crosses chips, the host link for host memory, destination memory). It starts when all of them are
/// free, occupies each for bytes / its bandwidth, and lands after the slowest of those times plus the sum of
/// the latencies. Contention is real: bursts sharing a resource serialise on it. The banked memories, DRAM
/// timing tables and credit-based NoC of the chip-blocks issue replace this model.
/// <para>Ports: <c>req[i]</c> (in, MemCopy from requester i), <c>resp[i]</c> (out, MemResponse when landed).</para>
/// <para>Statistics per resource: <c>NAME.bytes</c>, <c>NAME.busyTime</c>, <c>NAME.utilization</c>, with NAME
/// <c>chip{c}.cluster{k}.dram</c>, <c>….l2</c>, <c>….spu{s}.l1</c>, <c>chip{c}.noc</c>, <c>chip{c}.pcieLink</c>,
/// <c>card.hostLink</c>.</para>
/// </summary>
public sealed class MemoryFabric : SimComponent, IReceiver<MemCopy>, IRetryable, IEventHandler
{
    private const ulong PsPerSecond = 1_000_000_000_000UL;

    private readonly FabricParams _p;
    private readonly InPort<MemCopy>[] _req;
    private readonly OutPort<MemResponse>[] _resp;
    private readonly ulong[] _free;
    private readonly ulong[] _bw;
    private readonly ulong[] _latency;
    private readonly Counter[] _bytes;
    private readonly Counter[] _busy;
    private readonly int _perChip;
    private readonly int _hostResource;
    private readonly int[] _path = new int[8];

    // Bursts in flight: requester, response; free slots kept on a stack (deterministic reuse order).
    private readonly int[] _slotRequester;
    private readonly MemResponse[] _slotResponse;
    private readonly int[] _freeSlots;
    private int _freeCount;
    private readonly Queue<(int Requester, MemResponse Response)> _held = new();

    public MemoryFabric(Simulator sim, string name, FabricParams p, int requesters, int creditsPerRequester)
        : base(sim, name)
    {
        _p = p;
        _req = new InPort<MemCopy>[requesters];
        _resp = new OutPort<MemResponse>[requesters];
        for (int i = 0; i < requesters; i++)
        {
            _req[i] = AddInPort<MemCopy>("req" + i.ToString(CultureInfo.InvariantCulture), this);
            _req[i].Tag = i;
            _resp[i] = AddOutPort<MemResponse>("resp" + i.ToString(CultureInfo.InvariantCulture));
            _resp[i].RetryTarget = this;
        }

        // Per chip: per cluster (dram, l2, spus × l1), then noc, then the chip's PCIe link. Then the host link.
        _perChip = (p.Clusters * (2 + p.SpusPerCluster)) + 2;
        int resources = (p.Chips * _perChip) + 1;
        _hostResource = resources - 1;
        _free = new ulong[resources];
        _bw = new ulong[resources];
        _latency = new ulong[resources];
        _bytes = new Counter[resources];
        _busy = new Counter[resources];
        for (int c = 0; c < p.Chips; c++)
        {
            string chip = "chip" + c.ToString(CultureInfo.InvariantCulture);
            for (int k = 0; k < p.Clusters; k++)
            {
                string cluster = chip + ".cluster" + k.ToString(CultureInfo.InvariantCulture);
                Define(sim, DramId(c, k), cluster + ".dram", p.DramBytesPerSecond, p.DramLatencyPs);
                Define(sim, L2Id(c, k), cluster + ".l2", p.L2BytesPerSecond, p.L2LatencyPs);
                for (int s = 0; s < p.SpusPerCluster; s++)
                {
                    Define(sim, L1Id(c, k, s), cluster + ".spu" + s.ToString(CultureInfo.InvariantCulture) + ".l1", p.L1BytesPerSecond, p.L1LatencyPs);
                }
            }

            Define(sim, NocId(c), chip + ".noc", p.NocBytesPerSecond, p.NocLatencyPs);
            Define(sim, ChipLinkId(c), chip + ".pcieLink", p.ChipLinkBytesPerSecond, p.ChipLinkLatencyPs);
        }

        Define(sim, _hostResource, "card.hostLink", p.HostBytesPerSecond, p.HostLatencyPs);
        int slots = requesters * creditsPerRequester;
        _slotRequester = new int[slots];
        _slotResponse = new MemResponse[slots];
        _freeSlots = new int[slots];
        for (int i = 0; i < slots; i++)
        {
            _freeSlots[i] = slots - 1 - i;
        }

        _freeCount = slots;
    }

    public InPort<MemCopy> RequestPort(int i) => _req[i];

    public OutPort<MemResponse> ResponsePort(int i) => _resp[i];

    void IReceiver<MemCopy>.Receive(InPort<MemCopy> port, in MemCopy m)
    {
        MemRef src = MemRef.Unpack(m.Source);
        MemRef dst = MemRef.Unpack(m.Destination);
        int n = BuildPath(src, dst);
        ulong now = Sim.Now;
        ulong start = now;
        for (int i = 0; i < n; i++)
        {
            ulong f = _free[_path[i]];
            if (f > start)
            {
                start = f;
            }
        }

        ulong longest = 0;
        ulong latency = 0;
        for (int i = 0; i < n; i++)
        {
            int r = _path[i];
            ulong t = (ulong)(((UInt128)m.Bytes * PsPerSecond + _bw[r] - 1) / _bw[r]);
            _free[r] = start + t;
            _bytes[r].Value += m.Bytes;
            _busy[r].Value += (long)t;
            latency += _latency[r];
            if (t > longest)
            {
                longest = t;
            }
        }

        if (_freeCount == 0)
        {
            throw new SimInvariantException($"{Name} @ {now} ps: more bursts in flight than credits allow");
        }

        int slot = _freeSlots[--_freeCount];
        _slotRequester[slot] = port.Tag;
        _slotResponse[slot] = new MemResponse(m.Bytes, m.Tag);
        Sim.Schedule(start + longest + latency, Priorities.Message, this, (ulong)slot);
    }

    void IEventHandler.OnEvent(ulong data)
    {
        int slot = (int)data;
        int requester = _slotRequester[slot];
        MemResponse response = _slotResponse[slot];
        _freeSlots[_freeCount++] = slot;
        if (_held.Count == 0 && _resp[requester].TrySend(response, 8))
        {
            _req[requester].Release();
            return;
        }

        _held.Enqueue((requester, response));
    }

    void IRetryable.OnRetry(IPort port)
    {
        while (_held.Count > 0)
        {
            (int requester, MemResponse response) = _held.Peek();
            if (!_resp[requester].TrySend(response, 8))
            {
                return;
            }

            _held.Dequeue();
            _req[requester].Release();
        }
    }

    private void Define(Simulator sim, int id, string name, ulong bytesPerSecond, ulong latencyPs)
    {
        if (bytesPerSecond == 0)
        {
            throw new UserInputException($"{name}: bandwidth must be > 0 B/s");
        }

        _bw[id] = bytesPerSecond;
        _latency[id] = latencyPs;
        _bytes[id] = sim.Stats.Counter(name + ".bytes", "B", "bytes moved through " + name);
        Counter busy = sim.Stats.Counter(name + ".busyTime", "ps", "time " + name + " was transferring");
        _busy[id] = busy;
        sim.Stats.Formula(name + ".utilization", "ratio", "busy time / elapsed time", () => sim.Now == 0 ? 0.0 : (double)busy.Value / sim.Now);
    }

    private int DramId(int chip, int cluster) => (chip * _perChip) + (cluster * (2 + _p.SpusPerCluster));

    private int L2Id(int chip, int cluster) => DramId(chip, cluster) + 1;

    private int L1Id(int chip, int cluster, int spu) => DramId(chip, cluster) + 2 + spu;

    private int NocId(int chip) => (chip * _perChip) + (_p.Clusters * (2 + _p.SpusPerCluster));

    private int ChipLinkId(int chip) => NocId(chip) + 1;

    private int MemoryId(in MemRef m) => m.Space switch
    {
        MemSpace.Dram => DramId(m.Chip, m.Cluster),
        MemSpace.L2 => L2Id(m.Chip, m.Cluster),
        MemSpace.L1 => L1Id(m.Chip, m.Cluster, m.Unit),
        _ => _hostResource,
    };

    // Path: source memory, [host link + chip link], [NoC], [both chip links], destination memory.
    private int BuildPath(in MemRef src, in MemRef dst)
    {
        int n = 0;
        _path[n++] = MemoryId(src);
        if (src.Space == MemSpace.Host || dst.Space == MemSpace.Host)
        {
            MemRef device = src.Space == MemSpace.Host ? dst : src;
            if (device.Space != MemSpace.Host)
            {
                _path[n++] = ChipLinkId(device.Chip);
            }
        }
        else if (src.Chip != dst.Chip)
        {
            _path[n++] = ChipLinkId(src.Chip);
            _path[n++] = ChipLinkId(dst.Chip);
        }
        else if (src.Cluster != dst.Cluster)
        {
            _path[n++] = NocId(src.Chip);
        }

        int d = MemoryId(dst);
        if (d != _path[0])
        {
            _path[n++] = d;
        }

        return n;
    }
}
