using Antoum.Sim.Blocks.Spu;
using Antoum.Sim.Config;

namespace Antoum.Sim.Chip;

/// <summary>
/// The resolved numbers the builder wires a card from, in kernel units (Hz, ps, bytes, bytes per second).
/// Made from the configuration by <see cref="FromConfig"/>; blocks never see the config format.
/// </summary>
public sealed record CardParameters
{
    public required string Sku { get; init; }

    public required int Chips { get; init; }

    public required ulong ClockHz { get; init; }

    public required int Clusters { get; init; }

    public required int SpusPerCluster { get; init; }

    public required int SpuRows { get; init; }

    public required int SpuCols { get; init; }

    public required int SpuPipelineLatency { get; init; }

    /// <summary>Command slots per MAC array (operand buffers in L1): 2 = double buffering.</summary>
    public int CommandSlots { get; init; } = 2;

    public required ulong L1Bytes { get; init; }

    public required ulong DramBytesPerSecondPerInterface { get; init; }

    public required ulong DramLatencyPs { get; init; }

    public required ulong CrossbarBytesPerSecond { get; init; }

    public required ulong CrossbarLatencyPs { get; init; }

    public required ulong HostLinkBytesPerSecond { get; init; }

    public required ulong HostLinkLatencyPs { get; init; }

    public required ulong ChipLinkBytesPerSecond { get; init; }

    public required ulong ChipLinkLatencyPs { get; init; }

    public required ulong LaunchOverheadPs { get; init; }

    public required ulong TdpMilliwatts { get; init; }

    // Program execution (engines, memory fabric, sync). Defaults equal the shipped configuration so that tests
    // can build small cards from the required numbers alone.

    public ulong L2Bytes { get; init; } = 4 * 1024 * 1024;

    public ulong DramBytesPerInterface { get; init; } = 5_000_000_000;

    public int L1BytesPerCycle { get; init; } = 512;

    public int L2BytesPerCycle { get; init; } = 1024;

    public ulong NocBytesPerSecond { get; init; } = 204_800_000_000;

    public ulong NocHopLatencyPs { get; init; } = 5_000;

    public int VpuLanes { get; init; } = 448;

    public int VpuOpsPerLanePerCycle { get; init; } = 2;

    public int VpuPipelineLatency { get; init; } = 4;

    public int VpuGatherPerCycle { get; init; } = 16;

    public int SfaElementsPerCycle { get; init; } = 64;

    public int SfaPipelineLatency { get; init; } = 16;

    public ulong DmaBurstBytes { get; init; } = 4096;

    public int DmaMaxOutstanding { get; init; } = 8;

    public int DmaSetupCycles { get; init; } = 16;

    public int CodecCyclesPerMacroblock { get; init; } = 24;

    public int CodecEntropyBitsPerCycle { get; init; } = 2;

    public int CodecCyclesPerJpegMcu { get; init; } = 32;

    public int Bf16RateDivisor { get; init; } = 2;

    public int MaxWeightSparsity { get; init; } = 32;

    /// <summary>SPU dataflow, sparse-format costs and activation skipping (defaults equal the shipped configuration).</summary>
    public SpuDataflow SpuDataflow { get; init; } = SpuDataflow.Ws;

    public SparseFormatParams SpuNofM { get; init; } = SpuModelParams.Default().NofM;

    public SparseFormatParams SpuBitmap { get; init; } = SpuModelParams.Default().Bitmap;

    public SparseFormatParams SpuCsr { get; init; } = SpuModelParams.Default().Csr;

    public SparseFormatParams SpuBlockCsr { get; init; } = SpuModelParams.Default().BlockCsr;

    public int SpuActivationZeroPercent { get; init; }

    public int SpuActivationSkipEfficiencyPercent { get; init; } = 100;

    /// <summary>The SPU timing parameters of this card.</summary>
    public SpuModelParams SpuModel => new()
    {
        Rows = SpuRows,
        Cols = SpuCols,
        Dataflow = SpuDataflow,
        PipelineLatency = SpuPipelineLatency,
        Bf16RateDivisor = Bf16RateDivisor,
        MaxWeightSparsity = MaxWeightSparsity,
        NofM = SpuNofM,
        Bitmap = SpuBitmap,
        Csr = SpuCsr,
        BlockCsr = SpuBlockCsr,
        ActivationZeroPercent = SpuActivationZeroPercent,
        ActivationSkipEfficiencyPercent = SpuActivationSkipEfficiencyPercent,
    };

    public ulong SyncLatencyPs { get; init; } = 10_000;

    /// <summary>MAC arrays per chip.</summary>
    public int SpusPerChip => Clusters * SpusPerCluster;

    /// <summary>Dense INT8 MACs per cycle on the whole card.</summary>
    public long CardMacsPerCycle => (long)Chips * SpusPerChip * SpuRows * SpuCols;

