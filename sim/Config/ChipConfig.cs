using System.ComponentModel;

namespace Antoum.Sim.Config;

/// <summary>One Antoum chip: clusters of SPUs with L1s, a shared L2, VPU and DDR interface per cluster, a NoC.</summary>
public sealed record ChipConfig
{
    [Description("Core clock of the chip (SPU, VPU, SRAM, NoC).")]
    public Frequency Clock { get; init; } = new(900_000_000);

    [Description("Clusters per chip (the runtime's \"cores\").")]
    public int Clusters { get; init; } = 4;

    [Description("Sparse processing units per cluster.")]
    public int SpusPerCluster { get; init; } = 8;

    [Description("Sparse processing unit (MAC array).")]
    public SpuConfig Spu { get; init; } = new();

    [Description("L1 buffer, one per SPU.")]
    public SramConfig L1 { get; init; } = new();

    [Description("L2 buffer, one per cluster, shared by its SPUs.")]
    public SramConfig L2 { get; init; } = new() { Capacity = new ByteSize(4 * 1024 * 1024), Banks = 8, BytesPerCycle = 1024 };

    [Description("Off-chip memory of one chip.")]
    public DramConfig Dram { get; init; } = new();

    [Description("On-chip network joining the clusters.")]
    public NocConfig Noc { get; init; } = new();

    [Description("Crossbar inside each cluster, from its L2 to its SPUs.")]
    public LinkConfig Crossbar { get; init; } = new() { Bandwidth = new Bandwidth(921_600_000_000), Latency = new Duration(4_000) };

    [Description("Vector processing unit, one per cluster.")]
    public VpuConfig Vpu { get; init; } = new();

    [Description("Special-function accelerator, one per cluster.")]
    public SfaConfig Sfa { get; init; } = new();

    [Description("DMA engine, one per cluster.")]
    public DmaConfig Dma { get; init; } = new();

    [Description("Video/JPEG codec, one per cluster.")]
    public CodecConfig Codec { get; init; } = new();

    [Description("CPU & global control block.")]
    public ControlConfig Control { get; init; } = new();

    [Description("Calibration parameters fitted to the anchor (physical efficiencies; 0 = neutral).")]
    public CalibrationConfig Calibration { get; init; } = new();

    /// <summary>SPUs on the chip: clusters x SPUs per cluster.</summary>
    public int TotalSpus => Clusters * SpusPerCluster;

    public void Validate(string path)
    {
        ConfigChecks.Positive(Clock.Hertz, Clock.ToString(), ConfigChecks.Join(path, "clock"));
        if (Clock.Hertz > 10_000_000_000)
        {
            throw new ConfigException(ConfigChecks.Join(path, "clock"), $"must be <= 10GHz (got {Clock})");
        }

        ConfigChecks.InRange(Clusters, 1, 64, ConfigChecks.Join(path, "clusters"));
        ConfigChecks.InRange(SpusPerCluster, 1, 64, ConfigChecks.Join(path, "spusPerCluster"));
        Spu.Validate(ConfigChecks.Join(path, "spu"));
        L1.Validate(ConfigChecks.Join(path, "l1"));
        L2.Validate(ConfigChecks.Join(path, "l2"));
        Dram.Validate(ConfigChecks.Join(path, "dram"));
        if (Dram.Interfaces != Clusters)
        {
            throw new ConfigException(ConfigChecks.Join(path, "dram.interfaces"),
                $"must equal chip.clusters ({Clusters}): one DDR interface per cluster (got {Dram.Interfaces})");
        }

        Noc.Validate(ConfigChecks.Join(path, "noc"));
        Crossbar.Validate(ConfigChecks.Join(path, "crossbar"));
        Vpu.Validate(ConfigChecks.Join(path, "vpu"));
        Sfa.Validate(ConfigChecks.Join(path, "sfa"));
        Dma.Validate(ConfigChecks.Join(path, "dma"));
        Calibration.Validate(ConfigChecks.Join(path, "calibration"));
        Codec.Validate(ConfigChecks.Join(path, "codec"));
        Control.Validate(ConfigChecks.Join(path, "control"));
    }
}

/// <summary>Sparse processing unit: a rows x cols INT8 MAC array that skips zero weights.</summary>
public sealed record SpuConfig
{
    [Description("MAC array rows.")]
    public int Rows { get; init; } = 16;

    [Description("MAC array columns.")]
    public int Cols { get; init; } = 32;

    [Description("Dataflow: os (output stationary), ws (weight stationary) or is (input stationary).")]
    public string Dataflow { get; init; } = "ws";

