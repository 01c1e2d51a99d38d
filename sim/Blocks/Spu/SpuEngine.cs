using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Spu;

/// <summary>
/// SPU engine: executes <c>matmul</c> and <c>conv</c> from its instruction stream, timed by
/// <see cref="SpuTiming.Gemm"/> (fold-based systolic timing for the configured dataflow, weight sparsity in the
/// FLAGS format and ratio, activation skipping, BF16 rate). A conv runs as its implicit GEMM (M = N·rows·Q; a strip
/// form reads only its input window, <see cref="ConvGeometry"/>).
/// Operands are assumed resident in L1 (DMA puts them there; the loader checks they fit). An operation issued back
/// to back after the previous one (<see cref="EngineCore.IssuedBackToBack"/>) hides its first fold's fill as well,
/// in the calibrated share (<see cref="SpuModelParams.FoldOverlapPercent"/>).
/// Statistics: those of <see cref="EngineCore"/> plus <c>macs</c> (useful MACs), <c>issuedMacs</c> (R·C per
/// compute cycle), <c>denseMacs</c> (M·N·K), <c>computeCycles</c> (folds and decode, no pipeline latency),
/// <c>decodeCycles</c>, <c>metadataBytes</c> (sparse index bytes read with the weights), <c>utilization</c>, and for the
/// power model <c>issuedMacsInt8</c>, <c>issuedMacsBf16</c>, <c>issuedMacs{Nofm,Bitmap,Csr,BlockCsr}</c>,
/// <c>l1OperandReadBytes</c> and <c>l1ResultWriteBytes</c>; <c>backToBackOps</c> (operations issued back to back).
/// </summary>
public sealed class SpuEngine : EngineCore
{
    /// <summary>Bytes of one output or partial-sum element written back (32-bit accumulators).</summary>
    public const int AccumulatorBytes = 4;

    // Counter-name suffix per SparseFormat value (Dense has no decode counter).
    private static readonly string[] s_formatNames = ["Dense", "Nofm", "Bitmap", "Csr", "BlockCsr"];

    private readonly SpuModelParams _p;
    private readonly Counter _macs;
    private readonly Counter _issued;
    private readonly Counter _dense;
    private readonly Counter _compute;
    private readonly Counter _decode;
    private readonly Counter _metadata;
    private readonly Counter _issuedInt8;
    private readonly Counter _issuedBf16;
    private readonly Counter[] _issuedByFormat;
    private readonly Counter _operandReads;
    private readonly Counter _resultWrites;
    private readonly Counter _backToBack;

    public SpuEngine(Simulator sim, string name, EngineId id, int index, ClockDomain clock, SpuModelParams spu)
        : base(sim, name, id, index, clock)
    {
        _p = spu;
        _macs = sim.Stats.Counter(name + ".macs", "MAC", "useful multiply-accumulates (non-zero weights, after activation skipping)");
        _issued = sim.Stats.Counter(name + ".issuedMacs", "MAC", "MAC slots spent: rows × cols × compute cycles");
        _dense = sim.Stats.Counter(name + ".denseMacs", "MAC", "dense-equivalent MACs (M·N·K)");
        _compute = sim.Stats.Counter(name + ".computeCycles", "cycles", "fold and index-decode cycles (no pipeline latency)");
        _decode = sim.Stats.Counter(name + ".decodeCycles", "cycles", "sparse index-decode cycles");
        _metadata = sim.Stats.Counter(name + ".metadataBytes", "B", "sparse-format metadata bytes read with the weights");
        _issuedInt8 = sim.Stats.Counter(name + ".issuedMacsInt8", "MAC", "MAC slots spent on INT8 operations");
        _issuedBf16 = sim.Stats.Counter(name + ".issuedMacsBf16", "MAC", "BF16 multiply-accumulates issued (MAC slots on BF16 / the BF16 rate divisor)");
        _issuedByFormat = new Counter[s_formatNames.Length];
        for (int f = 1; f < s_formatNames.Length; f++)
        {
            _issuedByFormat[f] = sim.Stats.Counter(name + ".issuedMacs" + s_formatNames[f], "MAC", "MAC slots spent on weights in the " + s_formatNames[f] + " sparse format (index decode per group)");
        }

        _operandReads = sim.Stats.Counter(name + ".l1OperandReadBytes", "B", "operand bytes the array read from its L1 (activations and weights per fold, sparse metadata per weight pass)");
        _resultWrites = sim.Stats.Counter(name + ".l1ResultWriteBytes", "B", "output and partial-sum bytes written to L1 (4 B accumulators)");
        _backToBack = sim.Stats.Counter(name + ".backToBackOps", "count", "operations issued back to back after the previous one (no stall in between): their first fold's fill overlaps in the calibrated share");
        sim.Stats.Formula(name + ".utilization", "ratio", "useful MACs / issued MAC slots", () =>
            _issued.Value == 0 ? 0.0 : (double)_macs.Value / _issued.Value);
    }

