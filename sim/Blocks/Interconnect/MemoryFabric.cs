using System.Globalization;
using Antoum.Isa;
using Antoum.Sim.Blocks.Dram;
using Antoum.Sim.Blocks.Memory;
using Antoum.Sim.Config;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Interconnect;

/// <summary>Bandwidth and latency of one fabric resource (a link, a DRAM interface, a crossbar port).</summary>
public readonly record struct ResourceSpec(ulong BytesPerSecond, ulong LatencyPs);

/// <summary>Bandwidth, latency and banking of every memory and link the fabric routes through.</summary>
public sealed record FabricParams(
    int Chips,
    int Clusters,
    int SpusPerCluster,
    ResourceSpec Dram,
    SramBanks L2,
    SramBanks L1,
    ResourceSpec Crossbar,
    ResourceSpec RingLink,
    ResourceSpec ChipLink,
    ResourceSpec HostLink)
{
    /// <summary>
    /// The LPDDR4x device behind every DRAM interface; null keeps the interface a plain bandwidth resource (tests of
    /// the fabric's own timing use that). <see cref="Dram"/>'s latency is then the controller/PHY latency on top.
    /// </summary>
    public DramConfig? DramDevice { get; init; }
}

/// <summary>
/// Memory system and interconnect for program execution: DMA bursts move between DRAM interfaces, L2s, L1s, other
/// chips and the host. Every memory bank and link is a resource with a bandwidth and a latency; a burst claims
/// every resource on its path:
/// <list type="bullet">
/// <item>source and destination memory: a DRAM interface as one resource; an L1 or L2 as its banks, each touched
/// bank for the burst's bytes on it (<see cref="SramBanks"/>: word-interleaved banks, conflicts approximated);</item>
/// <item>the cluster crossbar port of every L1 end (one port per cluster; L1 to L1 in one cluster crosses it once);</item>
/// <item>across clusters of one chip: the ring links of the route (<see cref="RingTopology"/>: shortest direction,
/// one resource per link per direction);</item>
/// <item>across chips: the source chip's link up to the on-card PCIe switch and the destination chip's link down;</item>
/// <item>host memory: the host link (down for host → card, up for card → host) and the chip's link to the switch.</item>
/// </list>
/// A burst starts when all its resources are free, occupies each for its bytes / its bandwidth, and lands after the
/// longest of those times plus the sum of the path latencies (each memory once, each crossbar port, each ring hop,
/// each PCIe link). Contention is real: bursts sharing a resource serialise on it, so two streams over one link each
/// get half of it. The DRAM model of the chip-blocks issue replaces the one-resource DRAM interface.
/// <para>Ports: <c>req[i]</c> (in, MemCopy from requester i), <c>resp[i]</c> (out, MemResponse when landed).</para>
/// <para>Statistics per resource: <c>NAME.bytes</c>, <c>NAME.busyTime</c>, <c>NAME.utilization</c>, with NAME
/// <c>chip{c}.cluster{k}.dram</c>, <c>….l2.bank{b}</c>, <c>….xbar</c>, <c>….spu{s}.l1.bank{b}</c>,
/// <c>chip{c}.noc.ring{a}to{b}</c>, <c>chip{c}.pcieLink.up</c> / <c>.down</c>, <c>card.hostLink.down</c> /
/// <c>.up</c>.</para>
/// </summary>
public sealed class MemoryFabric : SimComponent, IReceiver<MemCopy>, IRetryable, IEventHandler
{
    private const ulong PsPerSecond = 1_000_000_000_000UL;

    private readonly FabricParams _p;
    private readonly InPort<MemCopy>[] _req;
    private readonly OutPort<MemResponse>[] _resp;
    private readonly ulong[] _free;
    private readonly ulong[] _bw;
    private readonly Counter[] _bytes;

    // Bytes read from / written into each L2 (per cluster) and L1 (per SPU), for the power model's read/write split.
    private readonly Counter[] _l2Read;
    private readonly Counter[] _l2Written;
    private readonly Counter[] _l1Read;
    private readonly Counter[] _l1Written;
    private readonly Counter[] _busy;
    private readonly int _perCluster;
    private readonly int _perChip;
    private readonly int _hostDown;
    private readonly int[] _pathResource;
    private readonly ulong[] _pathBytes;
    private readonly ulong[] _bankBytes;
    private int _pathCount;
    private ulong _pathLatency;
    private readonly Lpddr4xModel[]? _dram;
    private readonly ulong[] _dramLast;
    private readonly ulong _dramPeak;

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

