using Antoum.Firmware.Compiler;

namespace Antoum.Sim.Chip;

/// <summary>Fills the compiler's target record from the simulator's card parameters (the compiler never sees the config).</summary>
public static class CompilerTarget
{
    public static CompileTarget From(CardParameters p)
    {
        ArgumentNullException.ThrowIfNull(p);
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
        };
    }
}
