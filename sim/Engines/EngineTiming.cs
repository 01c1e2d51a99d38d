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
    int SfaElementsPerCycle,
    int SfaPipelineLatency,
    int CodecCyclesPerMacroblock,
    int CodecEntropyBitsPerCycle,
    int CodecCyclesPerJpegMcu);

/// <summary>
/// The cycle counts of the engine operations, as closed forms (so tests can check the simulator against them).
/// These are the PLACEHOLDER rules of the blocks that do not exist yet; the chip-blocks issue replaces them
/// with the real VPU, SFA and codec models. The SPU (matmul, conv) is timed by <see cref="Blocks.Spu.SpuTiming"/>.
/// </summary>
public static class EngineTiming
{
    /// <summary>Output height/width of a convolution: (in + 2·pad − filter) / stride + 1.</summary>
    public static long ConvOut(long input, long filter, long stride, long pad) => Blocks.Spu.GemmShape.ConvOut(input, filter, stride, pad);

    /// <summary>Elementwise: ceil(elems / lanes) cycles (BF16: half the lanes) plus the pipeline latency.</summary>
    public static long VectorOp(EngineTimingParams p, long elems, bool bf16)
    {
        return CeilDiv(elems, bf16 ? Math.Max(1, p.VpuLanes / 2) : p.VpuLanes) + p.VpuPipelineLatency;
    }

    /// <summary>Reduction: ceil(elems / lanes) + ceil(log2 lanes) tree stages + pipeline latency.</summary>
    public static long Reduce(EngineTimingParams p, long elems, bool bf16)
    {
        int lanes = bf16 ? Math.Max(1, p.VpuLanes / 2) : p.VpuLanes;
        return CeilDiv(elems, lanes) + CeilLog2(lanes) + p.VpuPipelineLatency;
    }

    /// <summary>Gather or scatter: ceil(nnz / gather rate) + pipeline latency.</summary>
    public static long GatherScatter(EngineTimingParams p, long nnz)
    {
        return CeilDiv(nnz, p.VpuGatherPerCycle) + p.VpuPipelineLatency;
    }

    /// <summary>Sparse u ← u + r·v through the scatter buffer: ceil((nnz(u) + 2·nnz(v)) / lanes) + pipeline latency.</summary>
    public static long Spaxpy(EngineTimingParams p, long nnzU, long nnzV)
    {
        return CeilDiv(nnzU + (2 * nnzV), p.VpuLanes) + p.VpuPipelineLatency;
    }

    /// <summary>SFA function: ceil(elems / elements per cycle) + pipeline latency (same for every function for now).</summary>
    public static long Sfa(EngineTimingParams p, long elems)
    {
        return CeilDiv(elems, p.SfaElementsPerCycle) + p.SfaPipelineLatency;
    }

    /// <summary>Video frame: max(macroblocks · cycles per macroblock, ceil(bits / entropy bits per cycle)).</summary>
    public static long VideoFrame(EngineTimingParams p, long width, long height, long bits)
    {
        long mbs = CeilDiv(width, 16) * CeilDiv(height, 16);
        return Math.Max(mbs * p.CodecCyclesPerMacroblock, CeilDiv(bits, p.CodecEntropyBitsPerCycle));
    }

    /// <summary>
    /// JPEG image: max(MCUs · cycles per MCU, ceil(8·bytes / entropy bits per cycle)); an MCU is 16×16 pixels at
    /// 4:2:0, 16×8 at 4:2:2 and 8×8 at 4:4:4.
    /// </summary>
    public static long JpegImage(EngineTimingParams p, long bytes, long width, long height, int sampling)
    {
        (long mw, long mh) = sampling switch { 0 => (16L, 16L), 1 => (16L, 8L), _ => (8L, 8L) };
        long mcus = CeilDiv(width, mw) * CeilDiv(height, mh);
        return Math.Max(mcus * p.CodecCyclesPerJpegMcu, CeilDiv(bytes * 8, p.CodecEntropyBitsPerCycle));
    }

    public static long CeilDiv(long a, long b) => (a + b - 1) / b;

    private static int CeilLog2(int x)
    {
        int bits = 0;
        while ((1 << bits) < x)
        {
            bits++;
        }

        return bits;
    }

    /// <summary>Precision in an operand slot: 0 = INT8, 1 = BF16.</summary>
    public static bool IsBf16(long precisionField) => (precisionField & 0xFF) == 1;

    /// <summary>Weight sparsity ratio of a matmul/conv FLAGS slot (1 for dense).</summary>
    public static int Ratio(long flagsSlot) => Math.Max(1, SpuFlags.Unpack(flagsSlot & SpuFlags.Mask).Ratio);
}
