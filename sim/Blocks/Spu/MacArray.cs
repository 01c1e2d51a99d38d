using Antoum.Sim.Config;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Spu;

/// <summary>Parameters of the MAC array (from <c>chip.spu</c> and <c>chip.l1</c>).</summary>
public sealed record MacArrayParams(SpuModelParams Spu, int CommandSlots, ulong L1CapacityBytes)
{
    public int Rows => Spu.Rows;

    public int Cols => Spu.Cols;
}

/// <summary>
/// SPU running tiles of the built-in GEMM workloads: an R×C MAC array with an L1 landing buffer, each chunk timed by
/// <see cref="SpuTiming.Gemm"/> (dense INT8, the configured dataflow).
/// <para>Ports: <c>cmd</c> (in, TileCommand from the control CPU; its credits are the command slots, i.e. double
/// buffering), <c>memReq</c> (out, to the cluster DRAM), <c>memResp</c> (in, operand data), <c>done</c> (out,
/// TileDone to the control CPU).</para>
/// <para>Parameters: rows, cols, pipeline latency (cycles), command slots, L1 capacity (each slot holds one
/// chunk's operands; the compiler side guarantees slots × operand bytes ≤ L1).</para>
/// <para>Statistics: <c>busyCycles</c>, <c>macs</c> (useful), <c>issuedMacs</c> (R·C per compute cycle),
/// <c>chunks</c>, <c>tiles</c>, <c>stallTime</c> (data not ready while work waits), <c>utilization</c>.</para>
/// <para>Timing: a chunk (tile rows × tile cols × depth) takes the SCALE-Sim fold time of its GEMM for the configured
/// dataflow (folds × (2·R + C + T − 2), ISPASS 2020) plus the pipeline latency, starting at the first clock edge
/// after its operands have landed and the array is free. Fetches for later commands overlap the current chunk.</para>
/// </summary>
public sealed class MacArray : SimComponent, IReceiver<TileCommand>, IReceiver<MemResponse>, IRetryable
{
    private readonly MacArrayParams _p;
    private readonly ClockDomain _clock;
    private readonly InPort<TileCommand> _cmd;
    private readonly OutPort<MemRequest> _memReq;
    private readonly InPort<MemResponse> _memResp;
    private readonly OutPort<TileDone> _done;
    private readonly SimTimer _computeDone;

    // Command slots (ring): command, fetch issued, data landed.
    private readonly TileCommand[] _slots;
    private readonly bool[] _fetched;
    private readonly bool[] _landed;
    private readonly ulong[] _fetchIssued;
    private readonly Histogram _fetchLatency;
    private int _head;
    private int _count;
    private bool _computing;

    // Outgoing requests waiting for a credit (reads and result writes), in order.
    private readonly MemRequest[] _outReq;
    private int _outReqHead;
    private int _outReqCount;
    private readonly TileDone[] _outDone;
    private int _outDoneHead;
    private int _outDoneCount;
    private ulong _stallSincePs = ulong.MaxValue;

    private readonly Counter _busyCycles;
    private readonly Counter _macs;
    private readonly Counter _chunks;
    private readonly Counter _tiles;
    private readonly Counter _stallPs;
    private readonly Counter _bytesIn;
    private readonly Counter _issued;
    private readonly Counter _issuedInt8;

    public MacArray(Simulator sim, string name, ClockDomain clock, MacArrayParams p)
        : base(sim, name)
    {
        if (p.Rows <= 0 || p.Cols <= 0 || p.CommandSlots <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(p), "MAC array needs rows, cols and command slots > 0");
        }

        _p = p;
        _clock = clock;
        _cmd = AddInPort<TileCommand>("cmd", this);
        _memReq = AddOutPort<MemRequest>("memReq");
        _memReq.RetryTarget = this;
        _memResp = AddInPort<MemResponse>("memResp", this);
        _done = AddOutPort<TileDone>("done");
        _done.RetryTarget = this;
        _computeDone = new SimTimer(sim, OnComputeDone);
        _slots = new TileCommand[p.CommandSlots];
        _fetched = new bool[p.CommandSlots];
        _landed = new bool[p.CommandSlots];
        _outReq = new MemRequest[2 * p.CommandSlots];
        _outDone = new TileDone[p.CommandSlots];