    [Description("BF16 MAC rate = INT8 MAC rate / this divisor.")]
    public int Bf16RateDivisor { get; init; } = 2;

    [Description("Highest weight sparsity the SPU accelerates (e.g. 32 for 32x, i.e. 1 non-zero in 32).")]
    public int MaxWeightSparsity { get; init; } = 32;

    [Description("Cycles from the first operand in to the first result out of the MAC array.")]
    public int PipelineLatency { get; init; } = 8;

    [Description("Cost parameters of the sparse weight formats (dense has none).")]
    public SparseFormatsConfig Formats { get; init; } = new();

    [Description("Activation zero skipping (dual sparsity); off when zeroFractionPercent is 0.")]
    public ActivationSparsityConfig ActivationSparsity { get; init; } = new();

    /// <summary>INT8 MACs per cycle: rows x cols.</summary>
    public int MacsPerCycle => Rows * Cols;

    public void Validate(string path)
    {
        ConfigChecks.InRange(Rows, 1, 4096, ConfigChecks.Join(path, "rows"));
        ConfigChecks.InRange(Cols, 1, 4096, ConfigChecks.Join(path, "cols"));
        ConfigChecks.OneOf(Dataflow, ConfigChecks.Join(path, "dataflow"), "os", "ws", "is");
        ConfigChecks.InRange(Bf16RateDivisor, 1, 64, ConfigChecks.Join(path, "bf16RateDivisor"));
        ConfigChecks.InRange(MaxWeightSparsity, 1, 1024, ConfigChecks.Join(path, "maxWeightSparsity"));
        if ((MaxWeightSparsity & (MaxWeightSparsity - 1)) != 0)
        {
            throw new ConfigException(ConfigChecks.Join(path, "maxWeightSparsity"), $"must be a power of two (got {MaxWeightSparsity})");
        }

        ConfigChecks.InRange(PipelineLatency, 1, 1024, ConfigChecks.Join(path, "pipelineLatency"));
        Formats.Validate(ConfigChecks.Join(path, "formats"));
        ActivationSparsity.Validate(ConfigChecks.Join(path, "activationSparsity"));
    }
}

/// <summary>Per-format costs of the sparse weight formats the SPU reads (see docs/spu.md).</summary>
public sealed record SparseFormatsConfig
{
    [Description("N:M / balanced channel-group sparsity: every group of channels keeps the same number of non-zeros.")]
    public SparseFormatConfig Nofm { get; init; } = new() { DecodeCyclesPerFold = 1, IndexBits = 5, Imbalance = "balanced" };

    [Description("Hierarchical bitmap: one bit per block of weights along K, plus (channel-id, value) pairs of the non-zeros.")]
    public SparseFormatConfig Bitmap { get; init; } = new() { DecodeCyclesPerFold = 2, IndexBits = 8, BitmapBlock = 32 };

    [Description("CSR: a column index per non-zero and a row pointer per filter.")]
    public SparseFormatConfig Csr { get; init; } = new() { DecodeCyclesPerFold = 4, IndexBits = 16, PointerBits = 32 };

    [Description("Block-CSR: CSR over dense blocks of blockShape (filters x reduction elements).")]
    public SparseFormatConfig BlockCsr { get; init; } = new() { DecodeCyclesPerFold = 2, IndexBits = 16, PointerBits = 32, BlockShape = "1x4" };

    public void Validate(string path)
    {
        Nofm.Validate(ConfigChecks.Join(path, "nofm"));
        Bitmap.Validate(ConfigChecks.Join(path, "bitmap"));
        Csr.Validate(ConfigChecks.Join(path, "csr"));
        BlockCsr.Validate(ConfigChecks.Join(path, "blockCsr"));
    }
}

/// <summary>Cost parameters of one sparse weight format.</summary>
public sealed record SparseFormatConfig
{
    [Description("Index-decode cycles added to every fold.")]
    public int DecodeCyclesPerFold { get; init; }

    [Description("Metadata bits per stored non-zero (per non-zero block for block-CSR).")]
    public int IndexBits { get; init; }

    [Description("Bits per row pointer (one per filter, or per block row, plus one); 0 = no pointers.")]
    public int PointerBits { get; init; }

    [Description("Weights along K covered by one first-level bitmap bit; 0 = no bitmap.")]
    public int BitmapBlock { get; init; }

    [Description("Block shape FILTERSxREDUCTION, e.g. 1x4 (4 consecutive reduction elements of one filter) or 4x1; 1x1 = element-wise.")]
    public string BlockShape { get; init; } = "1x1";