        // Per cluster: dram, L2 banks, crossbar port, SPUs × L1 banks, ring link clockwise, ring link counter-clockwise.
        // Per chip: the clusters, then the chip's PCIe link up and down. Then the host link down and up.
        _perCluster = 1 + p.L2.Banks + 1 + (p.SpusPerCluster * p.L1.Banks) + 2;
        _perChip = (p.Clusters * _perCluster) + 2;
        int resources = (p.Chips * _perChip) + 2;
        _hostDown = resources - 2;
        _free = new ulong[resources];
        _bw = new ulong[resources];
        _bytes = new Counter[resources];
        _l2Read = new Counter[p.Chips * p.Clusters];
        _l2Written = new Counter[p.Chips * p.Clusters];
        _l1Read = new Counter[p.Chips * p.Clusters * p.SpusPerCluster];
        _l1Written = new Counter[p.Chips * p.Clusters * p.SpusPerCluster];
        _busy = new Counter[resources];
        _bankBytes = new ulong[Math.Max(p.L1.Banks, p.L2.Banks)];
        int longestPath = (2 * _bankBytes.Length) + p.Clusters + 8;
        _pathResource = new int[longestPath];
        _pathBytes = new ulong[longestPath];
        for (int c = 0; c < p.Chips; c++)
        {
            string chip = "chip" + c.ToString(CultureInfo.InvariantCulture);
            for (int k = 0; k < p.Clusters; k++)
            {
                string cluster = chip + ".cluster" + k.ToString(CultureInfo.InvariantCulture);
                Define(sim, DramId(c, k), cluster + ".dram", p.Dram.BytesPerSecond);
                for (int b = 0; b < p.L2.Banks; b++)
                {
                    Define(sim, L2Id(c, k) + b, cluster + ".l2.bank" + b.ToString(CultureInfo.InvariantCulture), p.L2.BankBytesPerSecond);
                }

                int ck = (c * p.Clusters) + k;
                _l2Read[ck] = sim.Stats.Counter(cluster + ".l2.bytesRead", "B", "bytes DMA bursts read from the L2");
                _l2Written[ck] = sim.Stats.Counter(cluster + ".l2.bytesWritten", "B", "bytes DMA bursts wrote into the L2");
                Define(sim, XbarId(c, k), cluster + ".xbar", p.Crossbar.BytesPerSecond);
                for (int s = 0; s < p.SpusPerCluster; s++)
                {
                    string spu = cluster + ".spu" + s.ToString(CultureInfo.InvariantCulture);
                    _l1Read[(ck * p.SpusPerCluster) + s] = sim.Stats.Counter(spu + ".l1.bytesRead", "B", "bytes DMA bursts read from the SPU's L1");
                    _l1Written[(ck * p.SpusPerCluster) + s] = sim.Stats.Counter(spu + ".l1.bytesWritten", "B", "bytes DMA bursts wrote into the SPU's L1");
                    string l1 = spu + ".l1.bank";
                    for (int b = 0; b < p.L1.Banks; b++)
                    {
                        Define(sim, L1Id(c, k, s) + b, l1 + b.ToString(CultureInfo.InvariantCulture), p.L1.BankBytesPerSecond);
                    }
                }

                string next = ((k + 1) % p.Clusters).ToString(CultureInfo.InvariantCulture);
                string prev = ((k - 1 + p.Clusters) % p.Clusters).ToString(CultureInfo.InvariantCulture);
                string self = k.ToString(CultureInfo.InvariantCulture);
                Define(sim, RingId(c, k, clockwise: true), chip + ".noc.ring" + self + "to" + next, p.RingLink.BytesPerSecond);
                Define(sim, RingId(c, k, clockwise: false), chip + ".noc.ring" + self + "to" + prev, p.RingLink.BytesPerSecond);
            }

            Define(sim, ChipLinkId(c, up: true), chip + ".pcieLink.up", p.ChipLink.BytesPerSecond);
            Define(sim, ChipLinkId(c, up: false), chip + ".pcieLink.down", p.ChipLink.BytesPerSecond);
        }

        _dramLast = new ulong[p.Chips * p.Clusters];
        if (p.DramDevice is not null)
        {
            _dram = new Lpddr4xModel[p.Chips * p.Clusters];
            for (int i = 0; i < _dram.Length; i++)
            {
                _dram[i] = new Lpddr4xModel(p.DramDevice);
                string prefix = "chip" + (i / p.Clusters).ToString(CultureInfo.InvariantCulture) + ".cluster" + (i % p.Clusters).ToString(CultureInfo.InvariantCulture) + ".dram.device";
                _dram[i].Stats.Register(sim.Stats, prefix, () => sim.Now);
            }

            _dramPeak = _dram[0].PeakBytesPerSecond;
        }

