using Antoum.Isa;

namespace Antoum.Firmware.Compiler;

/// <summary>Builds one engine's instruction stream: typed emitters, counted loops with their hidden targets filled in.</summary>
internal sealed class StreamBuilder
{
    private readonly List<Instruction> _code = [];
    private readonly Stack<int> _loops = new();

    public StreamBuilder(EngineId engine)
    {
        Engine = engine;
    }

    public EngineId Engine { get; }

    public int Count => _code.Count;

    public bool HasWork { get; set; }

    public int LoopDepth => _loops.Count;

    /// <summary>Functional compiles emit no loops (loop bodies would reuse their first iteration's addresses).</summary>
    public bool NoLoops { get; init; }

    public void Add(in Instruction i)
    {
        _code.Add(i);
    }

    public void Loop(long count)
    {
        if (_loops.Count >= IsaLimits.MaxLoopDepth)
        {
            throw new InvalidOperationException("loop nesting too deep");
        }

        _loops.Push(_code.Count);
        _code.Add(new Instruction(Opcode.Loop, count, 0, 0, 0, 0, 0, 0, 0));
    }

    public void EndLoop()
    {
        int start = _loops.Pop();
        int end = _code.Count;
        _code[start] = _code[start] with { B = end };
        _code.Add(new Instruction(Opcode.EndLoop, start, 0, 0, 0, 0, 0, 0, 0));
    }

    public void Signal(int token) => Add(new Instruction(Opcode.Signal, new TokenRef(token, false).Pack(), 0, 0, 0, 0, 0, 0, 0));

    public void Wait(int token, int count = 1) => Add(new Instruction(Opcode.Wait, new TokenRef(token, false).Pack(), count, 0, 0, 0, 0, 0, 0));

    public void Barrier(int id, int participants) => Add(new Instruction(Opcode.Barrier, id, participants, 0, 0, 0, 0, 0, 0));

    public void Launch(EngineId e) => Add(new Instruction(Opcode.Launch, e.Pack(), 0, 0, 0, 0, 0, 0, 0));

    public void Copy(MemRef dst, MemRef src, long bytes) => Add(new Instruction(Opcode.Copy, dst.Pack(), src.Pack(), bytes, 0, 0, 0, 0, 0));

    public void Copy2d(MemRef dst, MemRef src, long rows, long rowBytes, long dstStride, long srcStride)
    {
        Add(new Instruction(Opcode.Copy2d, dst.Pack(), src.Pack(), rows, rowBytes, dstStride, srcStride, 0, 0));
    }

    public void Matmul(long m, long n, long k, MemRef a, MemRef b, MemRef c, Precision prec, SpuFlags flags)
    {
        Add(new Instruction(Opcode.Matmul, m, n, k, a.Pack(), b.Pack(), c.Pack(), 0, ((long)prec << 48) | flags.Pack()));
    }

    public void Vop(VpuOp op, MemRef dst, MemRef src0, MemRef src1, long elems, Precision prec, bool bcast = false)
    {
        Add(new Instruction(Opcode.Vop, (long)op, dst.Pack(), src0.Pack(), src1.Pack(), elems, (long)prec | (bcast ? 1L << 8 : 0), 0, 0));
    }

    public void Vreduce(ReduceOp op, MemRef dst, MemRef src, long elems, Precision prec)
    {
        Add(new Instruction(Opcode.Vreduce, (long)op, dst.Pack(), src.Pack(), elems, (long)prec, 0, 0, 0));
    }

    public void Gather(MemRef dst, MemRef src, MemRef idx, long nnz, Precision prec)
    {
        Add(new Instruction(Opcode.Gather, dst.Pack(), src.Pack(), idx.Pack(), nnz, (long)prec, 0, 0, 0));
    }

    public void Sfa(SfaFunc func, MemRef dst, MemRef src, long elems, Precision prec)
    {
        Add(new Instruction(Opcode.Sfa, (long)func, dst.Pack(), src.Pack(), elems, (long)prec, 0, 0, 0));
    }

    /// <summary>Appends the final end and checks every instruction against the opcode table (a compiler bug otherwise).</summary>
    public EngineStream Finish()
    {
        if (_loops.Count != 0)
        {
            throw new InvalidOperationException($"{Engine}: unclosed loop");
        }

        _code.Add(new Instruction(Opcode.End));
        foreach (Instruction i in _code)
        {
            string? error = OpcodeTable.Get(i.Op).Validate(i, Engine);
            if (error is not null)
            {
                throw new InvalidOperationException($"compiler emitted an invalid instruction on {Engine}: {Disassembler.Format(i)}: {error}");
            }
        }

        return new EngineStream(Engine, [.. _code]);
    }
}
