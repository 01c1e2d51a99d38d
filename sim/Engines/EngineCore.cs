using System.Globalization;
using Antoum.Isa;
using Antoum.Sim.Config;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Engines;

/// <summary>Where an engine is in its program.</summary>
public enum EngineState
{
    /// <summary>Has a stream but has not been launched yet.</summary>
    Idle,

    /// <summary>Executing (between instructions or inside one).</summary>
    Running,

    /// <summary>Blocked on a token or a barrier.</summary>
    Waiting,

    /// <summary>Reached the end of its stream.</summary>
    Finished,
}

/// <summary>
/// Executes one engine's instruction stream (the part every engine shares): control (nop, loop/endloop, end),
/// sync (signal, wait, barrier, launch: messages to the sync unit over a link), and hands every other opcode to
/// <see cref="Execute"/> of the concrete engine. An instruction starts at a clock edge; an operation of n cycles
/// ends at edge start + n; control and signal instructions take one cycle.
/// <para>Ports: <c>sync</c> (out, SyncRequest), <c>grant</c> (in, SyncGrant) to the card's sync unit;
/// <c>clusterSync</c> (out) and <c>clusterGrant</c> (in) to the cluster's sync unit, for <c>c:</c> tokens.</para>
/// <para>Statistics: <c>instructions</c>, <c>busyCycles</c> (inside engine operations), <c>waitTime</c> (ps
/// blocked on sync), <c>finishTime</c> (ps).</para>
/// </summary>
public abstract class EngineCore : SimComponent, IReceiver<SyncGrant>, IRetryable
{
    private const int MaxLoopDepth = 64;

    private readonly OutPort<SyncRequest> _sync;
    private readonly InPort<SyncGrant> _grant;
    private readonly OutPort<SyncRequest> _clusterSync;
    private readonly InPort<SyncGrant> _clusterGrant;
    private readonly SimTimer _stepTimer;
    private readonly SimTimer _startTimer;
    private readonly int[] _loopPc = new int[MaxLoopDepth];
    private readonly long[] _loopLeft = new long[MaxLoopDepth];
    private readonly SyncOutbox _syncOut;
    private readonly SyncOutbox _clusterSyncOut;
    private int _depth;
    private Instruction[] _code = [];

    // Optional attribution of time to segments of the stream (e.g. the layers a compiler emitted): _segmentOfPc[pc]
    // is the segment of instruction pc; _segmentStart only sizes the per-segment arrays.
    private int[] _segmentStart = [];
    private int[] _segmentOfPc = [];
    private int _segment = -1;
    private ulong[] _segmentFirstPs = [];
    private ulong[] _segmentLastPs = [];
    private long[] _segmentBusy = [];
    private ulong[] _segmentWaitPs = [];
    private ulong[] _segmentActivePs = [];
    private ulong _visitStart = ulong.MaxValue;
    private ulong _visitWorkEnd;
    private bool _lastWasWork;
    private bool _backToBack;
    private int _pc;
    private ulong _waitSince;
    private readonly Counter _instructions;
    private readonly Counter _busyCycles;
    private readonly Counter _waitPs;
    private readonly Counter _finishPs;

    protected EngineCore(Simulator sim, string name, EngineId id, int index, ClockDomain clock)
        : base(sim, name)
    {
        Id = id;
        Index = index;
        Clock = clock;
        _sync = AddOutPort<SyncRequest>("sync");
        _sync.RetryTarget = this;
        _grant = AddInPort<SyncGrant>("grant", this);
        _clusterSync = AddOutPort<SyncRequest>("clusterSync", required: false);
        _clusterSync.RetryTarget = this;
        _clusterGrant = AddInPort<SyncGrant>("clusterGrant", this, required: false);
        _syncOut = new SyncOutbox(_sync);
        _clusterSyncOut = new SyncOutbox(_clusterSync);
        _stepTimer = new SimTimer(sim, OnStepTimer);
        _startTimer = new SimTimer(sim, Step);
        _instructions = sim.Stats.Counter(name + ".instructions", "count", "instructions executed");
        _busyCycles = sim.Stats.Counter(name + ".busyCycles", "cycles", "cycles inside engine operations (not control or sync)");
        _waitPs = sim.Stats.Counter(name + ".waitTime", "ps", "time blocked on a token or barrier");
        _finishPs = sim.Stats.Counter(name + ".finishTime", "ps", "time the stream ended");
        Counter busy = _busyCycles;
        Counter wait = _waitPs;
        sim.Stats.Block(new BlockActivity(name, id.Kind.ToString().ToLowerInvariant(), clock.FrequencyHz,
            () => clock.EdgeTime((ulong)busy.Value), () => (ulong)wait.Value, () => BytesIn, () => BytesOut));
    }

