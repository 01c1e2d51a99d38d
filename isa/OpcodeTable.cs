using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;

namespace Antoum.Isa;

/// <summary>Opcode numbers. The high nibble is the instruction class.</summary>
public enum Opcode : byte
{
    Undefined = 0x00,
    Nop = 0x01,
    End = 0x02,
    Loop = 0x03,
    EndLoop = 0x04,
    Launch = 0x05,
    Signal = 0x10,
    Wait = 0x11,
    Barrier = 0x12,
    Copy = 0x20,
    Copy2d = 0x21,
    Copy3d = 0x22,
    Matmul = 0x30,
    Conv = 0x31,
    Vop = 0x40,
    Vreduce = 0x41,
    Gather = 0x42,
    Scatter = 0x43,
    Spaxpy = 0x44,
    Sfa = 0x50,
    Vdec = 0x60,
    Jdec = 0x61,
}

/// <summary>Everything the encoder, decoder, assembler, disassembler and docs know about one opcode.</summary>
public sealed class OpcodeInfo
{
    private readonly Func<Instruction, string?>? _check;
    private readonly Func<OperandInfo, Instruction, bool>? _keywordPresent;

    // Arrays behind the read-only views: Validate runs on every compiled instruction (millions for BERT-large), so it
    // loops over these without interface enumerators.
    private readonly OperandInfo[] _operands;
    private readonly EngineKind[] _engines;
    private readonly ulong[] _slotMasks;

    internal OpcodeInfo(Opcode op, string mnemonic, EngineKind[] engines, OperandInfo[] operands, string summary, string timing,
        Func<Instruction, string?>? check, Func<OperandInfo, Instruction, bool>? keywordPresent)
    {
        Op = op;
        Mnemonic = mnemonic;
        Engines = engines;
        Operands = operands;
        _engines = engines;
        _operands = operands;
        Summary = summary;
        Timing = timing;
        _check = check;
        _keywordPresent = keywordPresent;
        int slots = 0;
        var masks = new ulong[Instruction.SlotCount];
        foreach (OperandInfo o in operands)
        {
            slots = Math.Max(slots, o.Slot + 1);
            masks[o.Slot] |= o.SlotMask;
        }

        SlotCount = slots;
        SlotMasks = masks;
        _slotMasks = masks;
        Encoding = BuildEncoding();
    }

    public Opcode Op { get; }

    public string Mnemonic { get; }

    /// <summary>Engine kinds that may execute this opcode.</summary>
    public IReadOnlyList<EngineKind> Engines { get; }

    /// <summary>Operand fields in assembly-text order.</summary>
    public IReadOnlyList<OperandInfo> Operands { get; }

    /// <summary>Operand words after the header word (slots A.. up to the last used one).</summary>
    public int SlotCount { get; }

    /// <summary>Total encoded length in 64-bit words.</summary>
    public int WordCount => 1 + SlotCount;

    /// <summary>Bits of each slot that operands use; every other bit must be zero.</summary>
    public IReadOnlyList<ulong> SlotMasks { get; }

    /// <summary>Encoding pattern: header word, then one word per slot with its fields.</summary>
    public string Encoding { get; }

    public string Summary { get; }

    /// <summary>One-line timing rule (the latencies themselves come from configs/).</summary>
    public string Timing { get; }

    public bool AllowedOn(EngineKind kind)
    {
        return Array.IndexOf(_engines, kind) >= 0;
    }

    public OperandInfo Operand(string name)
    {
        foreach (OperandInfo o in Operands)
        {
            if (string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return o;
            }
        }

        throw new ArgumentException($"'{Mnemonic}' has no operand '{name}'", nameof(name));
    }

