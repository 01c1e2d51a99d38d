using Antoum.Isa;

namespace Antoum.Sim.Reporting;

/// <summary>
/// The instruction spans of one engine for <c>trace.json</c>: work instructions (engine operations) and waits on
/// tokens or barriers, each from its start to its end. The engine records only when a track is attached (a null
/// check otherwise: no allocation per event when tracing is off). The track keeps at most <see cref="Capacity"/>
/// spans: when it is full, adjacent pairs are merged into one span (start of the first, end of the second, the
/// instruction counts added, the opcode kept when both agree and "mixed" otherwise) and from then on every
/// 2^merges consecutive instructions are grouped into one span the same way, so a long run ends with between half and
/// all of the capacity, every span holding the same number of instructions (the last one possibly fewer).
/// Spans never overlap because an engine runs one instruction at a time.
/// </summary>
public sealed class TraceTrack
{
    /// <summary>Opcode value stored for a merged span whose instructions differ.</summary>
    public const int Mixed = -1;

    private ulong[] _start = new ulong[64];
    private ulong[] _end = new ulong[64];
    private int[] _op = new int[64];
    private int[] _count = new int[64];
    private int _n;
    private ulong _openStart;
    private int _openOp;
    private bool _open;
    private ulong _groupStart;
    private ulong _groupEnd;
    private int _groupOp;
    private int _groupCount;

    public TraceTrack(string name, EngineId engine, int capacity)
    {
        Name = name;
        Engine = engine;
        Capacity = Math.Max(2, capacity & ~1);
    }

    public string Name { get; }

    public EngineId Engine { get; }

    /// <summary>Most spans kept.</summary>
    public int Capacity { get; }

    /// <summary>Spans kept.</summary>
    public int Count => _n;

    /// <summary>Instructions recorded (over all spans, merged or not).</summary>
    public long Instructions { get; private set; }

    /// <summary>How many times the spans were merged pairwise (each doubles the instructions per span).</summary>
    public int Merges { get; private set; }

    public ulong Start(int i) => _start[i];

    public ulong End(int i) => _end[i];

    /// <summary>Opcode of span i, or <see cref="Mixed"/>.</summary>
    public int Op(int i) => _op[i];

    /// <summary>Instructions in span i.</summary>
    public int InstructionCount(int i) => _count[i];

    /// <summary>A complete span.</summary>
    public void Add(ulong startPs, ulong endPs, Opcode op)
    {
        Instructions++;
        if (_groupCount == 0)
        {
            _groupStart = startPs;
            _groupOp = (int)op;
        }
        else if (_groupOp != (int)op)
        {
            _groupOp = Mixed;
        }

        _groupEnd = endPs;
        if (++_groupCount >= 1 << Math.Min(Merges, 30))
        {
            Push(final: false);
        }
    }

    /// <summary>Appends the instructions grouped so far (fewer than a full group at the end of a run) as one span.</summary>
    public void Flush() => Push(final: true);

    private void Push(bool final)
    {
        if (_groupCount == 0)
        {
            return;
        }

        if (_n == Capacity)
        {
            Merge();
            if (!final)
            {
                // The open group keeps growing to the new, doubled group size before it becomes a span.
                return;
            }
        }

        if (_n == _start.Length)
        {
            int size = Math.Min(Capacity, _n * 2);
            Array.Resize(ref _start, size);
            Array.Resize(ref _end, size);
            Array.Resize(ref _op, size);
            Array.Resize(ref _count, size);
        }

        _start[_n] = _groupStart;
        _end[_n] = _groupEnd;
        _op[_n] = _groupOp;
        _count[_n] = _groupCount;
        _n++;
        _groupCount = 0;
    }

    /// <summary>A span whose end is not known yet (an operation that waits for messages, a wait).</summary>
    public void Begin(ulong startPs, Opcode op)
    {
        _openStart = startPs;
        _openOp = (int)op;
        _open = true;
    }

    /// <summary>Ends the span begun last.</summary>
    public void End(ulong endPs)
    {
        if (_open)
        {
            _open = false;
            Add(_openStart, endPs, (Opcode)_openOp);
        }
    }

    private void Merge()
    {
        int half = _n / 2;
        for (int i = 0; i < half; i++)
        {
            int a = 2 * i, b = a + 1;
            _start[i] = _start[a];
            _end[i] = _end[b];
            _op[i] = _op[a] == _op[b] ? _op[a] : Mixed;
            _count[i] = _count[a] + _count[b];
        }

        _n = half;
        Merges++;
    }
}