    [Description("Load imbalance over the array columns: balanced (factor 1) or binomial (expected maximum of the per-column non-zero counts).")]
    public string Imbalance { get; init; } = "binomial";

    /// <summary>Block extent along the filters.</summary>
    public int BlockN => ParseShape(BlockShape).N;

    /// <summary>Block extent along the reduction.</summary>
    public int BlockK => ParseShape(BlockShape).K;

    public void Validate(string path)
    {
        ConfigChecks.InRange(DecodeCyclesPerFold, 0, 1_000_000, ConfigChecks.Join(path, "decodeCyclesPerFold"));
        ConfigChecks.InRange(IndexBits, 0, 64, ConfigChecks.Join(path, "indexBits"));
        ConfigChecks.InRange(PointerBits, 0, 64, ConfigChecks.Join(path, "pointerBits"));
        ConfigChecks.InRange(BitmapBlock, 0, 65536, ConfigChecks.Join(path, "bitmapBlock"));
        ConfigChecks.OneOf(Imbalance, ConfigChecks.Join(path, "imbalance"), "balanced", "binomial");
        (int n, int k) = ParseShape(BlockShape);
        if (n < 1 || k < 1 || n > 256 || k > 256)
        {
            throw new ConfigException(ConfigChecks.Join(path, "blockShape"), $"expected FILTERSxREDUCTION with both in 1..256, e.g. 1x4 (got \"{BlockShape}\")");
        }
    }

    private static (int N, int K) ParseShape(string shape)
    {
        string[] parts = shape.Split('x', 'X');
        return parts.Length == 2
            && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
            && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k)
            ? (n, k)
            : (0, 0);
    }
}

/// <summary>Activation zero skipping ("dual sparsity"); whether Antoum does it is not confirmed.</summary>
public sealed record ActivationSparsityConfig
{
    [Description("Share of activations that are zero, in percent; 0 turns activation skipping off.")]
    public int ZeroFractionPercent { get; init; }

    [Description("Share of the zero activations the array actually skips, in percent.")]
    public int SkipEfficiencyPercent { get; init; } = 100;

    public void Validate(string path)
    {
        ConfigChecks.InRange(ZeroFractionPercent, 0, 99, ConfigChecks.Join(path, "zeroFractionPercent"));
        ConfigChecks.InRange(SkipEfficiencyPercent, 0, 100, ConfigChecks.Join(path, "skipEfficiencyPercent"));
    }
}

/// <summary>An on-chip SRAM buffer: capacity, banks, ports per bank, and bytes per cycle per port.</summary>
public sealed record SramConfig
{
    [Description("Capacity of one buffer instance.")]
    public ByteSize Capacity { get; init; } = new(56_000);

    [Description("Independent banks.")]
    public int Banks { get; init; } = 4;

    [Description("Ports per bank (simultaneous accesses per cycle).")]
    public int Ports { get; init; } = 2;

    [Description("Bytes per cycle per port; also the bank interleave width (consecutive words of this size go to consecutive banks).")]
    public int BytesPerCycle { get; init; } = 128;

    [Description("Access latency in core cycles, request to data.")]
    public int LatencyCycles { get; init; } = 1;

    /// <summary>Peak bytes per cycle of one instance: banks x ports x bytes per cycle per port.</summary>
    public int PeakBytesPerCycle => Banks * Ports * BytesPerCycle;

    public void Validate(string path)
    {
        ConfigChecks.Positive(Capacity.Bytes, Capacity.ToString(), ConfigChecks.Join(path, "capacity"));
        ConfigChecks.InRange(Banks, 1, 1024, ConfigChecks.Join(path, "banks"));
        ConfigChecks.InRange(Ports, 1, 16, ConfigChecks.Join(path, "ports"));
        ConfigChecks.InRange(BytesPerCycle, 1, 65536, ConfigChecks.Join(path, "bytesPerCycle"));
        ConfigChecks.InRange(LatencyCycles, 0, 1_000_000, ConfigChecks.Join(path, "latencyCycles"));
        if (Capacity.Bytes % (ulong)Banks != 0)
        {
            throw new ConfigException(ConfigChecks.Join(path, "banks"), $"capacity {Capacity} must divide evenly into {Banks} banks");
        }
    }
}

/// <summary>Off-chip DRAM of one chip.</summary>
public sealed record DramConfig
{
    [Description("Memory type (informational), e.g. LPDDR4x.")]
    public string Type { get; init; } = "LPDDR4x";

    [Description("Capacity per chip.")]
    public ByteSize Capacity { get; init; } = new(20_000_000_000);