    public OperandInfo? FindOperand(string name)
    {
        foreach (OperandInfo o in Operands)
        {
            if (string.Equals(o.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return o;
            }
        }

        return null;
    }

    /// <summary>Whether keyword operand <paramref name="operand"/> is present in <paramref name="instruction"/>.</summary>
    public bool KeywordPresent(OperandInfo operand, in Instruction instruction)
    {
        return _keywordPresent is not null && _keywordPresent(operand, instruction);
    }

    /// <summary>
    /// Null when every field of <paramref name="instruction"/> is in range, unused bits are zero and the opcode's own
    /// cross-field rules hold; else what is wrong. With <paramref name="engine"/>, also checks engine-specific rules.
    /// </summary>
    public string? Validate(in Instruction instruction, EngineId? engine = null)
    {
        if (instruction.Op != Op)
        {
            return $"instruction is {instruction.Op}, table entry is {Op}";
        }

        for (int s = 0; s < Instruction.SlotCount; s++)
        {
            if (((ulong)instruction[s] & ~_slotMasks[s]) != 0)
            {
                return $"{Mnemonic}: slot {(char)('A' + s)} has bits set that no operand uses";
            }
        }

        foreach (OperandInfo o in _operands)
        {
            long v = o.Read(instruction);
            if (o.Presence == OperandPresence.Keyword && !KeywordPresent(o, instruction))
            {
                if (v != 0)
                {
                    return $"{Mnemonic}: {o.Name} is set but not enabled";
                }

                continue;
            }

            if (o.Check(v) is { } err)
            {
                return $"{Mnemonic}: {err}";
            }
        }

        if (_check?.Invoke(instruction) is { } cross)
        {
            return $"{Mnemonic}: {cross}";
        }

        return engine is { } e ? ValidateOn(instruction, e) : null;
    }

    private string? ValidateOn(in Instruction instruction, EngineId engine)
    {
        if (!AllowedOn(engine.Kind))
        {
            return $"{Mnemonic} is not allowed on {engine.Kind.ToString().ToLowerInvariant()} engines (allowed: {EngineList()})";
        }

        bool touchesHost = false;
        foreach (OperandInfo o in _operands)
        {
            if (o.Kind is OperandKind.Mem or OperandKind.Scalar && (o.Presence != OperandPresence.Keyword || KeywordPresent(o, instruction)))
            {
                long v = o.Read(instruction);
                if (o.Kind == OperandKind.Scalar && v < 0)
                {
                    continue;
                }

                MemRef m = MemRef.Unpack(v);
                touchesHost |= m.Space == MemSpace.Host;
                if (m.Space == MemSpace.L1 && m.Unit == MemRef.Local && engine.Kind != EngineKind.Spu)
                {
                    return $"{Mnemonic}: {o.Name}: only an SPU has its own l1; name the SPU as l1.S[..]";
                }
            }
        }

        if (engine.Kind == EngineKind.Cpu && Op is Opcode.Copy or Opcode.Copy2d or Opcode.Copy3d && !touchesHost)
        {
            return $"{Mnemonic} on the cpu must have host memory on one side";
        }

        return null;
    }

    public string EngineList()
    {
        return Engines.Count == 6 ? "all" : string.Join(", ", Engines.Select(k => k.ToString().ToLowerInvariant()));
    }

    /// <summary>Assembly syntax, e.g. "copy DST, SRC, BYTES".</summary>
    public string Syntax()
    {
        var sb = new StringBuilder(Mnemonic);
        bool first = true;
        foreach (OperandInfo o in Operands)
        {
            if (o.Presence == OperandPresence.Hidden)
            {
                continue;
            }

            sb.Append(first ? " " : ", ");
            first = false;
            string n = o.Name.ToUpperInvariant();
            sb.Append(o.Presence switch
            {
                OperandPresence.Optional => $"[{n}]",
                OperandPresence.Keyword => $"[{o.Name}={n}]",
                _ => n,
            });
        }

        return sb.ToString();
    }

    private string BuildEncoding()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"w0=0x{(int)Op:x2}|n={SlotCount}<<8");
        for (int s = 0; s < SlotCount; s++)
        {
            var parts = new List<string>();
            foreach (OperandInfo o in Operands)
            {
                if (o.Slot == s)
                {
                    parts.Add(o.Width == 64 ? o.Name : $"{o.Name}[{o.Shift + o.Width - 1}:{o.Shift}]");
                }
            }

            sb.Append(CultureInfo.InvariantCulture, $"; {(char)('A' + s)}={(parts.Count == 0 ? "0" : string.Join(" ", parts))}");
        }

