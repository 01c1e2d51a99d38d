using Antoum.Firmware.Compiler;
using Antoum.Isa;
using Antoum.Sim.Blocks.Spu;

namespace Antoum.Sim.Chip;

/// <summary>Fills the compiler's target record from the simulator's card parameters (the compiler never sees the config).</summary>
public static class CompilerTarget
{
    public static CompileTarget From(CardParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        SpuModelParams spu = p.SpuModel;
        ulong psPerCycle = 1_000_000_000_000UL / Math.Max(1UL, p.ClockHz);
        long pathCycles = p.L2LatencyCycles + p.L1LatencyCycles + (long)((p.CrossbarLatencyPs + psPerCycle - 1) / psPerCycle);
        long xbarPerCycle = (long)(p.CrossbarBytesPerSecond / Math.Max(1UL, p.ClockHz));
        return new CompileTarget
        {
            Sku = p.Sku,
            Chips = p.Chips,
            Clusters = p.Clusters,
            SpusPerCluster = p.SpusPerCluster,
            ArrayRows = p.SpuRows,
            ArrayCols = p.SpuCols,
            L1Bytes = (long)p.L1Bytes,
            L2Bytes = (long)p.L2Bytes,
            DramBytesPerInterface = (long)p.DramBytesPerInterface,
            DmaBurstBytes = (long)p.DmaBurstBytes,
            DmaCopyCycles = p.DmaSetupCycles + pathCycles,
            DmaBytesPerCycle = Math.Max(1, Math.Min(p.L1BytesPerCycle, xbarPerCycle)),
            SyncCycles = (long)((p.SyncLatencyPs + psPerCycle - 1) / psPerCycle),
            SpuCycles = (m, n, k, prec, flags) => SpuTiming.Gemm(spu, new GemmShape(m, n, k), prec, flags.Format, Math.Max(1, flags.Ratio)).Cycles,
        };
    }
}