        _busyCycles = sim.Stats.Counter(name + ".busyCycles", "cycles", "cycles the MAC array computed");
        _macs = sim.Stats.Counter(name + ".macs", "MAC", "useful multiply-accumulates");
        _chunks = sim.Stats.Counter(name + ".chunks", "count", "K-chunks computed");
        _tiles = sim.Stats.Counter(name + ".tiles", "count", "output tiles completed");
        _stallPs = sim.Stats.Counter(name + ".stallTime", "ps", "time with work queued but operands not landed and the array idle");
        _bytesIn = sim.Stats.Counter(name + ".operandBytes", "B", "operand bytes landed in L1");
        _fetchIssued = new ulong[p.CommandSlots];
        _fetchLatency = sim.Stats.Histogram(name + ".fetchLatency", "ps", "time from asking for a chunk's operands to their landing in L1", 100_000, 20);
        _issued = sim.Stats.Counter(name + ".issuedMacs", "MAC", "MAC slots spent (rows × cols × compute cycles)");
        _issuedInt8 = sim.Stats.Counter(name + ".issuedMacsInt8", "MAC", "MAC slots spent on INT8 operations (the GEMM stream is INT8)");
        sim.Stats.Block(new BlockActivity(name, "spu", clock.FrequencyHz, () => clock.EdgeTime((ulong)_busyCycles.Value),
            () => (ulong)_stallPs.Value, () => _bytesIn.Value, () => 0));
        sim.Stats.Formula(name + ".utilization", "ratio", "useful MACs / (rows × cols × elapsed cycles)", () =>
        {
            ulong cycles = _clock.CycleAtOrBefore(sim.Now);
            return cycles == 0 ? 0.0 : (double)_macs.Value / ((double)_p.Rows * _p.Cols * cycles);
        });
    }


    /// <summary>MAC units in the array.</summary>
    public int MacUnits => _p.Rows * _p.Cols;

    /// <summary>Cost of one chunk: a dense INT8 GEMM of tile rows × tile cols × depth.</summary>
    public static SpuCost ChunkCost(in SpuModelParams spu, int rows, int cols, int depth)
    {
        return SpuTiming.Gemm(spu, new GemmShape(rows, cols, depth), Isa.Precision.Int8, Isa.SparseFormat.Dense, 1);
    }

    void IReceiver<TileCommand>.Receive(InPort<TileCommand> port, in TileCommand message)
    {
        if (_count == _slots.Length)
        {
            throw new SimInvariantException($"{Name} @ {Sim.Now} ps: command arrived with every slot full (credit protocol broken)");
        }

        int slot = (_head + _count) % _slots.Length;
        _slots[slot] = message;
        _fetched[slot] = false;
        _landed[slot] = false;
        _count++;
        IssueFetches();
        UpdateStall();
    }

    void IReceiver<MemResponse>.Receive(InPort<MemResponse> port, in MemResponse message)
    {
        _landed[message.Tag] = true;
        _fetchLatency.Record((long)(Sim.Now - _fetchIssued[message.Tag]));
        _bytesIn.Value += message.Bytes;
        port.Release();
        TryCompute();
        UpdateStall();
    }

    void IRetryable.OnRetry(IPort port)
    {
        DrainOutgoing();
    }

    public override void Finish()
    {
        UpdateStall();
        if (_stallSincePs != ulong.MaxValue)
        {
            _stallPs.Value += (long)(Sim.Now - _stallSincePs);
            _stallSincePs = Sim.Now;
        }
    }

    private void IssueFetches()
    {
        for (int i = 0; i < _count; i++)
        {
            int slot = (_head + i) % _slots.Length;
            if (!_fetched[slot])
            {
                _fetched[slot] = true;
                _fetchIssued[slot] = Sim.Now;
                EnqueueRequest(new MemRequest(false, _slots[slot].OperandBytes, slot));
            }
        }

        DrainOutgoing();
    }

    private void EnqueueRequest(in MemRequest request)
    {
        if (_outReqCount == _outReq.Length)
        {
            throw new SimInvariantException($"{Name} @ {Sim.Now} ps: outgoing request queue overflow");
        }

        _outReq[(_outReqHead + _outReqCount) % _outReq.Length] = request;
        _outReqCount++;
    }

    private void DrainOutgoing()
    {
        while (_outReqCount > 0 && _memReq.TrySend(_outReq[_outReqHead], 16))
        {
            _outReqHead = (_outReqHead + 1) % _outReq.Length;
            _outReqCount--;
        }

        while (_outDoneCount > 0 && _done.TrySend(_outDone[_outDoneHead], 8))
        {
            _outDoneHead = (_outDoneHead + 1) % _outDone.Length;
            _outDoneCount--;
        }
    }

    /// <summary>Compute and stall spans for trace.json (matmul per chunk, wait while operands are not ready); null records nothing.</summary>
    public Reporting.TraceTrack? Trace { get; set; }

    // The open stall's trace span was already written (compute started before the stall bookkeeping closed it).
    private bool _stallSpanWritten;

    private void TryCompute()
    {
        if (_computing || _count == 0 || !_landed[_head])
        {
            return;
        }

        ref readonly TileCommand c = ref _slots[_head];
        ulong startCycle = _clock.CycleAtOrAfter(Sim.Now);
        SpuCost cost = ChunkCost(_p.Spu, c.Rows, c.Cols, c.Depth);
        ulong cycles = (ulong)cost.Cycles;
        _computing = true;
        _busyCycles.Value += cost.Cycles;
        _issued.Value += cost.IssuedMacs;
        _issuedInt8.Value += cost.IssuedMacs;
        _macs.Value += cost.UsefulMacs;
        _computeDone.Schedule(_clock.EdgeTime(startCycle + cycles));
        if (Trace is not null && _stallSincePs != ulong.MaxValue && !_stallSpanWritten && Sim.Now > _stallSincePs)
        {
            Trace.Add(_stallSincePs, Sim.Now, Antoum.Isa.Opcode.Wait);
            _stallSpanWritten = true;
        }

        Trace?.Add(_clock.EdgeTime(startCycle), _clock.EdgeTime(startCycle + cycles), Antoum.Isa.Opcode.Matmul);
    }

    private void OnComputeDone()
    {
        TileCommand c = _slots[_head];
        _computing = false;
        _chunks.Value++;
        _head = (_head + 1) % _slots.Length;
        _count--;
        _cmd.Release();
        if (c.LastChunk)
        {
            _tiles.Value++;
            EnqueueRequest(new MemRequest(true, c.ResultBytes, -1));
            if (_outDoneCount == _outDone.Length)
            {
                throw new SimInvariantException($"{Name} @ {Sim.Now} ps: completion queue overflow");
            }

            _outDone[(_outDoneHead + _outDoneCount) % _outDone.Length] = new TileDone(c.Layer, c.Tile);
            _outDoneCount++;
        }

        DrainOutgoing();
        TryCompute();
        UpdateStall();
    }

    // Stall = commands are queued, the array is idle and the head command's operands have not landed.
    private void UpdateStall()
    {
        bool stalled = !_computing && _count > 0 && !_landed[_head];
        if (stalled && _stallSincePs == ulong.MaxValue)
        {
            _stallSincePs = Sim.Now;
        }
        else if (!stalled && _stallSincePs != ulong.MaxValue)
        {
            _stallPs.Value += (long)(Sim.Now - _stallSincePs);
            if (Sim.Now > _stallSincePs && !_stallSpanWritten)
            {
                Trace?.Add(_stallSincePs, Sim.Now, Antoum.Isa.Opcode.Wait);
            }

            _stallSpanWritten = false;
            _stallSincePs = ulong.MaxValue;
        }
    }
}
