using Antoum.Isa;

namespace Antoum.Firmware.Compiler;

/// <summary>
/// Builds one engine's instruction stream: typed emitters, counted loops with their hidden targets filled in.
/// </summary>
/// <remarks>
/// Memory: a BERT-large program on S30 has about six million instructions, most of them DMA copies, waits and signals
/// that use two or three of the eight operand slots. Until <see cref="Finish"/> the builder keeps them in the ISA's
/// binary encoding (a header word plus the opcode's used slots, <see cref="Encoder"/>), in fixed-size chunks: no
/// list doubling, no 72-byte <see cref="Instruction"/> per entry while the whole program is being built. Finish decodes
/// into one exact-size array and drops the chunks (docs/performance.md, "Where the memory of a run goes").
/// </remarks>
internal sealed class StreamBuilder
{
    /// <summary>Words per chunk (512 KiB); an instruction never straddles two chunks.</summary>
    private const int ChunkWords = 1 << 16;

    private readonly Stack<(int Chunk, int Word, int Index)> _loops = new();
    private List<long[]>? _chunks = [new long[ChunkWords]];
    private int _used;
    private int _count;

    public StreamBuilder(EngineId engine)
    {
        Engine = engine;
    }

    public EngineId Engine { get; }

    /// <summary>Instructions emitted so far.</summary>
    public int Count => _count;

    public bool HasWork { get; set; }

    public int LoopDepth => _loops.Count;

    /// <summary>Functional compiles emit no loops (loop bodies would reuse their first iteration's addresses).</summary>
    public bool NoLoops { get; set; }

    public void Add(in Instruction i)
    {
        List<long[]> chunks = _chunks ?? throw new InvalidOperationException($"{Engine}: stream already finished");
        int n = OpcodeTable.Get(i.Op).SlotCount;
        if (_used + 1 + n > ChunkWords)
        {
            chunks.Add(new long[ChunkWords]);
            _used = 0;
        }

        long[] c = chunks[^1];
        c[_used] = (long)i.Op | ((long)n << 8);
        for (int s = 0; s < n; s++)
        {
            c[_used + 1 + s] = i[s];
        }

        // Slots past the opcode's last used one must be zero (Finish validates what it decodes).
        for (int s = n; s < Instruction.SlotCount; s++)
        {
            if (i[s] != 0)
            {
                throw new InvalidOperationException($"{Engine}: {i.Op} has a value in slot {(char)('A' + s)}, which the opcode does not use");
            }
        }

        _used += 1 + n;
        _count++;
    }

    public void Loop(long count)
    {
        if (_loops.Count >= IsaLimits.MaxLoopDepth)
        {
            throw new InvalidOperationException("loop nesting too deep");
        }

        Add(new Instruction(Opcode.Loop, count, 0, 0, 0, 0, 0, 0, 0));
        int words = 1 + OpcodeTable.Get(Opcode.Loop).SlotCount;
        _loops.Push((_chunks!.Count - 1, _used - words, _count - 1));
    }

    public void EndLoop()
    {
        (int chunk, int word, int start) = _loops.Pop();
        _chunks![chunk][word + 2] = _count; // slot B of the loop: the index of its endloop
        Add(new Instruction(Opcode.EndLoop, start, 0, 0, 0, 0, 0, 0, 0));
    }

    /// <summary>Tokens of <see cref="Signal"/> and <see cref="Wait"/> are cluster-local (<c>c:tN</c>) rather than chip-scoped.</summary>
    public bool ClusterTokens { get; init; }

    /// <summary>Signals a token between engines of this stream's cluster (cluster-local when <see cref="ClusterTokens"/>).</summary>
    public void Signal(int token) => Add(new Instruction(Opcode.Signal, new TokenRef(token, false) { Cluster = ClusterTokens }.Pack(), 0, 0, 0, 0, 0, 0, 0));

    /// <summary>Waits on a token between engines of this stream's cluster (cluster-local when <see cref="ClusterTokens"/>).</summary>
    public void Wait(int token, int count = 1) => Add(new Instruction(Opcode.Wait, new TokenRef(token, false) { Cluster = ClusterTokens }.Pack(), count, 0, 0, 0, 0, 0, 0));

    /// <summary>Signals a chip-scoped token (kept by the card's sync unit).</summary>
    public void SignalChip(int token) => Add(new Instruction(Opcode.Signal, new TokenRef(token, false).Pack(), 0, 0, 0, 0, 0, 0, 0));

