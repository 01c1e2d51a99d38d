using Antoum.Isa;

namespace Antoum.Firmware.Compiler;

/// <summary>How a model is mapped onto the clusters of a chip (the runtime's "cores").</summary>
public enum PartitionMode
{
    /// <summary>One model instance per cluster: the batch is split over chips, then over clusters.</summary>
    PerCluster,

    /// <summary>One model split over the clusters of a chip: each layer's output tiles are dealt over every SPU of the chip.</summary>
    Split,

    /// <summary>The same input goes to every cluster; each cluster computes a slice of every layer's output columns (its slice of the weights).</summary>
    Broadcast,
}

/// <summary>
/// What the compiler needs to know about the card: a plain record filled by the simulator from its configuration
/// (the compiler never sees the configuration format).
/// </summary>
public sealed record CompileTarget
{
    public string Sku { get; init; } = "S4";

    public int Chips { get; init; } = 1;

    public int Clusters { get; init; } = 4;

    public int SpusPerCluster { get; init; } = 8;

    /// <summary>MAC array rows (the minimal tile's reduction depth).</summary>
    public int ArrayRows { get; init; } = 16;

    /// <summary>MAC array columns (the minimal tile's output columns).</summary>
    public int ArrayCols { get; init; } = 32;

    public long L1Bytes { get; init; } = 56 * 1000;

    public long L2Bytes { get; init; } = 4L * 1024 * 1024;

    /// <summary>Capacity behind one DRAM interface (one interface per cluster).</summary>
    public long DramBytesPerInterface { get; init; } = 5_000_000_000;

    public long DmaBurstBytes { get; init; } = 4096;

    /// <summary>
    /// DMA channels per cluster (engines dma.K.C, each with its own in-order queue). SPU s's operand loads and output
    /// drains go to channel s % min(channels, SPUs); every other copy goes to channel 0, except that with more
    /// channels than SPUs channel SPUs (dma.K.8 on an 8-SPU cluster) is the prefetch queue of the weight stage
    /// (<see cref="CompileOptions.Prefetch"/>).
    /// </summary>
    public int DmaChannels { get; init; } = 1;

    /// <summary>
    /// DMA queues beyond <see cref="DmaChannels"/> that carry host copies in multi-batch (offline) programs (engines
    /// dma.0.C and dma.0.C+1 of each chip, C = DmaChannels); fewer than 2: only single-batch programs compile.
    /// </summary>
    public int HostQueues { get; init; }

    /// <summary>Fixed cycles of one DMA copy L2 → L1 (descriptor setup plus the path latency), for the tiling cost model.</summary>
    public long DmaCopyCycles { get; init; } = 24;

    /// <summary>Bytes per cycle of one DMA copy into one SPU's L1 (the slower of the L1 and the crossbar), for the tiling cost model.</summary>
    public long DmaBytesPerCycle { get; init; } = 512;

    /// <summary>
    /// Bytes per cycle of one cluster's DRAM interface, for the tiling cost model of split mode (activations in DRAM);
    /// 0: not modelled (every copy at <see cref="DmaBytesPerCycle"/>).
    /// </summary>
    public double DramBytesPerCycle { get; init; }

    /// <summary>Cycles of one token signal or wait between engines of a cluster, for the tiling cost model.</summary>
    public long SyncCycles { get; init; } = 9;

    /// <summary>
    /// The card has a sync unit per cluster: tokens between engines of one cluster are emitted cluster-local
    /// (<c>c:tN</c>); the chip end token, launches and barriers stay with the card's sync unit. False: every token is
    /// chip-scoped.
    /// </summary>
    public bool ClusterTokens { get; init; }

    /// <summary>
    /// Cycles of one matmul on one SPU (M, N, K, precision, flags), for the tiling cost model; the simulator passes its
    /// SPU timing model. Null: a weight-stationary fold estimate (⌈⌈K/ratio⌉/rows⌉·⌈N/cols⌉ folds of 2·rows + cols + M − 2).
    /// </summary>
    public Func<long, long, long, Precision, SpuFlags, long>? SpuCycles { get; init; }

