using Antoum.Isa;

namespace Antoum.Sim.Engines;

/// <summary>Numbers the engine timing rules use (from the configuration, in cycles and elements).</summary>
public sealed record EngineTimingParams(
    int SpuRows,
    int SpuCols,
    int SpuPipelineLatency,
    int Bf16RateDivisor,
    int VpuLanes,
    int VpuPipelineLatency,
    int VpuGatherPerCycle,
    int CodecCyclesPerMacroblock,
    int CodecEntropyBitsPerCycle,
    int CodecCyclesPerJpegMcu)
{
    /// <summary>VPU cycles per element group, indexed by <see cref="VpuOp"/> (config <c>chip.vpu.opCosts</c>).</summary>
    public IReadOnlyList<int> VpuOpCycles { get; init; } = DefaultVpuOpCycles;

    /// <summary>Video and JPEG decoder parameters (config <c>chip.codec</c>).</summary>
    public Config.CodecConfig Codec { get; init; } = new();

    /// <summary>A BF16 element group holds lanes / this many elements.</summary>
    public int VpuBf16Factor { get; init; } = 2;

    /// <summary>SFA throughput and latency, indexed by <see cref="SfaFunc"/> (config <c>chip.sfa.functions</c>).</summary>
    public IReadOnlyList<SfaFunctionTiming> SfaFunctions { get; init; } = DefaultSfaFunctions;

    /// <summary>The shipped op costs (every op class 1 cycle per element group).</summary>
    public static IReadOnlyList<int> DefaultVpuOpCycles { get; } = [1, 1, 1, 1, 1, 1, 1, 1];

    /// <summary>The shipped SFA table (exp, rsqrt, recip, gelu, sigmoid, tanh, maxpool, avgpool, resize).</summary>
    public static IReadOnlyList<SfaFunctionTiming> DefaultSfaFunctions { get; } =
        [new(32, 16), new(32, 12), new(32, 12), new(16, 24), new(32, 16), new(32, 16), new(64, 4), new(64, 6), new(32, 8)];
}

/// <summary>One SFA function: output elements per cycle and pipeline latency in cycles.</summary>
public readonly record struct SfaFunctionTiming(int ElementsPerCycle, int Latency);

/// <summary>
/// The cycle counts of the engine operations, as closed forms (so tests can check the simulator against them).
/// These are the PLACEHOLDER rules of the blocks that do not exist yet; the chip-blocks issue replaces them
/// with the real VPU, SFA and codec models. The SPU (matmul, conv) is timed by <see cref="Blocks.Spu.SpuTiming"/>.
/// </summary>
public static class EngineTiming
{
    /// <summary>Output height/width of a convolution: (in + 2·pad − filter) / stride + 1.</summary>
    public static long ConvOut(long input, long filter, long stride, long pad) => Blocks.Spu.GemmShape.ConvOut(input, filter, stride, pad);

    /// <summary>Elements in one VPU element group: lanes for INT8, lanes / bf16Factor for BF16.</summary>
    public static long VpuGroup(EngineTimingParams p, bool bf16) => bf16 ? Math.Max(1, p.VpuLanes / p.VpuBf16Factor) : p.VpuLanes;

    /// <summary>
    /// Elementwise: ceil(elems / group) element groups × the op's cycles per group (<c>chip.vpu.opCosts</c>) plus the
    /// pipeline latency; a group is lanes INT8 or lanes / bf16Factor BF16 elements.
    /// </summary>
    public static long VectorOp(EngineTimingParams p, VpuOp op, long elems, bool bf16)
    {
        return (CeilDiv(elems, VpuGroup(p, bf16)) * OpCycles(p, (int)op)) + p.VpuPipelineLatency;
    }

    /// <summary>
    /// Reduction: ceil(elems / group) groups × the cost of its op class (sum as add, max, min) + ceil(log2 group) tree
    /// stages + pipeline latency.
    /// </summary>
    public static long Reduce(EngineTimingParams p, ReduceOp op, long elems, bool bf16)
    {
        long group = VpuGroup(p, bf16);
        VpuOp cls = op switch { ReduceOp.Max => VpuOp.Max, ReduceOp.Min => VpuOp.Min, _ => VpuOp.Add };
        return (CeilDiv(elems, group) * OpCycles(p, (int)cls)) + CeilLog2(group) + p.VpuPipelineLatency;
    }

    /// <summary>Gather or scatter: ceil(nnz / gather rate) + pipeline latency.</summary>
    public static long GatherScatter(EngineTimingParams p, long nnz)
    {
        return CeilDiv(nnz, p.VpuGatherPerCycle) + p.VpuPipelineLatency;
    }

    /// <summary>
    /// Sparse u ← u + r·v through the scatter buffer: ceil((nnz(u) + 2·nnz(v)) / group) × the mul cost (a multiply-add
    /// per pair) + pipeline latency.
    /// </summary>
    public static long Spaxpy(EngineTimingParams p, long nnzU, long nnzV, bool bf16)
    {
        return (CeilDiv(nnzU + (2 * nnzV), VpuGroup(p, bf16)) * OpCycles(p, (int)VpuOp.Mul)) + p.VpuPipelineLatency;
    }

    /// <summary>SFA function: ceil(elems / the function's elements per cycle) + its latency (<c>chip.sfa.functions</c>).</summary>
    public static long Sfa(EngineTimingParams p, SfaFunc func, long elems)
    {
        int f = (int)func;
        if (f < 0 || f >= p.SfaFunctions.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(func), func, "no SFA function with this code");
        }

        SfaFunctionTiming t = p.SfaFunctions[f];
        return CeilDiv(elems, t.ElementsPerCycle) + t.Latency;
    }

    public static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static long OpCycles(EngineTimingParams p, int op)
    {
        if (op < 0 || op >= p.VpuOpCycles.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(op), op, "no VPU op class with this code");
        }

        return p.VpuOpCycles[op];
    }

    private static int CeilLog2(long x)
    {
        int bits = 0;
        while ((1L << bits) < x)
        {
            bits++;
        }

        return bits;
    }

    /// <summary>Precision in an operand slot: 0 = INT8, 1 = BF16.</summary>
    public static bool IsBf16(long precisionField) => (precisionField & 0xFF) == 1;

    /// <summary>
    /// Rows of a vop (its prec slot) or vreduce (its prec slot): bits 16-47, 0 and 1 meaning one row. A rows op costs
    /// exactly its rows single-row ops (docs/isa.md).
    /// </summary>
    public static long VpuRows(long precisionSlot) => Math.Max(1, (precisionSlot >> 16) & 0xFFFF_FFFFL);

    /// <summary>SRC1 form of a vop (its prec slot, bits 8-9): 0 elementwise, 1 one scalar per row, 2 one row for every row.</summary>
    public static int VopBcast(long precisionSlot) => (int)((precisionSlot >> 8) & 3);

    /// <summary>Weight sparsity ratio of a matmul/conv FLAGS slot (1 for dense).</summary>
    public static int Ratio(long flagsSlot) => Math.Max(1, SpuFlags.Unpack(flagsSlot & SpuFlags.Mask).Ratio);
}