    [Description("Timing model of each interface: lpddr4x (the device model of timing and organisation) or bandwidth (bandwidth / interfaces plus latency, for sweeps of raw bandwidth).")]
    public string Model { get; init; } = "lpddr4x";

    [Description("Peak bandwidth per chip, all interfaces together (the interface rate of the bandwidth model; informational with lpddr4x, whose peak follows from timing and organisation).")]
    public Bandwidth Bandwidth { get; init; } = new(82_000_000_000);

    [Description("DDR interfaces per chip (one per cluster).")]
    public int Interfaces { get; init; } = 4;

    [Description("Controller, PHY and on-chip path latency of a DRAM access: the whole latency with the bandwidth model, added to the device timing with lpddr4x.")]
    public Duration Latency { get; init; } = new(100_000);

    [Description("LPDDR4x device timing of each interface (JESD209-4B parameters of one speed grade).")]
    public DramTimingConfig Timing { get; init; } = new();

    [Description("Organisation of each interface: channels, ranks, banks, page size, address mapping.")]
    public DramOrganisationConfig Organisation { get; init; } = new();

    [Description("Request scheduler of the queued mode: FCFS (arrival order) or FRFCFS (row hits first, then arrival order).")]
    public string Scheduler { get; init; } = "FRFCFS";

    [Description("Refresh: allBank (REFab every tRefi per rank, blocking it for tRfcAb; deterministic from time 0) or off.")]
    public string Refresh { get; init; } = "allBank";

    /// <summary>Peak bandwidth of one interface: bandwidth / interfaces, rounded down to whole B/s.</summary>
    public Bandwidth BandwidthPerInterface => new(Bandwidth.BytesPerSecond / (ulong)Math.Max(1, Interfaces));

    public void Validate(string path)
    {
        ConfigChecks.OneOf(Model, ConfigChecks.Join(path, "model"), "lpddr4x", "bandwidth");
        ConfigChecks.NotEmpty(Type, ConfigChecks.Join(path, "type"));
        ConfigChecks.Positive(Capacity.Bytes, Capacity.ToString(), ConfigChecks.Join(path, "capacity"));
        ConfigChecks.Positive(Bandwidth.BytesPerSecond, Bandwidth.ToString(), ConfigChecks.Join(path, "bandwidth"));
        ConfigChecks.InRange(Interfaces, 1, 64, ConfigChecks.Join(path, "interfaces"));
        Timing.Validate(ConfigChecks.Join(path, "timing"));
        Organisation.Validate(ConfigChecks.Join(path, "organisation"), Timing.BurstLength);
        ConfigChecks.OneOf(Scheduler, ConfigChecks.Join(path, "scheduler"), DramSchedulerNames.All);
        ConfigChecks.OneOf(Refresh, ConfigChecks.Join(path, "refresh"), "allBank", "off");

        // The speed grade and organisation are assumed (not published); the stated per-chip bandwidth is the only
        // hard figure. Their peak must stay within a factor of four of it, which catches unit slips (kT/s for MT/s).
        UInt128 peak = (UInt128)TimingPeakPerInterface * (ulong)Interfaces;
        if (peak * 4 < Bandwidth.BytesPerSecond || peak > (UInt128)Bandwidth.BytesPerSecond * 4)
        {
            throw new ConfigException(ConfigChecks.Join(path, "timing.dataRate"),
                $"interfaces x channelsPerInterface x channelWidth/8 x dataRate = {new Bandwidth((ulong)peak)} must be within a factor of 4 of the stated chip.dram.bandwidth {Bandwidth}");
        }
    }

    /// <summary>Peak bandwidth of one interface from the timing model, in B/s: channels x burst bytes per
    /// BL/2 clock cycles of tCK (tCK rounded up to whole ps, so slightly below channels x width/8 x dataRate).</summary>
    public ulong TimingPeakPerInterface
    {
        get
        {
            ulong tck = Timing.ClockPeriodPs;
            ulong burstPs = tck * (ulong)(Timing.BurstLength / 2);
            return burstPs == 0 ? 0 : (ulong)((UInt128)(ulong)Organisation.ChannelsPerInterface * (ulong)Organisation.BurstBytes(Timing.BurstLength) * 1_000_000_000_000UL / burstPs);
        }
    }
}

/// <summary>The on-chip network between clusters.</summary>
public sealed record NocConfig
{
    [Description("Topology; only \"ring\" is modelled: a bidirectional ring of the clusters, one link per neighbour per direction.")]
    public string Topology { get; init; } = "ring";

