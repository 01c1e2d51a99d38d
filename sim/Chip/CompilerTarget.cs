using Antoum.Firmware.Compiler;
using Antoum.Isa;
using Antoum.Sim.Blocks.Spu;

namespace Antoum.Sim.Chip;

/// <summary>Fills the compiler's target record from the simulator's card parameters (the compiler never sees the config).</summary>
public static class CompilerTarget
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<SpuModelParams, (Func<long, long, int, SpuFlags, long>, Func<long, long, long, Precision, SpuFlags, long>)> s_models = new();

    /// <summary>Values + metadata of a k × n weight tile as the SPU stores it (<see cref="SpuTiming.Storage"/>; dense: k·n elements).</summary>
    public static long WeightBytes(SpuModelParams spu, long k, long n, int elementBytes, SpuFlags flags)
    {
        if (flags.Format == SparseFormat.Dense || flags.Ratio <= 1)
        {
            return k * n * elementBytes;
        }

        int step = SpuTiming.NativeRatio(flags.Ratio, spu.MaxWeightSparsity);
        (long values, long meta) = SpuTiming.Storage(spu.Format(flags.Format), flags.Format, n, k, step, elementBytes);
        return values + meta;
    }

    public static CompileTarget From(CardParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
        SpuModelParams spu = p.SpuModel;

        // One delegate pair per distinct SPU model, so equal cards give equal targets (compile caches compare targets).
        (Func<long, long, int, SpuFlags, long> WeightTileBytes, Func<long, long, long, Precision, SpuFlags, long> SpuCycles) models =
            s_models.GetOrAdd(spu, m => (
                (k, n, es, flags) => WeightBytes(m, k, n, es, flags),
                (mm, n, k, prec, flags) => SpuTiming.Gemm(m, new GemmShape(mm, n, k), prec, flags.Format, Math.Max(1, flags.Ratio)).Cycles));
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
            DmaChannels = p.DmaChannels,
            HostQueues = p.DmaHostQueues,
            DmaCopyCycles = p.DmaEffectiveSetupCycles + pathCycles,
            DmaBytesPerCycle = Math.Max(1, Math.Min(p.L1BytesPerCycle, xbarPerCycle)),
            SyncCycles = (long)((p.ClusterSyncLatencyPs + psPerCycle - 1) / psPerCycle),
            DramBytesPerCycle = (double)p.DramBytesPerSecondPerInterface / Math.Max(1UL, p.ClockHz),
            ClusterTokens = true,
            WeightTileBytes = models.WeightTileBytes,
            SpuCycles = models.SpuCycles,
        };
    }
}