        Define(sim, _hostDown, "card.hostLink.down", p.HostLink.BytesPerSecond);
        Define(sim, _hostDown + 1, "card.hostLink.up", p.HostLink.BytesPerSecond);
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
        BuildPath(src, dst, m.Bytes);
        CountSram(src, m.Bytes, _l2Read, _l1Read);
        CountSram(dst, m.Bytes, _l2Written, _l1Written);
        ulong now = Sim.Now;
        ulong start = now;
        for (int i = 0; i < _pathCount; i++)
        {
            int r = _pathResource[i];
            ulong f = _free[r];
            if (f > start && !IsDevice(r))
            {
                start = f;
            }
        }

        ulong longest = 0;
        for (int i = 0; i < _pathCount; i++)
        {
            int r = _pathResource[i];
            ulong bytes = _pathBytes[i];
            _bytes[r].Value += (long)bytes;
            if (IsDevice(r))
            {
                // The LPDDR4x model queues and times its own channels; busy time here is the transfer at its peak.
                _busy[r].Value += (long)(((UInt128)bytes * PsPerSecond + _dramPeak - 1) / _dramPeak);
                continue;
            }

            ulong t = (ulong)(((UInt128)bytes * PsPerSecond + _bw[r] - 1) / _bw[r]);
            _free[r] = start + t;
            _busy[r].Value += (long)t;
            if (t > longest)
            {
                longest = t;
            }
        }

        ulong end = start + longest;
        if (_dram is not null)
        {
            if (src.Space == MemSpace.Dram)
            {
                end = Math.Max(end, DeviceAccess(src, m.Bytes, isWrite: false, start));
            }

            if (dst.Space == MemSpace.Dram)
            {
                end = Math.Max(end, DeviceAccess(dst, m.Bytes, isWrite: true, start));
            }
        }

        if (_freeCount == 0)
        {
            throw new SimInvariantException($"{Name} @ {now} ps: more bursts in flight than credits allow");
        }

        int slot = _freeSlots[--_freeCount];
        _slotRequester[slot] = port.Tag;
        _slotResponse[slot] = new MemResponse(m.Bytes, m.Tag);
        Sim.Schedule(end + _pathLatency, Priorities.Message, this, (ulong)slot);
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

    private void Define(Simulator sim, int id, string name, ulong bytesPerSecond)
    {
        if (bytesPerSecond == 0)
        {
            throw new UserInputException($"{name}: bandwidth must be > 0 B/s");
        }

        _bw[id] = bytesPerSecond;
        _bytes[id] = sim.Stats.Counter(name + ".bytes", "B", "bytes moved through " + name);
        Counter busy = sim.Stats.Counter(name + ".busyTime", "ps", "time " + name + " was transferring");
        _busy[id] = busy;
        sim.Stats.Formula(name + ".utilization", "ratio", "busy time / elapsed time", () => sim.Now == 0 ? 0.0 : (double)busy.Value / sim.Now);
    }

    private bool IsDevice(int resource)
    {
        // The host link (the two resources after the chips') is never a DRAM device, although its index is a multiple
        // of the chip's resource count as a DRAM interface's is.
        if (_dram is null || resource >= _hostDown)
        {
            return false;
        }

        int inChip = resource % _perChip;
        return inChip < _p.Clusters * _perCluster && inChip % _perCluster == 0;
    }

    // Accesses of one interface reach its device in the order the fabric starts them (a FIFO in front of it).
    private ulong DeviceAccess(in MemRef m, uint bytes, bool isWrite, ulong start)
    {
        int index = (m.Chip * _p.Clusters) + m.Cluster;
        ulong at = Math.Max(start, _dramLast[index]);
        _dramLast[index] = at;
        return _dram![index].Access(at, m.Offset, bytes, isWrite);
    }

    private int ClusterBase(int chip, int cluster) => (chip * _perChip) + (cluster * _perCluster);

    private int DramId(int chip, int cluster) => ClusterBase(chip, cluster);

    private int L2Id(int chip, int cluster) => ClusterBase(chip, cluster) + 1;

    private int XbarId(int chip, int cluster) => L2Id(chip, cluster) + _p.L2.Banks;

    private int L1Id(int chip, int cluster, int spu) => XbarId(chip, cluster) + 1 + (spu * _p.L1.Banks);