    /// <summary>
    /// Stored bytes (values + metadata) of a K × N weight tile (K, N, element bytes, flags) in the SPU's sparse format;
    /// the simulator passes its format model so the compiler moves what the SPU reads. Null: <see cref="Lowering.WeightTileBytes"/>.
    /// </summary>
    public Func<long, long, int, SpuFlags, long>? WeightTileBytes { get; init; }

    /// <summary>Null when the numbers are usable, else what is wrong.</summary>
    public string? Check()
    {
        if (Chips < 1 || Chips > IsaLimits.MaxChips)
        {
            return $"chips must be 1..{IsaLimits.MaxChips}";
        }

        if (Clusters < 1 || Clusters > IsaLimits.ClustersPerChip)
        {
            return $"clusters must be 1..{IsaLimits.ClustersPerChip}";
        }

        if (SpusPerCluster < 1 || SpusPerCluster > IsaLimits.SpusPerCluster)
        {
            return $"SPUs per cluster must be 1..{IsaLimits.SpusPerCluster}";
        }

        if (DmaChannels < 1 || DmaChannels > IsaLimits.MaxDmaChannels)
        {
            return $"DMA channels per cluster must be 1..{IsaLimits.MaxDmaChannels}";
        }

        if (HostQueues < 0 || DmaChannels + HostQueues > IsaLimits.MaxDmaChannels)
        {
            return $"DMA channels plus host queues per cluster must be at most {IsaLimits.MaxDmaChannels}";
        }

        if (ArrayRows < 1 || ArrayCols < 1 || L1Bytes < 1 || L2Bytes < 1 || DramBytesPerInterface < 1 || DmaBurstBytes < 1)
        {
            return "array shape, capacities and burst size must be positive";
        }

        return null;
    }
}

/// <summary>Compiler options.</summary>
public sealed record CompileOptions
{
    /// <summary>Partition mode; null picks the default for the graph (split for transformers, perCluster otherwise).</summary>
    public PartitionMode? Mode { get; init; }

    /// <summary>Copy each cluster's input share from host memory at the start and its output back at the end.</summary>
    public bool HostTransfers { get; init; } = true;

    /// <summary>perCluster: run the whole network per micro-batch with activations in L2 (docs/compiler.md).</summary>
    public bool MicroBatching { get; init; } = true;

    /// <summary>
    /// split mode: stage each weight-bearing GEMM's weights DRAM → L2 once per layer in every cluster (activations stay in
    /// DRAM), so the tiles read them over the crossbar instead of re-reading DRAM once per M tile (docs/compiler.md).
    /// </summary>
    public bool SplitWeightStage { get; init; } = true;

    /// <summary>
    /// split mode, with <see cref="SplitWeightStage"/>: the tiling cost model charges activation copies to the cluster's
    /// DRAM interface and counts the activation tile an SPU keeps across a row's weight tiles (docs/compiler.md).
    /// </summary>
    public bool SplitTileModel { get; init; } = true;

    /// <summary>
    /// Groups dealt N fastest (the activation tile stays while weight tiles stream) emit their DMA steps as loops over
    /// whole periods of the repeating copy pattern; false: only runs of identical steps become loops (same executed
    /// copies either way, a test compares them).
    /// </summary>
    public bool PeriodicLoops { get; init; } = true;

    /// <summary>Skip operand copies into an SPU buffer that already holds that operand (weight / activation tile reuse, docs/compiler.md).</summary>
    public bool OperandReuse { get; init; } = true;

    /// <summary>
    /// Conv layers with a filter wider than 1×1 or a stride may use window tiles (the input rows under a strip of output
    /// rows in L1, the SPU's <c>conv</c>; docs/compiler.md) where the cost model prefers them. False: im2col tiles only.
    /// </summary>
    public bool WindowTiles { get; init; } = true;