        return sb.ToString();
    }
}

/// <summary>
/// The one opcode table: it drives <see cref="Encoder"/>, <see cref="Decoder"/>, <see cref="Assembler"/>,
/// <see cref="Disassembler"/> and the generated reference in docs/isa.md.
/// </summary>
public static class OpcodeTable
{
    private const long U32 = (1L << 32) - 1;
    private const long Bytes40 = 1L << 40;
    private const long Stride40 = (1L << 40) - 1;

    private static readonly EngineKind[] s_any = [EngineKind.Cpu, EngineKind.Dma, EngineKind.Spu, EngineKind.Vpu, EngineKind.Sfa, EngineKind.Codec];
    private static readonly EngineKind[] s_cpu = [EngineKind.Cpu];
    private static readonly EngineKind[] s_dmaCpu = [EngineKind.Cpu, EngineKind.Dma];
    private static readonly EngineKind[] s_spu = [EngineKind.Spu];
    private static readonly EngineKind[] s_vpu = [EngineKind.Vpu];
    private static readonly EngineKind[] s_sfa = [EngineKind.Sfa];
    private static readonly EngineKind[] s_codec = [EngineKind.Codec];

    private static readonly string[] s_precision = ["int8", "bf16"];
    private static readonly string[] s_vpuOps = ["add", "sub", "mul", "max", "min", "relu", "copy", "scale"];
    private static readonly string[] s_reduceOps = ["sum", "max", "min"];
    private static readonly string[] s_sfaFuncs = ["exp", "rsqrt", "recip", "gelu", "sigmoid", "tanh", "maxpool", "avgpool", "resize"];
    private static readonly string[] s_codecs = ["h264", "h265"];
    private static readonly string[] s_sampling = ["s420", "s422", "s444"];

    private static readonly OpcodeInfo?[] s_byOpcode = new OpcodeInfo?[256];
    private static readonly Dictionary<string, OpcodeInfo> s_byMnemonic = new(StringComparer.OrdinalIgnoreCase);
    private static readonly ReadOnlyCollection<OpcodeInfo> s_all = Build();

    public static IReadOnlyList<OpcodeInfo> All => s_all;

    /// <summary>The entry for <paramref name="op"/>; throws for Undefined or an unassigned number.</summary>
    public static OpcodeInfo Get(Opcode op)
    {
        return s_byOpcode[(byte)op] ?? throw new ArgumentException($"opcode 0x{(byte)op:x2} is not defined", nameof(op));
    }

    public static OpcodeInfo? TryGet(Opcode op)
    {
        return s_byOpcode[(byte)op];
    }

    public static OpcodeInfo? TryGet(string mnemonic)
    {
        return s_byMnemonic.GetValueOrDefault(mnemonic);
    }

    public static bool IsDefined(Opcode op)
    {
        return s_byOpcode[(byte)op] is not null;
    }