    /// <summary>Instruction spans for trace.json; null (the default) records nothing.</summary>
    public Reporting.TraceTrack? Trace { get; set; }

    /// <summary>
    /// True while <see cref="Execute"/> runs for an operation that follows the engine's previous operation without a
    /// stall: only control instructions (nop, loop, endloop, signal, launch) and waits granted at once (their token
    /// count was already there, <see cref="SyncGrant.Immediate"/>) in between. False for the first operation, after a
    /// barrier, a pending operation or a wait that had to wait for a signal.
    /// </summary>
    protected bool IssuedBackToBack => _backToBack;

    /// <summary>Bytes the engine moved in (for blocks.csv); engines that move data override it.</summary>
    protected virtual long BytesIn => 0;

    /// <summary>Bytes the engine moved out (for blocks.csv).</summary>
    protected virtual long BytesOut => 0;

    /// <summary>
    /// Functional mode only: the card's memory contents. When set, engines also compute the data of every operation
    /// (docs/functional.md); timing does not depend on it. Null in timing mode.
    /// </summary>
    public Functional.FunctionalMemory? Data { get; set; }

    /// <summary>A memory operand of the executing instruction with its "local" parts resolved for this engine.</summary>
    protected MemRef Resolve(long packed) => Chip.ProgramChecks.Resolve(MemRef.Unpack(packed), Id);

    /// <summary>The engine this component executes for.</summary>
    public EngineId Id { get; }

    /// <summary>Index of the engine on the card (its sync port number).</summary>
    public int Index { get; }

    /// <summary>The clock the engine runs on.</summary>
    protected ClockDomain Clock { get; }

    public EngineState State { get; private set; } = EngineState.Finished;

    /// <summary>Index of the instruction being executed.</summary>
    public int Pc => _pc;

    /// <summary>Number of instructions in the stream.</summary>
    public int CodeLength => _code.Length;

    public OutPort<SyncRequest> SyncPort => _sync;

    public InPort<SyncGrant> GrantPort => _grant;

    /// <summary>Requests for cluster-local (<c>c:</c>) tokens, to the cluster's sync unit.</summary>
    public OutPort<SyncRequest> ClusterSyncPort => _clusterSync;

    public InPort<SyncGrant> ClusterGrantPort => _clusterGrant;

    /// <summary>Time the stream ended (valid when finished).</summary>
    public ulong FinishTimePs => (ulong)_finishPs.Value;

    /// <summary>
    /// Attributes the stream's time to segments: segment i starts at instruction <paramref name="startPcs"/>[i]
    /// (ascending, the first 0). Afterwards <see cref="SegmentTimes"/> gives each segment's first start, last end,
    /// busy cycles and wait time.
    /// </summary>
    public void SetSegments(int[] startPcs)
    {
        var map = new int[_code.Length];
        int seg = 0;
        for (int pc = 0; pc < map.Length; pc++)
        {
            while (seg + 1 < startPcs.Length && startPcs[seg + 1] <= pc)
            {
                seg++;
            }

            map[pc] = seg;
        }

        SetSegmentMap(map, startPcs.Length);
    }