    /// <summary>
    /// perCluster, micro-batched: stage each layer's weights DRAM → L2 ahead, on the cluster's prefetch queue (a spare
    /// DMA channel, present when the target has more DMA channels than SPUs per cluster), into a double-buffered L2
    /// weight stage while the previous layer computes (docs/compiler.md). A segment whose L2 budget cannot hold the
    /// second buffer without more micro-batch passes stages synchronously on channel 0, as without this option.
    /// </summary>
    public bool Prefetch { get; init; } = true;

    /// <summary>
    /// With <see cref="Prefetch"/>: the weight stage of a segment is a ring in the L2 its micro-batch's activations
    /// leave free instead of two buffers, so the prefetch queue stages several layers ahead (the weight-heavy layers'
    /// DRAM reads overlap the compute of earlier layers with light weights; docs/compiler.md). False: two buffers.
    /// </summary>
    public bool WeightLookahead { get; init; } = true;

    /// <summary>
    /// With <see cref="WeightLookahead"/>: each micro-batch's prefetch queue stages the micro-batch's first weight
    /// tensor, then waits until channel 0 has read the micro-batch's input DRAM → L2 before staging the rest, so the
    /// input read (on the critical path: the first layer waits for it) has the DRAM interface to itself instead of
    /// sharing it with stagings needed only later (docs/compiler.md). False: the queue runs ahead regardless.
    /// </summary>
    public bool InputBeforeLookahead { get; init; } = true;

    /// <summary>
    /// perCluster, micro-batched, with a prefetch queue: the next micro-batch's segment input is copied DRAM → L2 on
    /// the cluster's prefetch queue while the current micro-batch computes, into the other of two L2 input buffers (two
    /// residual regions when the input is the segment's first residual), in chunks between the weight stages
    /// (docs/compiler.md). Taken per segment only when the second buffer costs no extra micro-batch pass. False: each
    /// micro-batch's input is staged on channel 0 at its start.
    /// </summary>
    public bool PrefetchInput { get; init; } = true;

    /// <summary>
    /// Residual-add fusion (perCluster, micro-batched; docs/compiler.md): an add/mul right after a single-phase conv or
    /// GEMM runs on the cluster's VPU tile by tile as the producer's output tiles are drained to L2 (one token per DMA
    /// channel, signalled after each drain landed), overlapping the SPUs' later tiles; the add layer keeps only the
    /// wait for the VPU's last tile.
    /// </summary>
    public bool FuseElementwise { get; init; } = true;

    /// <summary>
    /// Fuse a window pool (max or avg, VPU copy + max/add passes) into the conv or GEMM before it (perCluster
    /// micro-batches, docs/compiler.md "Fused pooling"): the VPU pools each block of output rows as soon as the
    /// producer's drains covering the block's input rows (halo included) have landed, overlapping the SPUs' later
    /// tiles; the pool layer keeps only the wait for the VPU's last block.
    /// </summary>
    public bool FusePool { get; init; } = true;

    /// <summary>
    /// Keep the network's last weight-bearing layer (the classifier) in a resident L2 region for the whole program
    /// when every segment still fits the L2 without it with the same micro-batch and prefetch (timing compiles,
    /// perCluster micro-batches; docs/compiler.md "Resident classifier weights"): its weights are copied DRAM → L2
    /// once per program instead of once per micro-batch.
    /// </summary>
    public bool ResidentWeights { get; init; } = true;

    /// <summary>
    /// Tests only: the fused VPU does not wait for each tile's drain before adding its region, so it can read a
    /// region before the producer wrote it; functional tests show that the comparison then fails.
    /// </summary>
    public bool FuseWithoutDrainWaitForTest { get; init; }

    /// <summary>
    /// Tests only: channel 0 does not wait for the prefetched segment input to land before the micro-batch's first
    /// layer reads it; functional tests show that the comparison then fails.
    /// </summary>
    public bool PrefetchInputWithoutReadyWaitForTest { get; init; }