    private static ReadOnlyCollection<OpcodeInfo> Build()
    {
        var list = new List<OpcodeInfo>
        {
            // Control
            new(Opcode.Nop, "nop", s_any, [], "no operation", "1 cycle", null, null),
            new(Opcode.End, "end", s_any, [], "end of the stream; the engine goes idle", "0 cycles: the stream ends when the previous instruction completes", null, null),
            new(Opcode.Loop, "loop", s_any,
                [Count("count", 0, 1, U32, "iterations"), Target("endloop", 1, "index of the matching endloop")],
                "run the body up to the matching endloop COUNT times (nestable)", "1 cycle; the loop counter lives in the engine", null, null),
            new(Opcode.EndLoop, "endloop", s_any, [Target("loop", 0, "index of the matching loop")],
                "close the innermost loop; branch back while iterations remain", "1 cycle per iteration", null, null),
            new(Opcode.Launch, "launch", s_cpu, [Field("engine", OperandKind.Engine, 0, "engine whose stream starts")],
                "start ENGINE's stream (cpu only)", "1 cycle; the launch reaches the engine through the sync unit (2 x control.syncLatency)", null, null),

            // Sync
            new(Opcode.Signal, "signal", s_any, [Field("token", OperandKind.Token, 0, "counting token")],
                "add 1 to TOKEN once every earlier instruction of this stream completed", "1 cycle; the token is added control.syncLatency later at the sync unit (c: tokens: control.clusterSyncLatency, at the cluster's sync unit)", null, null),
            new(Opcode.Wait, "wait", s_any,
                [Field("token", OperandKind.Token, 0, "counting token"), Count("count", 1, 1, 65535, "amount to take", OperandPresence.Optional, 1)],
                "block until TOKEN holds at least COUNT, then take COUNT", "resumes 2 x control.syncLatency (c: tokens: 2 x control.clusterSyncLatency) after the request when satisfied, else that long after the satisfying signal reaches the sync unit", null, null),
            new(Opcode.Barrier, "barrier", s_any,
                [Count("id", 0, 0, IsaLimits.MaxBarriers - 1, "barrier id (card-wide)"), Count("participants", 1, 1, 256, "engines that must arrive")],
                "block until PARTICIPANTS engines reached barrier ID", "released control.syncLatency after the last arrival reaches the sync unit", null, null),

            // DMA
            new(Opcode.Copy, "copy", s_dmaCpu,
                [Field("dst", OperandKind.Mem, 0, "destination"), Field("src", OperandKind.Mem, 1, "source"), Count("bytes", 2, 1, Bytes40, "bytes")],
                "copy BYTES contiguous bytes", "dma.setupCycles, then bursts of dma.burstSize (dma.maxOutstanding in flight) through the memory fabric: each claims its path for bytes / bandwidth and lands after the path latencies", null, null),
            new(Opcode.Copy2d, "copy2d", s_dmaCpu,
                [Field("dst", OperandKind.Mem, 0, "destination"), Field("src", OperandKind.Mem, 1, "source"),
                 Count("rows", 2, 1, 1L << 24, "rows"), Count("rowbytes", 3, 1, U32, "bytes per row"),
                 Count("dststride", 4, 0, Stride40, "destination row pitch"), Count("srcstride", 5, 0, Stride40, "source row pitch")],
                "copy ROWS rows of ROWBYTES bytes with separate row pitches", "as copy, each row split into bursts", null, null),
            new(Opcode.Copy3d, "copy3d", s_dmaCpu,
                [Field("dst", OperandKind.Mem, 0, "destination"), Field("src", OperandKind.Mem, 1, "source"),
                 Count("planes", 2, 1, 65535, "planes"), Count("rows", 3, 1, 1L << 24, "rows per plane"), Count("rowbytes", 4, 1, U32, "bytes per row"),
                 Count("dststride", 5, 0, Stride40, "destination row pitch"), Count("srcstride", 6, 0, Stride40, "source row pitch"),
                 Count("planestride", 7, 0, Stride40, "plane pitch, applied to both sides")],
                "copy PLANES planes of ROWS rows; plane p starts at base + p*PLANESTRIDE on both sides", "as copy over PLANES*ROWS rows", null, null),

            // SPU
            new(Opcode.Matmul, "matmul", s_spu,
                [Count("m", 0, 1, 65535, "rows of A and C"), Count("n", 1, 1, 65535, "columns of B and C"), Count("k", 2, 1, 65536, "reduction length"),
                 Field("a", OperandKind.Mem, 3, "activations, M x K row-major"), Field("b", OperandKind.Mem, 4, "weights, K x N in FLAGS format"),
                 Field("c", OperandKind.Mem, 5, "output, M x N row-major"),
                 Enum("prec", 7, 48, 8, s_precision, "precision"), Flags("flags", 7), Keyword("bias", 6, "bias vector, N elements (FLAGS bias)")],
                "C (+)= A x B on the sparse MAC array", "SCALE-Sim folds for spu.dataflow (os: Sr=M Sc=N T=K'; ws: Sr=K' Sc=N T=M; is: Sr=K' Sc=M T=N): ceil(Sr/rows)*ceil(Sc/cols) x (F*rows + cols + T - 2 + format decode cycles), F = 1 for os (drain overlaps the next fold, as SCALE-Sim v2) and 2 for ws/is + spu.pipelineLatency; K' = K shrunk by the native sparsity step, format imbalance and activation skipping (docs/spu.md); x spu.bf16RateDivisor for bf16",
                CheckSpu, BiasPresent),
            new(Opcode.Conv, "conv", s_spu,
                [Packed("n", 0, 0, 16, 1, 65535, "batch"), Packed("h", 0, 16, 16, 1, 65535, "input height"), Packed("w", 0, 32, 16, 1, 65535, "input width"),
                 Packed("c", 0, 48, 16, 1, 65535, "input channels"), Packed("k", 1, 0, 16, 1, 65535, "output channels"),
                 Packed("r", 1, 16, 8, 1, 255, "filter height"), Packed("s", 1, 24, 8, 1, 255, "filter width"),
                 Packed("stride", 1, 32, 8, 1, 255, "stride (both axes)"), Packed("pad", 1, 40, 8, 0, 255, "zero padding (all sides)"),
                 Field("in", OperandKind.Mem, 2, "input, NHWC"), Field("wt", OperandKind.Mem, 3, "weights, RSCK in FLAGS format"),
                 Field("out", OperandKind.Mem, 4, "output, NPQK"),
                 Enum("prec", 7, 48, 8, s_precision, "precision"), Flags("flags", 7), Keyword("bias", 6, "bias vector, K elements (FLAGS bias)"),
                 new OperandInfo("rows", OperandKind.Count, 5, 0, 16, 0, 65535, null, OperandPresence.Optional, 0,
                     "output rows of a strip (0: all P rows of every sample); IN then holds per sample only the input rows the strip reads, clamped to the image"),
                 new OperandInfo("row0", OperandKind.Count, 5, 16, 16, 0, 65535, null, OperandPresence.Optional, 0,
                     "first output row of the strip (0 when ROWS is 0)")],
                "2-D convolution as implicit GEMM (M=N*ROWS*Q, N=K, K=R*S*C; ROWS=P unless a strip)", "as matmul on the implicit GEMM shape M=N*ROWS*Q (no im2col overhead)",
                CheckConv, BiasPresent),

            // VPU
            new(Opcode.Vop, "vop", s_vpu,
                [Enum("op", 0, 0, 64, s_vpuOps, "elementwise op"), Field("dst", OperandKind.Mem, 1, "destination, ROWS rows of ELEMS elements"),
                 Field("src0", OperandKind.Mem, 2, "first source, ROWS rows of ELEMS elements"),
                 Field("src1", OperandKind.Mem, 3, "second source (scalar for scale, one per row; ignored by relu, copy)"),
                 Count("elems", 4, 1, U32, "elements per row"), Enum("prec", 5, 0, 8, s_precision, "precision"),
                 new OperandInfo("bcast", OperandKind.Count, 5, 8, 2, 0, 2, null, OperandPresence.Optional, 0,
                     "SRC1 form: 0 elementwise (ROWS rows of ELEMS); 1 one scalar per row (ROWS scalars) broadcast over the row; 2 one row of ELEMS elements applied to every row"),
                 new OperandInfo("rows", OperandKind.Count, 5, 16, 32, 0, U32, null, OperandPresence.Optional, 0,
                     "rows, each of ELEMS contiguous elements (0 and 1: one row); the rows form of a per-row loop")],
                "elementwise DST = OP(SRC0, SRC1) over ROWS rows", "max(1, ROWS) x (ceil(ELEMS / G) * vpu.opCosts.OP + vpu.pipelineLatency) cycles, i.e. ROWS single-row vops; G = vpu.lanes (int8) or vpu.lanes / vpu.opCosts.bf16Factor (bf16)", null, null),
            new(Opcode.Vreduce, "vreduce", s_vpu,
                [Enum("op", 0, 0, 64, s_reduceOps, "reduction"), Field("dst", OperandKind.Mem, 1, "one result element per row"),
                 Field("src", OperandKind.Mem, 2, "source, ROWS rows of ELEMS elements"), Count("elems", 3, 1, U32, "elements per row"), Enum("prec", 4, 0, 8, s_precision, "precision"),
                 new OperandInfo("rows", OperandKind.Count, 4, 16, 32, 0, U32, null, OperandPresence.Optional, 0,
                     "rows, each of ELEMS contiguous elements (0 and 1: one row); the rows form of a per-row loop")],
                "DST[r] = OP over SRC[r*ELEMS .. (r+1)*ELEMS) for each row r < ROWS", "max(1, ROWS) x (ceil(ELEMS / G) * vpu.opCosts.(add for sum, max, min) + ceil(log2 G) + vpu.pipelineLatency) cycles, i.e. ROWS single-row vreduces; G as vop", null, null),
            new(Opcode.Gather, "gather", s_vpu,
                [Field("dst", OperandKind.Mem, 0, "dense destination"), Field("src", OperandKind.Mem, 1, "table"),
                 Field("idx", OperandKind.Mem, 2, "INT32 indices"), Count("nnz", 3, 1, U32, "indices"), Enum("prec", 4, 0, 64, s_precision, "precision")],
                "DST[i] = SRC[IDX[i]] for i < NNZ", "ceil(NNZ / vpu.gatherElementsPerCycle) + vpu.pipelineLatency cycles", null, null),
            new(Opcode.Scatter, "scatter", s_vpu,
                [Field("dst", OperandKind.Mem, 0, "table"), Field("src", OperandKind.Mem, 1, "dense source"),
                 Field("idx", OperandKind.Mem, 2, "INT32 indices"), Count("nnz", 3, 1, U32, "indices"), Enum("prec", 4, 0, 64, s_precision, "precision")],
                "DST[IDX[i]] = SRC[i] for i < NNZ (later i wins)", "ceil(NNZ / vpu.gatherElementsPerCycle) + vpu.pipelineLatency cycles", null, null),
            new(Opcode.Spaxpy, "spaxpy", s_vpu,
                [Field("u", OperandKind.Mem, 0, "sparse u: NNZU (index, value) pairs, updated in place"),
                 Field("r", OperandKind.Scalar, 1, "scalar r: memory or immediate"),
                 Field("v", OperandKind.Mem, 2, "sparse v: NNZV (index, value) pairs"),
                 Count("nnzu", 3, 0, U32, "pairs in u"), Count("nnzv", 4, 0, U32, "pairs in v"), Enum("prec", 5, 0, 64, s_precision, "precision")],
                "sparse u = u + r*v through the VPU scatter buffer", "ceil((NNZU + 2*NNZV) / G) * vpu.opCosts.mul + vpu.pipelineLatency cycles; G as vop", CheckScalar, null),

            // SFA
            new(Opcode.Sfa, "sfa", s_sfa,
                [Enum("func", 0, 0, 64, s_sfaFuncs, "function"), Field("dst", OperandKind.Mem, 1, "destination"),
                 Field("src", OperandKind.Mem, 2, "source"), Count("elems", 3, 1, U32, "output elements"), Enum("prec", 4, 0, 64, s_precision, "precision")],
                "DST = FUNC(SRC) on the special-function accelerator", "ceil(ELEMS / sfa.functions.FUNC.elementsPerCycle) + sfa.functions.FUNC.latency cycles", null, null),

            // Codec
            new(Opcode.Vdec, "vdec", s_codec,
                [Enum("codec", 0, 0, 64, s_codecs, "codec"), Field("dst", OperandKind.Mem, 1, "decoded NV12 frame"),
                 Count("width", 2, 16, 8192, "pixels"), Count("height", 3, 16, 8192, "pixels"), Count("bits", 4, 1, Bytes40, "compressed bits of the frame")],
                "decode one video frame", "codec.video.frameSetupCycles + max(ceil(BITS / codec.video.entropyBitsPerCycle), blocks x cycles per block): 16x16 macroblocks x h264CyclesPerMacroblock or 64x64 CTUs x h265CyclesPerCtu (docs/codec.md)", null, null),
            new(Opcode.Jdec, "jdec", s_codec,
                [Field("dst", OperandKind.Mem, 0, "decoded planar YUV"), Field("src", OperandKind.Mem, 1, "JPEG bitstream"),
                 Count("bytes", 2, 1, U32, "bitstream bytes"), Count("width", 3, 1, 65535, "pixels"), Count("height", 4, 1, 65535, "pixels"),
                 Enum("sampling", 5, 0, 64, s_sampling, "chroma sampling")],
                "decode one JPEG image", "codec.jpeg.imageSetupCycles + max(ceil(8 x BYTES / codec.jpeg.entropyBitsPerCycle), MCUs x (blocks x codec.jpeg.cyclesPerBlock + ceil(MCU pixels / codec.jpeg.outputPixelsPerCycle))); MCU 16x16 with 6 blocks (4:2:0), 16x8 with 4 (4:2:2), 8x8 with 3 (4:4:4) (docs/codec.md)", null, null),
        };

        foreach (OpcodeInfo info in list)
        {
            s_byOpcode[(byte)info.Op] = info;
            s_byMnemonic.Add(info.Mnemonic, info);
        }

        return list.AsReadOnly();
    }