    /// <summary>
    /// Attributes each instruction to a segment: <paramref name="segmentOfPc"/>[pc] is its segment, or -1 for "the
    /// segment of the instruction before it" (the first instructions default to segment 0). A segment may cover
    /// several separate ranges, e.g. a layer emitted once per micro-batch.
    /// </summary>
    /// <remarks>A map as long as the stream is taken over and filled in place (a BERT-large stream has a million instructions).</remarks>
    public void SetSegmentMap(int[] segmentOfPc, int segments)
    {
        ArgumentNullException.ThrowIfNull(segmentOfPc);
        _segmentOfPc = segmentOfPc.Length == _code.Length ? segmentOfPc : new int[_code.Length];
        int last = 0;
        for (int pc = 0; pc < _segmentOfPc.Length; pc++)
        {
            int seg = pc < segmentOfPc.Length ? segmentOfPc[pc] : -1;
            last = seg >= 0 ? seg : last;
            _segmentOfPc[pc] = last;
        }

        _segmentStart = new int[segments];
        _segmentFirstPs = new ulong[segments];
        Array.Fill(_segmentFirstPs, ulong.MaxValue);
        _segmentLastPs = new ulong[segments];
        _segmentBusy = new long[segments];
        _segmentWaitPs = new ulong[segments];
        _segmentActivePs = new ulong[segments];
    }

    /// <summary>
    /// Time the engine spent in a segment, summed over its visits (a stream that loops over its segments, e.g. one
    /// pass of the network per micro-batch, visits each several times): from the first working instruction of a
    /// visit to the end of the visit's last instruction.
    /// </summary>
    public ulong SegmentActivePs(int segment) => _segmentActivePs[segment];

    /// <summary>Per segment: first instruction start (ulong.MaxValue if never run), last instruction end, busy cycles, wait ps.</summary>
    public (ulong FirstPs, ulong LastPs, long BusyCycles, ulong WaitPs) SegmentTimes(int segment) =>
        (_segmentFirstPs[segment], _segmentLastPs[segment], _segmentBusy[segment], _segmentWaitPs[segment]);

    /// <summary>Number of segments set with <see cref="SetSegments"/>.</summary>
    public int SegmentCount => _segmentStart.Length;

    /// <summary>Loads the stream. An auto-started engine begins at <paramref name="startPs"/>; others wait for a launch.</summary>
    public void Load(Instruction[] code, bool autoStart, ulong startPs)
    {
        _backToBack = false;
        _code = code;
        _pc = 0;
        State = code.Length == 0 ? EngineState.Finished : EngineState.Idle;
        AutoStart = autoStart;
        StartPs = startPs;
    }

    private bool AutoStart { get; set; }

    private ulong StartPs { get; set; }

    public override void Setup()
    {
        if (State == EngineState.Idle && AutoStart)
        {
            State = EngineState.Running;
            _startTimer.Schedule(StartPs);
        }
    }

    void IReceiver<SyncGrant>.Receive(InPort<SyncGrant> port, in SyncGrant grant)
    {
        port.Release();
        if (grant.Kind == SyncKind.Launch)
        {
            if (State != EngineState.Idle)
            {
                throw new UserInputException(string.Create(CultureInfo.InvariantCulture,
                    $"program error: {Id} was launched a second time (or launched while it starts on its own) @ {Sim.Now} ps"));
            }

            State = EngineState.Running;
            _backToBack = false;
            Step();
            return;
        }

        if (State != EngineState.Waiting)
        {
            throw new SimInvariantException($"{Name} @ {Sim.Now} ps: sync grant while not waiting");
        }

        _waitPs.Value += (long)(Sim.Now - _waitSince);
        if (!(grant.Kind == SyncKind.Wait && grant.Immediate))
        {
            _backToBack = false;
        }

        Trace?.End(Sim.Now);
        if (_segment >= 0)
        {
            _segmentWaitPs[_segment] += Sim.Now - _waitSince;
            _segmentLastPs[_segment] = Sim.Now;
        }
        State = EngineState.Running;
        _pc++;
        Step();
    }

