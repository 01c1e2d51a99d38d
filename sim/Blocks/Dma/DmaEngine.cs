using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Dma;

/// <summary>Descriptor handling of a DMA engine.</summary>
public sealed record DmaParams(ulong BurstBytes, int MaxOutstanding, int SetupCycles);

/// <summary>
/// DMA engine (one per DMA channel of a cluster, <c>chip.dma.channels</c> of them, engine ids <c>dma.K.C</c>; the
/// control CPU uses the same machinery for host transfers). Each channel has its own in-order descriptor queue and
/// its own outstanding-burst credits; the channels of a cluster share the cluster's crossbar port, L2 banks and DRAM
/// interface, which the memory fabric models as shared resources (the request link only carries descriptors).
/// It executes
/// <c>copy</c>, <c>copy2d</c> and <c>copy3d</c>. A descriptor is decoded for <c>setupCycles</c>, then each row
/// is split into bursts of at most <c>burstSize</c> bytes, issued in order to the memory fabric with at most
/// <c>maxOutstanding</c> in flight; the instruction completes when the last burst has landed.
/// <para>Ports: <c>mem</c> (out, MemCopy to the fabric; its credits are the outstanding limit), <c>memDone</c>
/// (in, MemResponse), plus the sync ports of <see cref="EngineCore"/>.</para>
/// <para>Statistics: those of <see cref="EngineCore"/> plus <c>bytes</c> and <c>bursts</c>.</para>
/// </summary>
public sealed class DmaEngine : EngineCore, IReceiver<MemResponse>
{
    private readonly DmaParams _p;
    private readonly OutPort<MemCopy> _mem;
    private readonly InPort<MemResponse> _memDone;
    private readonly SimTimer _setupTimer;
    private readonly Counter _bytes;
    private readonly Counter _bursts;
    private readonly Func<long, long> _resolve;

    // The descriptor being executed.
    private MemRef _dst;
    private MemRef _src;
    private long _planes;
    private long _rows;
    private long _rowBytes;
    private long _dstStride;
    private long _srcStride;
    private long _planeStride;
    private long _plane;
    private long _row;
    private long _inRow;
    private int _outstanding;
    private bool _allIssued;
    private ulong _startPs;
    private int _tag;

    // resolve: turns a packed MemRef as written (with "local" parts) into a fully qualified one.
    public DmaEngine(Simulator sim, string name, EngineId id, int index, ClockDomain clock, DmaParams p, Func<long, long> resolve)
        : base(sim, name, id, index, clock)
    {
        _p = p;
        _resolve = resolve;
        _mem = AddOutPort<MemCopy>("mem");
        _mem.RetryTarget = this;
        _memDone = AddInPort<MemResponse>("memDone", this);
        _setupTimer = new SimTimer(sim, Issue);
        _bytes = sim.Stats.Counter(name + ".bytes", "B", "bytes moved");
        _bursts = sim.Stats.Counter(name + ".bursts", "count", "bursts issued");
    }

    public OutPort<MemCopy> MemPort => _mem;

    protected override long BytesIn => _bytes.Value;

    protected override long BytesOut => _bytes.Value;

    public InPort<MemResponse> MemDonePort => _memDone;

    protected override long Execute(in Instruction instruction)
    {
        ref readonly Instruction i = ref instruction;
        _dst = MemRef.Unpack(_resolve(i.A));
        _src = MemRef.Unpack(_resolve(i.B));
        switch (i.Op)
        {
            case Opcode.Copy:
                (_planes, _rows, _rowBytes, _dstStride, _srcStride, _planeStride) = (1, 1, i.C, 0, 0, 0);
                break;
            case Opcode.Copy2d:
                (_planes, _rows, _rowBytes, _dstStride, _srcStride, _planeStride) = (1, i.C, i.D, i.E, i.F, 0);
                break;
            case Opcode.Copy3d:
                (_planes, _rows, _rowBytes, _dstStride, _srcStride, _planeStride) = (i.C, i.D, i.E, i.F, i.G, i.H);
                break;
            default:
                throw ProgramError("not a DMA instruction");
        }

        _plane = 0;
        _row = 0;
        _inRow = 0;
        _outstanding = 0;
        _allIssued = false;
        _startPs = Sim.Now;
        _setupTimer.Schedule(Clock.EdgeTime(Clock.CycleAtOrAfter(Sim.Now) + (ulong)_p.SetupCycles));
        return -1;
    }

    void IReceiver<MemResponse>.Receive(InPort<MemResponse> port, in MemResponse message)
    {
        port.Release();
        _outstanding--;
        if (_allIssued && _outstanding == 0)
        {
            // Functional mode: the data land when the last burst has.
            Data?.Copy(_dst, _src, _planes, _rows, _rowBytes, _dstStride, _srcStride, _planeStride);
            AddBusyCycles((long)Clock.CyclesCeil(Sim.Now - _startPs));
            OperationDone();
            return;
        }

        Issue();
    }

    protected override void OnOtherPortRetry(IPort port)
    {
        Issue();
    }

    private void Issue()
    {
        while (!_allIssued)
        {
            long len = Math.Min((long)_p.BurstBytes, _rowBytes - _inRow);
            long srcOff = (_plane * _planeStride) + (_row * _srcStride) + _inRow;
            long dstOff = (_plane * _planeStride) + (_row * _dstStride) + _inRow;
            var copy = new MemCopy(
                (_src with { Offset = _src.Offset + (ulong)srcOff }).Pack(),
                (_dst with { Offset = _dst.Offset + (ulong)dstOff }).Pack(),
                (uint)len,
                _tag++);
            if (!_mem.TrySend(copy, 16))
            {
                return;
            }

            _outstanding++;
            _bursts.Value++;
            _bytes.Value += len;
            _inRow += len;
            if (_inRow == _rowBytes)
            {
                _inRow = 0;
                if (++_row == _rows)
                {
                    _row = 0;
                    if (++_plane == _planes)
                    {
                        _allIssued = true;
                    }
                }
            }
        }
    }
}