    [Description("Width of one link per direction (bytes moved per NoC cycle).")]
    public ByteSize LinkWidth { get; init; } = new(256);

    [Description("Clock of the NoC links.")]
    public Frequency Clock { get; init; } = new(800_000_000);

    [Description("Latency of one hop (router plus wire).")]
    public Duration HopLatency { get; init; } = new(5_000);

    [Description("Flit buffers (credits) per link per direction; one flit = one link width. A link sustains at most credits x width per credit round trip (2 x hop latency).")]
    public int Credits { get; init; } = 8;

    /// <summary>Bandwidth of one link per direction: width x clock.</summary>
    public Bandwidth LinkBandwidth => new(LinkWidth.Bytes * Clock.Hertz);

    public void Validate(string path)
    {
        ConfigChecks.OneOf(Topology, ConfigChecks.Join(path, "topology"), "ring");
        ConfigChecks.Positive(LinkWidth.Bytes, LinkWidth.ToString(), ConfigChecks.Join(path, "linkWidth"));
        if (LinkWidth.Bytes > 65536)
        {
            throw new ConfigException(ConfigChecks.Join(path, "linkWidth"), $"must be <= 64KiB (got {LinkWidth})");
        }

        ConfigChecks.Positive(Clock.Hertz, Clock.ToString(), ConfigChecks.Join(path, "clock"));
        ConfigChecks.InRange(Credits, 1, 1024, ConfigChecks.Join(path, "credits"));
    }
}

/// <summary>Vector processing unit: SIMD lanes for element-wise and reduction work.</summary>
public sealed record VpuConfig
{
    [Description("SIMD lanes (INT8 elements per cycle).")]
    public int Lanes { get; init; } = 448;

    [Description("Operations per lane per cycle (2 = one multiply-add).")]
    public int OpsPerLanePerCycle { get; init; } = 2;

    [Description("Pipeline latency in cycles of one vector instruction.")]
    public int PipelineLatency { get; init; } = 4;

    [Description("Indexed elements gathered or scattered per cycle.")]
    public int GatherElementsPerCycle { get; init; } = 16;

    [Description("Cycles per element group (one group = lanes INT8 elements, lanes / bf16Factor BF16 elements) per op class.")]
    public VpuOpCostsConfig OpCosts { get; init; } = new();

    public void Validate(string path)
    {
        ConfigChecks.InRange(Lanes, 1, 65536, ConfigChecks.Join(path, "lanes"));
        ConfigChecks.InRange(OpsPerLanePerCycle, 1, 64, ConfigChecks.Join(path, "opsPerLanePerCycle"));
        ConfigChecks.InRange(PipelineLatency, 0, 1_000_000, ConfigChecks.Join(path, "pipelineLatency"));
        ConfigChecks.InRange(GatherElementsPerCycle, 1, 65536, ConfigChecks.Join(path, "gatherElementsPerCycle"));
        OpCosts.Validate(ConfigChecks.Join(path, "opCosts"));
        if (Lanes % OpCosts.Bf16Factor != 0)
        {
            throw new ConfigException(ConfigChecks.Join(path, "opCosts.bf16Factor"), $"must divide vpu.lanes ({Lanes}) (got {OpCosts.Bf16Factor})");
        }
    }
}

/// <summary>The chip's control CPU and global control.</summary>
public sealed record ControlConfig
{
    [Description("Time from a kernel launch command to the first instruction issued on the chip.")]
    public Duration LaunchOverhead { get; init; } = new(2_000_000);

    [Description("One-way latency of a sync message (signal, wait, barrier, launch) between an engine and the card's sync unit.")]
    public Duration SyncLatency { get; init; } = new(10_000);

    [Description("One-way latency of a signal or wait on a cluster-local token (c:tN) between an engine of a cluster and the cluster's sync unit.")]
    public Duration ClusterSyncLatency { get; init; } = new(2_000);

    public void Validate(string path)
    {
        if (LaunchOverhead.Picoseconds > 1_000_000_000_000)
        {
            throw new ConfigException(ConfigChecks.Join(path, "launchOverhead"), $"must be <= 1s (got {LaunchOverhead})");
        }

        if (SyncLatency.Picoseconds > 1_000_000_000)
        {
            throw new ConfigException(ConfigChecks.Join(path, "syncLatency"), $"must be <= 1ms (got {SyncLatency})");
        }

        if (ClusterSyncLatency.Picoseconds > 1_000_000_000)
        {
            throw new ConfigException(ConfigChecks.Join(path, "clusterSyncLatency"), $"must be <= 1ms (got {ClusterSyncLatency})");
        }
    }
}