    /// <summary>
    /// Tests only: the prefetch queue does not wait for the stage buffer to be released before overwriting it, so a
    /// layer's weights can be replaced while its tiles still read them; functional tests show that the comparison fails.
    /// </summary>
    public bool PrefetchWithoutFreeTokenForTest { get; init; }

    /// <summary>
    /// Tests only: operand reuse keyed by tile indices within a tile class (the keys before session 4), which lets an
    /// edge tile skip the copy of a full tile's operand; functional tests show that the comparison then fails.
    /// </summary>
    public bool ReuseKeysWithoutClassForTest { get; init; }

    /// <summary>
    /// Functional compile (docs/functional.md): weights and requantization per layer. The program then has no loops,
    /// exact addresses for every tile, packed weights and a <see cref="CompileResult.Tensors"/> map. Null: timing compile.
    /// </summary>
    public FunctionalData? Data { get; init; }

    /// <summary>
    /// Batches run back to back by one program (the offline scenario, docs/validation.md): 1 (default) compiles one
    /// batch exactly as before; N &gt; 1 adds two host queues per chip: one streams the next batches' inputs into free
    /// DRAM input buffers (<see cref="InputBuffers"/> per cluster) while the clusters compute, one copies each batch's
    /// output back and signals its completion (<see cref="CompileResult.Completion"/>). Timing compiles only; needs
    /// <see cref="CompileTarget.HostQueues"/> ≥ 2.
    /// </summary>
    public int Batches { get; init; } = 1;

    /// <summary>DRAM input (and output) buffers per cluster in a multi-batch program: 2 = double buffering.</summary>
    public int InputBuffers { get; init; } = 2;

    public static CompileOptions Default { get; } = new();
}

/// <summary>A graph that cannot be compiled for the target (a layer too big for its buffers, a bad batch, …).</summary>
public sealed class CompileException : Exception
{
    public CompileException()
    {
    }

    public CompileException(string message)
        : base(message)
    {
    }

    public CompileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>The compiled program, its report and the layer → instruction map.</summary>
public sealed record CompileResult(AkpProgram Program, CompileReport Report, LayerMap Layers)
{
    /// <summary>Where the tensors live (functional compiles only; null otherwise).</summary>
    public TensorMap? Tensors { get; init; }

    /// <summary>Multi-batch programs: how the host learns that a batch is done (null for single-batch programs).</summary>
    public BatchCompletion? Completion { get; init; }
}

/// <summary>
/// How a multi-batch program reports batch completions: after batch b's output has landed in host memory, each of
/// <paramref name="SignalsPerBatch"/> host queues signals card-wide (global) token <paramref name="FirstToken"/> + b;
/// batch b is done when the last of them has.
/// </summary>
public sealed record BatchCompletion(int FirstToken, int Batches, int SignalsPerBatch, int InputBuffers);

/// <summary>The instruction index range [Start, End) of one layer in one stream.</summary>
public readonly record struct LayerSpan(int Layer, string LayerName, EngineId Engine, int Start, int End);

/// <summary>For each layer, per stream, the instruction index ranges that belong to it.</summary>
public sealed class LayerMap
{
    private readonly List<LayerSpan> _spans;

    public LayerMap(IReadOnlyList<string> layerNames, List<LayerSpan> spans)
    {
        LayerNames = layerNames;
        _spans = spans;
    }

    public IReadOnlyList<string> LayerNames { get; }

    /// <summary>Every span, ordered by stream emission (per stream, in instruction order).</summary>
    public IReadOnlyList<LayerSpan> Spans => _spans;

    /// <summary>Spans of layer <paramref name="layer"/> (index in the graph).</summary>
    public IEnumerable<LayerSpan> Of(int layer) => _spans.Where(s => s.Layer == layer);

    /// <summary>The layer that instruction <paramref name="index"/> of <paramref name="engine"/>'s stream belongs to, or -1.</summary>
    public int LayerAt(EngineId engine, int index)
    {
        foreach (LayerSpan s in _spans)
        {
            if (s.Engine == engine && index >= s.Start && index < s.End)
            {
                return s.Layer;
            }
        }

        return -1;
    }
}