    private int RingId(int chip, int cluster, bool clockwise) =>
        L1Id(chip, cluster, 0) + (_p.SpusPerCluster * _p.L1.Banks) + (clockwise ? 0 : 1);

    private int ChipLinkId(int chip, bool up) => (chip * _perChip) + (_p.Clusters * _perCluster) + (up ? 0 : 1);

    private void Add(int resource, ulong bytes)
    {
        for (int i = 0; i < _pathCount; i++)
        {
            if (_pathResource[i] == resource)
            {
                _pathBytes[i] += bytes;
                return;
            }
        }

        _pathResource[_pathCount] = resource;
        _pathBytes[_pathCount++] = bytes;
    }

    private void CountSram(in MemRef m, uint bytes, Counter[] l2, Counter[] l1)
    {
        if (m.Space == MemSpace.L2)
        {
            l2[(m.Chip * _p.Clusters) + m.Cluster].Value += bytes;
        }
        else if (m.Space == MemSpace.L1)
        {
            l1[(((m.Chip * _p.Clusters) + m.Cluster) * _p.SpusPerCluster) + m.Unit].Value += bytes;
        }
    }

    private void AddMemory(in MemRef m, ulong bytes)
    {
        switch (m.Space)
        {
            case MemSpace.Dram:
                Add(DramId(m.Chip, m.Cluster), bytes);
                _pathLatency += _p.Dram.LatencyPs;
                break;
            case MemSpace.L2:
                AddBanks(_p.L2, L2Id(m.Chip, m.Cluster), m.Offset, bytes);
                break;
            case MemSpace.L1:
                AddBanks(_p.L1, L1Id(m.Chip, m.Cluster, m.Unit), m.Offset, bytes);
                break;
            default:
                break; // host memory: the host link is the limit
        }
    }

    private void AddBanks(SramBanks sram, int first, ulong offset, ulong bytes)
    {
        Span<ulong> perBank = _bankBytes.AsSpan(0, sram.Banks);
        sram.BytesPerBank(offset, bytes, perBank);
        for (int b = 0; b < sram.Banks; b++)
        {
            if (perBank[b] > 0)
            {
                Add(first + b, perBank[b]);
            }
        }

        _pathLatency += sram.LatencyPs;
    }

    private void AddLink(int resource, ulong bytes, ulong latencyPs)
    {
        Add(resource, bytes);
        _pathLatency += latencyPs;
    }

    // Path: source memory, crossbar port(s) of L1 ends, ring links or PCIe links, destination memory.
    private void BuildPath(in MemRef src, in MemRef dst, ulong bytes)
    {
        _pathCount = 0;
        _pathLatency = 0;
        AddMemory(src, bytes);
        if (src.Space == MemSpace.L1)
        {
            AddLink(XbarId(src.Chip, src.Cluster), bytes, _p.Crossbar.LatencyPs);
        }

        if (dst.Space == MemSpace.L1 && !(src.Space == MemSpace.L1 && src.Chip == dst.Chip && src.Cluster == dst.Cluster))
        {
            AddLink(XbarId(dst.Chip, dst.Cluster), bytes, _p.Crossbar.LatencyPs);
        }

        if (src.Space == MemSpace.Host || dst.Space == MemSpace.Host)
        {
            if (src.Space != MemSpace.Host)
            {
                AddLink(ChipLinkId(src.Chip, up: true), bytes, _p.ChipLink.LatencyPs);
                AddLink(_hostDown + 1, bytes, _p.HostLink.LatencyPs);
            }
            else if (dst.Space != MemSpace.Host)
            {
                AddLink(_hostDown, bytes, _p.HostLink.LatencyPs);
                AddLink(ChipLinkId(dst.Chip, up: false), bytes, _p.ChipLink.LatencyPs);
            }
        }
        else if (src.Chip != dst.Chip)
        {
            AddLink(ChipLinkId(src.Chip, up: true), bytes, _p.ChipLink.LatencyPs);
            AddLink(ChipLinkId(dst.Chip, up: false), bytes, _p.ChipLink.LatencyPs);
        }
        else if (src.Cluster != dst.Cluster)
        {
            (int hops, bool clockwise) = RingTopology.Route(_p.Clusters, src.Cluster, dst.Cluster);
            int k = src.Cluster;
            for (int h = 0; h < hops; h++)
            {
                AddLink(RingId(src.Chip, k, clockwise), bytes, _p.RingLink.LatencyPs);
                k = (k + (clockwise ? 1 : _p.Clusters - 1)) % _p.Clusters;
            }
        }

        AddMemory(dst, bytes);
    }
}