    /// <summary>Waits on a chip-scoped token (kept by the card's sync unit).</summary>
    public void WaitChip(int token, int count = 1) => Add(new Instruction(Opcode.Wait, new TokenRef(token, false).Pack(), count, 0, 0, 0, 0, 0, 0));

    /// <summary>Signals card-wide (global) token <paramref name="token"/>.</summary>
    public void SignalGlobal(int token) => Add(new Instruction(Opcode.Signal, new TokenRef(token, true).Pack(), 0, 0, 0, 0, 0, 0, 0));

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

    /// <summary>Implicit-GEMM convolution over the input window in L1 (<see cref="ConvGeometry"/>; ROWS 0 is the whole image).</summary>
    public void Conv(ConvGeometry g, MemRef input, MemRef weights, MemRef output, Precision prec, SpuFlags flags)
    {
        Add(new Instruction(Opcode.Conv, g.PackA(), g.PackB(), input.Pack(), weights.Pack(), output.Pack(), g.PackF(), 0, ((long)prec << 48) | flags.Pack()));
    }

    /// <summary>
    /// Elementwise op over <paramref name="rows"/> rows of <paramref name="elems"/> elements (0 or 1: one row). SRC1:
    /// per element, or with <paramref name="bcast"/> one scalar per row, or with <paramref name="rowVector"/> one row
    /// shared by every row.
    /// </summary>
    public void Vop(VpuOp op, MemRef dst, MemRef src0, MemRef src1, long elems, Precision prec, bool bcast = false, long rows = 0, bool rowVector = false)
    {
        long form = bcast ? 1 : rowVector ? 2 : 0;
        Add(new Instruction(Opcode.Vop, (long)op, dst.Pack(), src0.Pack(), src1.Pack(), elems, (long)prec | (form << 8) | (rows << 16), 0, 0));
    }

    /// <summary>Reduction of each of <paramref name="rows"/> rows of <paramref name="elems"/> elements (0 or 1: one row) to one result per row.</summary>
    public void Vreduce(ReduceOp op, MemRef dst, MemRef src, long elems, Precision prec, long rows = 0)
    {
        Add(new Instruction(Opcode.Vreduce, (long)op, dst.Pack(), src.Pack(), elems, (long)prec | (rows << 16), 0, 0, 0));
    }

    public void Gather(MemRef dst, MemRef src, MemRef idx, long nnz, Precision prec)
    {
        Add(new Instruction(Opcode.Gather, dst.Pack(), src.Pack(), idx.Pack(), nnz, (long)prec, 0, 0, 0));
    }

    public void Sfa(SfaFunc func, MemRef dst, MemRef src, long elems, Precision prec)
    {
        Add(new Instruction(Opcode.Sfa, (long)func, dst.Pack(), src.Pack(), elems, (long)prec, 0, 0, 0));
    }

    /// <summary>
    /// Appends the final end, decodes the stream into one exact-size array, checks every instruction against the
    /// opcode table (a compiler bug otherwise) and releases the builder's storage.
    /// </summary>
    public EngineStream Finish()
    {
        if (_loops.Count != 0)
        {
            throw new InvalidOperationException($"{Engine}: unclosed loop");
        }

        Add(new Instruction(Opcode.End));
        List<long[]> chunks = _chunks!;
        _chunks = null;
        var code = new Instruction[_count];
        Span<long> slots = stackalloc long[Instruction.SlotCount];
        int at = 0;
        for (int ci = 0; ci < chunks.Count; ci++)
        {
            long[] c = chunks[ci];
            int end = ci == chunks.Count - 1 ? _used : c.Length;
            int w = 0;
            while (w < end && at < code.Length)
            {
                long header = c[w];
                if (header == 0)
                {
                    break; // the unused tail of a chunk (no instruction encodes to a zero header)
                }

                int n = (int)(header >> 8);
                slots.Clear();
                for (int s = 0; s < n; s++)
                {
                    slots[s] = c[w + 1 + s];
                }

                code[at++] = Instruction.FromSlots((Opcode)(byte)header, slots);
                w += 1 + n;
            }

            chunks[ci] = null!;
        }

        foreach (Instruction i in code)
        {
            string? error = OpcodeTable.Get(i.Op).Validate(i, Engine);
            if (error is not null)
            {
                throw new InvalidOperationException($"compiler emitted an invalid instruction on {Engine}: {Disassembler.Format(i)}: {error}");
            }
        }

        return new EngineStream(Engine, code);
    }
}