    /// <summary>
    /// Converts the validated configuration to kernel units. Derived figures: DRAM bandwidth per interface =
    /// chip bandwidth / interfaces (one interface per cluster; validation enforces interfaces = clusters);
    /// PCIe bandwidth = lanes × lane rate × encoding efficiency / 8 bits.
    /// </summary>
    public static CardParameters FromConfig(SimConfig config)
    {
        ChipConfig chip = config.Chip;
        SkuConfig sku = config.Sku;
        PcieConfig pcie = sku.HostLink;
        UInt128 pcieBits = (UInt128)pcie.LaneRate.TransfersPerSecond * (ulong)pcie.Lanes * pcie.EncodingEfficiency.Numerator;
        ulong pcieBytesPerSecond = (ulong)(pcieBits / ((UInt128)pcie.EncodingEfficiency.Denominator * 8));
        return new CardParameters
        {
            Sku = sku.Name,
            Chips = sku.Chips,
            ClockHz = chip.Clock.Hertz,
            Clusters = chip.Clusters,
            SpusPerCluster = chip.SpusPerCluster,
            SpuRows = chip.Spu.Rows,
            SpuCols = chip.Spu.Cols,
            SpuPipelineLatency = chip.Spu.PipelineLatency,
            L1Bytes = chip.L1.Capacity.Bytes,
            DramBytesPerSecondPerInterface = chip.Dram.Bandwidth.BytesPerSecond / (ulong)chip.Dram.Interfaces,
            DramLatencyPs = chip.Dram.Latency.Picoseconds,
            CrossbarBytesPerSecond = chip.Crossbar.Bandwidth.BytesPerSecond,
            CrossbarLatencyPs = chip.Crossbar.Latency.Picoseconds,
            HostLinkBytesPerSecond = pcieBytesPerSecond,
            HostLinkLatencyPs = pcie.Latency.Picoseconds,
            ChipLinkBytesPerSecond = sku.ChipLink.Bandwidth.BytesPerSecond,
            ChipLinkLatencyPs = sku.ChipLink.Latency.Picoseconds,
            LaunchOverheadPs = chip.Control.LaunchOverhead.Picoseconds,
            TdpMilliwatts = sku.Tdp.Milliwatts,
            L2Bytes = chip.L2.Capacity.Bytes,
            DramBytesPerInterface = chip.Dram.Capacity.Bytes / (ulong)chip.Dram.Interfaces,
            L1BytesPerCycle = chip.L1.BytesPerCycle * chip.L1.Ports * chip.L1.Banks,
            L2BytesPerCycle = chip.L2.BytesPerCycle * chip.L2.Ports * chip.L2.Banks,
            NocBytesPerSecond = chip.Noc.LinkBandwidth.BytesPerSecond,
            NocHopLatencyPs = chip.Noc.HopLatency.Picoseconds,
            VpuLanes = chip.Vpu.Lanes,
            VpuOpsPerLanePerCycle = chip.Vpu.OpsPerLanePerCycle,
            VpuPipelineLatency = chip.Vpu.PipelineLatency,
            VpuGatherPerCycle = chip.Vpu.GatherElementsPerCycle,
            SfaElementsPerCycle = chip.Sfa.ElementsPerCycle,
            SfaPipelineLatency = chip.Sfa.PipelineLatency,
            DmaBurstBytes = chip.Dma.BurstSize.Bytes,
            DmaMaxOutstanding = chip.Dma.MaxOutstanding,
            DmaSetupCycles = chip.Dma.SetupCycles,
            CodecCyclesPerMacroblock = chip.Codec.CyclesPerMacroblock,
            CodecEntropyBitsPerCycle = chip.Codec.EntropyBitsPerCycle,
            CodecCyclesPerJpegMcu = chip.Codec.CyclesPerJpegMcu,
            Bf16RateDivisor = chip.Spu.Bf16RateDivisor,
            MaxWeightSparsity = chip.Spu.MaxWeightSparsity,
            SpuDataflow = SpuConfigMapping.Dataflow(chip.Spu.Dataflow),
            SpuNofM = SpuConfigMapping.Format(chip.Spu.Formats.Nofm),
            SpuBitmap = SpuConfigMapping.Format(chip.Spu.Formats.Bitmap),
            SpuCsr = SpuConfigMapping.Format(chip.Spu.Formats.Csr),
            SpuBlockCsr = SpuConfigMapping.Format(chip.Spu.Formats.BlockCsr),
            SpuActivationZeroPercent = chip.Spu.ActivationSparsity.ZeroFractionPercent,
            SpuActivationSkipEfficiencyPercent = chip.Spu.ActivationSparsity.SkipEfficiencyPercent,
            SyncLatencyPs = chip.Control.SyncLatency.Picoseconds,
        };
    }
}