    protected override long Execute(in Instruction instruction)
    {
        ref readonly Instruction i = ref instruction;
        Precision precision = EngineTiming.IsBf16(i.H >> 48) ? Precision.Bf16 : Precision.Int8;
        SpuFlags flags = SpuFlags.Unpack(i.H & SpuFlags.Mask);
        GemmShape shape;
        switch (i.Op)
        {
            case Opcode.Matmul:
                shape = new GemmShape(i.A, i.B, i.C);
                break;
            case Opcode.Conv:
                {
                    (long m, long n, long k) = ConvGeometry.Decode(i).Gemm;
                    shape = new GemmShape(m, n, k);
                    break;
                }

            default:
                throw ProgramError("not an SPU instruction");
        }

        if (Data is { } data)
        {
            string? problem = i.Op == Opcode.Conv
                ? Functional.FunctionalOps.Conv(data, ConvGeometry.Decode(i), Resolve(i.C), Resolve(i.D), Resolve(i.E),
                    flags.Bias ? Resolve(i.G) : null, precision == Precision.Bf16, flags)
                : Functional.FunctionalOps.Matmul(data, i.A, i.B, i.C, Resolve(i.D), Resolve(i.E), Resolve(i.F),
                    flags.Bias ? Resolve(i.G) : null, precision == Precision.Bf16, flags);
            if (problem is not null)
            {
                throw ProgramError(problem);
            }
        }

        bool backToBack = IssuedBackToBack;
        if (backToBack)
        {
            _backToBack.Value++;
        }

        SpuCost cost = SpuTiming.Gemm(_p, shape, precision, flags.Format, Math.Max(1, flags.Ratio), backToBack);
        _macs.Value += cost.UsefulMacs;
        _issued.Value += cost.IssuedMacs;
        _dense.Value += cost.DenseEquivalentMacs;
        _compute.Value += cost.ComputeCycles;
        _decode.Value += cost.DecodeCycles;
        _metadata.Value += cost.MetadataBytes * cost.FilterPasses;
        int elemBytes = precision == Precision.Bf16 ? 2 : 1;
        if (precision == Precision.Bf16)
        {
            _issuedBf16.Value += cost.IssuedMacs / Math.Max(1, _p.Bf16RateDivisor);
        }
        else
        {
            _issuedInt8.Value += cost.IssuedMacs;
        }

        if (flags.Format != SparseFormat.Dense && (int)flags.Format < _issuedByFormat.Length)
        {
            _issuedByFormat[(int)flags.Format].Value += cost.IssuedMacs;
        }

        _operandReads.Value += ((cost.IfmapReads + cost.FilterReads) * elemBytes) + (cost.MetadataBytes * cost.FilterPasses);
        _resultWrites.Value += cost.OfmapWrites * AccumulatorBytes;
        return cost.Cycles;
    }
}