    void IRetryable.OnRetry(IPort port)
    {
        if (ReferenceEquals(port, _clusterSync))
        {
            _clusterSyncOut.Flush();
        }
        else if (ReferenceEquals(port, _sync))
        {
            _syncOut.Flush();
        }
        else
        {
            OnOtherPortRetry(port);
        }
    }

    /// <summary>A credit came back on one of the concrete engine's own output ports.</summary>
    protected virtual void OnOtherPortRetry(IPort port)
    {
    }

    /// <summary>
    /// Runs an engine operation. Returns its duration in cycles, or -1 when the engine will call
    /// <see cref="OperationDone"/> itself (operations that wait for messages, such as DMA bursts).
    /// </summary>
    protected abstract long Execute(in Instruction instruction);

    /// <summary>Ends a pending operation (one for which <see cref="Execute"/> returned -1).</summary>
    protected void OperationDone()
    {
        Trace?.End(Sim.Now);
        _pc++;
        Step();
    }

    /// <summary>Adds cycles spent inside a pending operation to the busy count.</summary>
    protected void AddBusyCycles(long cycles)
    {
        _busyCycles.Value += cycles;
        if (_segment >= 0)
        {
            _segmentBusy[_segment] += cycles;
            _segmentLastPs[_segment] = Sim.Now;
        }
    }

    /// <summary>A user error raised while executing: names the engine, the instruction and the time.</summary>
    protected UserInputException ProgramError(string problem)
    {
        return new UserInputException(string.Create(CultureInfo.InvariantCulture,
            $"program error in {Id} at instruction {_pc} ({OpcodeTable.Get(_code[_pc].Op).Mnemonic}) @ {Sim.Now} ps: {problem}"));
    }

    private void OnStepTimer()
    {
        _pc++;
        Step();
    }

    private void Step()
    {
        if (_segment >= 0)
        {
            // The previous instruction ended now.
            _segmentLastPs[_segment] = Sim.Now;
            if (_lastWasWork)
            {
                _visitWorkEnd = Sim.Now;
            }
        }

        if (_pc >= _code.Length)
        {
            EndStream(Sim.Now);
            return;
        }

        ref readonly Instruction inst = ref _code[_pc];
        if (_segmentStart.Length > 0)
        {
            // A segment's span starts at its first instruction that does work: waiting for a token or a barrier
            // (for data from an earlier segment) does not start it.
            _lastWasWork = inst.Op != Opcode.Wait && inst.Op != Opcode.Barrier;
            EnterSegment(stamp: _lastWasWork);
        }

        _instructions.Value++;
        long cycles;
        switch (inst.Op)
        {
            case Opcode.End:
                EndStream(Sim.Now);
                return;
            case Opcode.Nop:
                cycles = 1;
                break;
            case Opcode.Loop:
                if (_depth == MaxLoopDepth)
                {
                    throw ProgramError($"loops nested deeper than {MaxLoopDepth}");
                }

                _loopPc[_depth] = _pc;
                _loopLeft[_depth] = inst.A;
                _depth++;
                cycles = 1;
                break;
            case Opcode.EndLoop:
                if (_depth == 0)
                {
                    throw ProgramError("endloop without loop");
                }

                if (--_loopLeft[_depth - 1] > 0)
                {
                    _pc = _loopPc[_depth - 1];
                }
                else
                {
                    _depth--;
                }

                cycles = 1;
                break;
            case Opcode.Signal:
                TokenRef signalled = TokenRef.Unpack(inst.A);
                SendSync(new SyncRequest(SyncKind.Signal, signalled.Id, signalled.Global, 1), signalled.Cluster);
                cycles = 1;
                break;
            case Opcode.Launch:
                SendSync(new SyncRequest(SyncKind.Launch, LaunchTarget(inst), false, 0));
                cycles = 1;
                break;
            case Opcode.Wait:
                State = EngineState.Waiting;
                _waitSince = Sim.Now;
                Trace?.Begin(Sim.Now, inst.Op);
                TokenRef awaited = TokenRef.Unpack(inst.A);
                SendSync(new SyncRequest(SyncKind.Wait, awaited.Id, awaited.Global, (int)Math.Max(1, inst.B)), awaited.Cluster);
                return;
            case Opcode.Barrier:
                State = EngineState.Waiting;
                _waitSince = Sim.Now;
                Trace?.Begin(Sim.Now, inst.Op);
                SendSync(new SyncRequest(SyncKind.Barrier, (int)inst.A, true, (int)inst.B));
                return;
            default:
                Opcode op = inst.Op;
                cycles = Execute(inst);
                if (cycles < 0)
                {
                    _backToBack = false;
                    Trace?.Begin(Sim.Now, op);
                    return;
                }

                _backToBack = true;

                if (Trace is not null)
                {
                    ulong first = Clock.CycleAtOrAfter(Sim.Now);
                    Trace.Add(Clock.EdgeTime(first), Clock.EdgeTime(first + (ulong)cycles), op);
                }

                _busyCycles.Value += cycles;
                if (_segment >= 0)
                {
                    _segmentBusy[_segment] += cycles;
                }

                break;
        }

        ulong start = Clock.CycleAtOrAfter(Sim.Now);
        _stepTimer.Schedule(Clock.EdgeTime(start + (ulong)cycles));
    }