    private static OperandInfo Field(string name, OperandKind kind, int slot, string description)
    {
        return new OperandInfo(name, kind, slot, 0, 64, 0, 0, null, OperandPresence.Required, 0, description);
    }

    private static OperandInfo Count(string name, int slot, long min, long max, string description,
        OperandPresence presence = OperandPresence.Required, long defaultValue = 0)
    {
        return new OperandInfo(name, OperandKind.Count, slot, 0, 64, min, max, null, presence, defaultValue, description);
    }

    private static OperandInfo Packed(string name, int slot, int shift, int width, long min, long max, string description)
    {
        return new OperandInfo(name, OperandKind.Count, slot, shift, width, min, max, null, OperandPresence.Required, 0, description);
    }

    private static OperandInfo Enum(string name, int slot, int shift, int width, string[] names, string description)
    {
        return new OperandInfo(name, OperandKind.Enum, slot, shift, width, 0, names.Length - 1, names, OperandPresence.Required, 0, description);
    }

    private static OperandInfo Flags(string name, int slot)
    {
        return new OperandInfo(name, OperandKind.Flags, slot, 0, 35, 0, 0, null, OperandPresence.Required, 0,
            "sparse format, ratio, acc, bias, rq, obf16 (see SpuFlags)");
    }

    private static OperandInfo Keyword(string name, int slot, string description)
    {
        return new OperandInfo(name, OperandKind.Mem, slot, 0, 64, 0, 0, null, OperandPresence.Keyword, 0, description);
    }

