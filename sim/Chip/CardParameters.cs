using Antoum.Sim.Blocks.Interconnect;
using Antoum.Sim.Blocks.Spu;
using Antoum.Sim.Config;
using Antoum.Sim.Engines;

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

    /// <summary>
    /// The LPDDR4x device configuration behind each DRAM interface, or null to model an interface as a plain
    /// bandwidth (<see cref="DramBytesPerSecondPerInterface"/>) plus latency resource.
    /// </summary>
    public DramConfig? DramDevice { get; init; }

    // Program execution (engines, memory fabric, sync). Defaults equal the shipped configuration so that tests
    // can build small cards from the required numbers alone.

    public ulong L2Bytes { get; init; } = 4 * 1024 * 1024;

    public ulong DramBytesPerInterface { get; init; } = 5_000_000_000;

    public int L1BytesPerCycle { get; init; } = 512;

    public int L2BytesPerCycle { get; init; } = 1024;

    /// <summary>Banks of one L1; bank bandwidth = L1BytesPerCycle / L1Banks per cycle.</summary>
    public int L1Banks { get; init; } = 4;

    /// <summary>Bank interleave width of an L1: bytes per cycle per port.</summary>
    public int L1WordBytes { get; init; } = 64;

    public int L1LatencyCycles { get; init; } = 1;

    public int L2Banks { get; init; } = 8;

    public int L2WordBytes { get; init; } = 128;

    public int L2LatencyCycles { get; init; } = 2;

    /// <summary>Bandwidth of one NoC ring link per direction: width × NoC clock.</summary>
    public ulong NocBytesPerSecond { get; init; } = 204_800_000_000;

    public ulong NocHopLatencyPs { get; init; } = 5_000;

    public ulong NocLinkWidthBytes { get; init; } = 256;

    public int NocCredits { get; init; } = 8;

    /// <summary>The host link's PCIe model; <see cref="HostLinkBytesPerSecond"/> is its effective bandwidth.</summary>
    public PcieLinkModel? HostPcie { get; init; }

    public int VpuLanes { get; init; } = 448;

    public int VpuOpsPerLanePerCycle { get; init; } = 2;

    public int VpuPipelineLatency { get; init; } = 4;

    public int VpuGatherPerCycle { get; init; } = 16;

    /// <summary>VPU cycles per element group by op class (VpuOp order).</summary>
    public IReadOnlyList<int> VpuOpCycles { get; init; } = EngineTimingParams.DefaultVpuOpCycles;

    public int VpuBf16Factor { get; init; } = 2;

    /// <summary>SFA throughput and latency by function (SfaFunc order).</summary>
    public IReadOnlyList<SfaFunctionTiming> SfaFunctions { get; init; } = EngineTimingParams.DefaultSfaFunctions;

    /// <summary>DMA channels (engines with their own queue) per cluster (chip.dma.channels).</summary>
    public int DmaChannels { get; init; } = 8;

    /// <summary>Host DMA queues per cluster past the channels (chip.dma.hostQueues).</summary>
    public int DmaHostQueues { get; init; } = 2;

    /// <summary>Batches the offline scenario runs back to back (harness.offlineBatches).</summary>
    public int OfflineBatches { get; init; } = 6;

    /// <summary>DRAM input buffers per cluster in the offline scenario (harness.inputBuffers).</summary>
    public int InputBuffers { get; init; } = 2;

    public ulong DmaBurstBytes { get; init; } = 4096;

    public int DmaMaxOutstanding { get; init; } = 8;

    public int DmaSetupCycles { get; init; } = 16;

    /// <summary>Calibration: share of the descriptor setup hidden by prefetch (chip.calibration.dmaSetupOverlapPercent).</summary>
    public int DmaSetupOverlapPercent { get; init; }

    /// <summary>Setup cycles a copy pays: <see cref="DmaSetupCycles"/> less the calibrated overlap.</summary>
    public int DmaEffectiveSetupCycles => DmaSetupCycles * (100 - DmaSetupOverlapPercent) / 100;

    public int CodecCyclesPerMacroblock { get; init; } = 24;

    public int CodecEntropyBitsPerCycle { get; init; } = 2;

    public int CodecCyclesPerJpegMcu { get; init; } = 32;

    /// <summary>Video and JPEG decoder parameters (config <c>chip.codec</c>; docs/codec.md).</summary>
    public CodecConfig Codec { get; init; } = new();

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

    /// <summary>Calibration: share of the SPU fold fill/drain hidden (chip.calibration.spuFoldOverlapPercent).</summary>
    public int SpuFoldOverlapPercent { get; init; }

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
        FoldOverlapPercent = SpuFoldOverlapPercent,
    };

    public ulong SyncLatencyPs { get; init; } = 10_000;

    /// <summary>One-way latency between an engine of a cluster and the cluster's sync unit (c: tokens).</summary>
    public ulong ClusterSyncLatencyPs { get; init; } = 2_000;

    /// <summary>MAC arrays per chip.</summary>
    public int SpusPerChip => Clusters * SpusPerCluster;

    /// <summary>Dense INT8 MACs per cycle on the whole card.</summary>
    public long CardMacsPerCycle => (long)Chips * SpusPerChip * SpuRows * SpuCols;

    /// <summary>
    /// Converts the validated configuration to kernel units. Derived figures: DRAM bandwidth per interface =
    /// chip bandwidth / interfaces (one interface per cluster; validation enforces interfaces = clusters);
    /// host link = the effective bandwidth of <see cref="PcieLinkModel"/> (lanes × lane rate × encoding efficiency / 8
    /// bits × (1 − DLLP overhead) × payload / (payload + TLP overhead)).
    /// </summary>
    public static CardParameters FromConfig(SimConfig config)
    {
        ChipConfig chip = config.Chip;
        SkuConfig sku = config.Sku;
        PcieLinkModel pcie = Pcie(sku.HostLink);
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
            HostLinkBytesPerSecond = pcie.EffectiveBytesPerSecond,
            HostLinkLatencyPs = pcie.LatencyPs,
            HostPcie = pcie,
            ChipLinkBytesPerSecond = sku.ChipLink.Bandwidth.BytesPerSecond,
            ChipLinkLatencyPs = sku.ChipLink.Latency.Picoseconds,
            LaunchOverheadPs = chip.Control.LaunchOverhead.Picoseconds,
            TdpMilliwatts = sku.Tdp.Milliwatts,
            DramDevice = chip.Dram.Model == "lpddr4x" ? chip.Dram : null,
            L2Bytes = chip.L2.Capacity.Bytes,
            DramBytesPerInterface = chip.Dram.Capacity.Bytes / (ulong)chip.Dram.Interfaces,
            L1BytesPerCycle = chip.L1.PeakBytesPerCycle,
            L1Banks = chip.L1.Banks,
            L1WordBytes = chip.L1.BytesPerCycle,
            L1LatencyCycles = chip.L1.LatencyCycles,
            L2BytesPerCycle = chip.L2.PeakBytesPerCycle,
            L2Banks = chip.L2.Banks,
            L2WordBytes = chip.L2.BytesPerCycle,
            L2LatencyCycles = chip.L2.LatencyCycles,
            NocBytesPerSecond = chip.Noc.LinkBandwidth.BytesPerSecond,
            NocHopLatencyPs = chip.Noc.HopLatency.Picoseconds,
            NocLinkWidthBytes = chip.Noc.LinkWidth.Bytes,
            NocCredits = chip.Noc.Credits,
            VpuLanes = chip.Vpu.Lanes,
            VpuOpsPerLanePerCycle = chip.Vpu.OpsPerLanePerCycle,
            VpuPipelineLatency = chip.Vpu.PipelineLatency,
            VpuGatherPerCycle = chip.Vpu.GatherElementsPerCycle,
            VpuOpCycles = chip.Vpu.OpCosts.InOrder,
            VpuBf16Factor = chip.Vpu.OpCosts.Bf16Factor,
            SfaFunctions = chip.Sfa.Functions.InOrder.Select(f => new SfaFunctionTiming(f.ElementsPerCycle, f.Latency)).ToArray(),
            DmaChannels = chip.Dma.Channels,
            DmaHostQueues = chip.Dma.HostQueues,
            OfflineBatches = config.Harness.OfflineBatches,
            InputBuffers = config.Harness.InputBuffers,
            DmaBurstBytes = chip.Dma.BurstSize.Bytes,
            DmaMaxOutstanding = chip.Dma.MaxOutstanding,
            DmaSetupCycles = chip.Dma.SetupCycles,
            DmaSetupOverlapPercent = chip.Calibration.DmaSetupOverlapPercent,
            CodecCyclesPerMacroblock = chip.Codec.Video.H264CyclesPerMacroblock,
            CodecEntropyBitsPerCycle = chip.Codec.Video.EntropyBitsPerCycle,
            CodecCyclesPerJpegMcu = (6 * chip.Codec.Jpeg.CyclesPerBlock) + (256 / chip.Codec.Jpeg.OutputPixelsPerCycle),
            Codec = chip.Codec,
            Bf16RateDivisor = chip.Spu.Bf16RateDivisor,
            MaxWeightSparsity = chip.Spu.MaxWeightSparsity,
            SpuDataflow = SpuConfigMapping.Dataflow(chip.Spu.Dataflow),
            SpuNofM = SpuConfigMapping.Format(chip.Spu.Formats.Nofm),
            SpuBitmap = SpuConfigMapping.Format(chip.Spu.Formats.Bitmap),
            SpuCsr = SpuConfigMapping.Format(chip.Spu.Formats.Csr),
            SpuBlockCsr = SpuConfigMapping.Format(chip.Spu.Formats.BlockCsr),
            SpuActivationZeroPercent = chip.Spu.ActivationSparsity.ZeroFractionPercent,
            SpuActivationSkipEfficiencyPercent = chip.Spu.ActivationSparsity.SkipEfficiencyPercent,
            SpuFoldOverlapPercent = chip.Calibration.SpuFoldOverlapPercent,
            SyncLatencyPs = chip.Control.SyncLatency.Picoseconds,
            ClusterSyncLatencyPs = chip.Control.ClusterSyncLatency.Picoseconds,
        };
    }

    /// <summary>The PCIe model of a configured link.</summary>
    public static PcieLinkModel Pcie(PcieConfig link)
    {
        return new PcieLinkModel(link.Lanes, link.LaneRate.TransfersPerSecond, link.EncodingEfficiency.Numerator, link.EncodingEfficiency.Denominator,
            link.MaxPayloadSize.Bytes, link.TlpOverhead.Bytes, link.DllpOverhead.Numerator, link.DllpOverhead.Denominator, link.Latency.Picoseconds);
    }
}