    /// <summary>Maps the engine named by a launch instruction to its card index (set by the program loader).</summary>
    internal Func<long, int>? LaunchResolver { get; set; }

    private int LaunchTarget(in Instruction inst)
    {
        if (LaunchResolver is null)
        {
            throw ProgramError("launch is not available on this engine");
        }

        return LaunchResolver(inst.A);
    }

    private void SendSync(in SyncRequest request, bool cluster = false)
    {
        if (cluster && !_clusterSync.IsBound)
        {
            throw ProgramError("a cluster-local token (c:) needs an engine of a cluster");
        }

        if (!(cluster ? _clusterSyncOut : _syncOut).Send(request))
        {
            throw new SimInvariantException($"{Name} @ {Sim.Now} ps: {(cluster ? "cluster sync" : "sync")} request queue overflow");
        }
    }

    // Sync requests to one sync unit, in order: sent at once while the link has credits, else held in a fixed ring
    // (no allocation) until the link's retry.
    private sealed class SyncOutbox(OutPort<SyncRequest> port)
    {
        private readonly SyncRequest[] _ring = new SyncRequest[64];
        private int _head;
        private int _count;

        /// <summary>Sends or queues <paramref name="request"/>; false when the ring is full.</summary>
        public bool Send(in SyncRequest request)
        {
            if (_count == 0 && port.TrySend(request, 8))
            {
                return true;
            }

            if (_count == _ring.Length)
            {
                return false;
            }

            _ring[(_head + _count) % _ring.Length] = request;
            _count++;
            return true;
        }

        public void Flush()
        {
            while (_count > 0 && port.TrySend(_ring[_head], 8))
            {
                _head = (_head + 1) % _ring.Length;
                _count--;
            }
        }
    }

    private void EnterSegment(bool stamp)
    {
        int lo = _segmentOfPc[_pc];
        if (lo != _segment)
        {
            CloseVisit();
            _segment = lo;
        }

        if (stamp && _visitStart == ulong.MaxValue)
        {
            _visitStart = Sim.Now;
        }

        if (stamp && _segmentFirstPs[lo] == ulong.MaxValue)
        {
            _segmentFirstPs[lo] = Sim.Now;
        }
    }

    // The visit to the current segment ends with the end of its last working instruction (waits at its tail, e.g.
    // for the next micro-batch's data, belong to nobody's working time).
    private void CloseVisit()
    {
        if (_segment >= 0 && _visitStart != ulong.MaxValue && _visitWorkEnd > _visitStart)
        {
            _segmentActivePs[_segment] += _visitWorkEnd - _visitStart;
        }

        _visitStart = ulong.MaxValue;
    }

    private void EndStream(ulong now)
    {
        if (_lastWasWork)
        {
            _visitWorkEnd = now;
        }

        CloseVisit();
        State = EngineState.Finished;
        _finishPs.Value = (long)now;
    }
}