    private static OperandInfo Target(string name, int slot, string description)
    {
        return new OperandInfo(name, OperandKind.Target, slot, 0, 64, 0, int.MaxValue, null, OperandPresence.Hidden, 0, description);
    }

    private static bool BiasPresent(OperandInfo operand, Instruction instruction)
    {
        return SpuFlags.Unpack(instruction.H & SpuFlags.Mask).Bias;
    }

    private static string? CheckSpu(Instruction instruction)
    {
        SpuFlags f = SpuFlags.Unpack(instruction.H & SpuFlags.Mask);
        var prec = (Precision)((instruction.H >> 48) & 0xFF);
        if (prec == Precision.Int8 && f.OutBf16)
        {
            return "obf16 (round the result to BF16) needs prec bf16";
        }

        return prec == Precision.Bf16 && f.Requantize ? "rq (requantize to INT8) needs prec int8" : null;
    }

    private static string? CheckConv(Instruction instruction)
    {
        return CheckSpu(instruction) ?? ConvGeometry.Decode(instruction).Check();
    }

    private static string? CheckScalar(Instruction instruction)
    {
        if (instruction.B >= 0)
        {
            return null;
        }

        var prec = (Precision)instruction.F;
        long imm = instruction.B & 0xFFFF;
        if (prec == Precision.Int8)
        {
            return imm > 0xFF ? "r: an int8 immediate occupies bits 0-7 only" : null;
        }

        return Scalars.IsFiniteBf16((ushort)imm) ? null : "r: a bf16 immediate must be finite";
    }
}
