using Antoum.Firmware.Workloads;
using Antoum.Isa;

namespace Antoum.Firmware.Compiler;

/// <summary>One compilation: memory layout, partition, per-layer lowering and emission (rules in docs/compiler.md).</summary>
internal sealed partial class CompileSession
{
    // Tokens (chip-scoped). SPU slot (cluster k, SPU s): base (k*8+s)*8: full0, full1, free0, free1, cready0, cready1, cfree0, cfree1.
    private const int ClusterTokenBase = 256;
    private const int VpuGo = 0, VpuDone = 1, SfaGo = 2, SfaDone = 3, VpuToSfa = 4, SfaToVpu = 5;
    private const int ChipEndToken = 300;

    // Prefetch queue of the weight stage (cluster tokens 6 and 7, and StageGoBase + k): stage buffer landed (queue →
    // channel 0), stage buffer released (channel 0 → queue, pre-signalled twice), segment start (channel 0 → queue).
    private const int StageReady = 6, StageFree = 7;
    private const int StageGoBase = 304;

    // Weight ring with CompileOptions.InputBeforeLookahead: the micro-batch's input has landed in L2 (channel 0 → the
    // prefetch queue, InputInBase + k), so the queue resumes staging.
    private const int InputInBase = 308;

    // Segment input prefetch (cluster k: InputTokenBase + 2k + which): input buffer landed (prefetch queue → channel
    // 0), input buffer released (channel 0 → queue, after the micro-batch that read it; pre-signalled once per segment).
    private const int InputTokenBase = 3072;
    private const int InReady = 0, InFree = 1;

    // Resident weights: the initial DRAM → L2 copy landed (prefetch queue → channel 0), ResidentTokenBase + k.
    private const int ResidentTokenBase = 312;
    private const int MaxSearchChunks = 512;

    // Multi-batch (offline) programs: chip-scoped tokens between cluster k's host queues and its channel 0, per DRAM
    // buffer (HostTokenBase + k·32 + kind·8 + buffer), and the card-wide completion token of batch b (CompletionTokenBase + b).
    private const int HostTokenBase = 320;
    private const int HostInReady = 0, HostInFree = 1, HostOutReady = 2, HostOutFree = 3;
    private const int CompletionTokenBase = 1024;

    /// <summary>Most batches one multi-batch program runs (the completion tokens of the card-wide space).</summary>
    public const int MaxBatches = 1024;

    /// <summary>Most DRAM input buffers per cluster in a multi-batch program.</summary>
    public const int MaxInputBuffers = 8;

    // Barrier ids (card-wide) of the cluster fences: the DMA channels of cluster (c, k) meet at FenceBarrierBase + c·4 + k.
    private const int FenceBarrierBase = 64;

    /// <summary>Fused elementwise layers: cluster token per (cluster, DMA channel), signalled after each drain landed.</summary>
    private const int FuseTokenBase = 3584;

    private readonly WorkloadGraph _graph;
    private readonly int _batch;
    private readonly CompileTarget _t;
    private readonly CompileOptions _options;
    private readonly PartitionMode _mode;
    private readonly long[] _chipSamples;
    private readonly long[][] _clusterSamples;
    private readonly StreamBuilder?[] _cpu;
    private readonly StreamBuilder?[,] _dma;
    private readonly StreamBuilder?[,,] _dmaCh;
    private readonly int _channels;
    private readonly int[,][] _fenceAt;
    private readonly StreamBuilder?[,,] _spu;
    private readonly StreamBuilder?[,] _vpu;
    private readonly StreamBuilder?[,] _sfa;
    private readonly StreamBuilder?[,] _stage;
    private readonly int[,] _stageParity;

    // Weight-stage ring (CompileOptions.WeightLookahead): per cluster, the staging index within the micro-batch and
    // the free tokens the prefetch queue has signalled to itself (2 for the double buffer, P for a ring segment).
    private readonly int[,] _stageSeq;
    private readonly int[,] _stageCredit;
    private readonly bool[,] _inputWaitPending;
    private RingPlan? _ring;
    private readonly int[,] _inParity;
    private readonly bool _prefetchQueue;
    private readonly StreamBuilder?[] _hostIn;
    private readonly StreamBuilder?[] _hostOut;
    private readonly int _batches;
    private readonly int _buffers;
    private readonly List<StreamBuilder> _order = [];
    private readonly SpuState[,,] _spuSide;
    private readonly SpuState[,,] _dmaSide;
    private readonly List<LayerReport> _reports = [];
    private readonly List<LayerSpan> _spans = [];

    // Memory layout (identical on every DRAM interface and L2).
    private readonly long _unitSamples;
    private ulong _weightsBase;
    private readonly List<ulong> _layerWeights = [];
    private Loc[] _dramAct = new Loc[2];
    private Loc _dramScratch;
    private Loc _dramTemp;
    private Loc[] _l2Act = new Loc[2];
    private Loc _l2Scratch;
    private long _hostBytes;

    // Multi-batch: the DRAM input and output buffers of each cluster, and the input of the batch being emitted.
    private Loc[] _dramIn = [];
    private Loc[] _dramOut = [];
    private Loc? _batchInput;

    // Micro-batching (perCluster): samples per micro-batch (0 = off), the L2 weight stage, the residual region and
    // the double-ended activation area; _only restricts emission to one cluster and sample count.
    private readonly List<long> _layerWeightBytes = [];
    private long _mb;
    private readonly List<Segment> _segments = [];
    private readonly Dictionary<(int Layer, GemmPhase Phase), GemmPlan> _plans = [];
    private bool _stageWeights;
    private bool _segmentStart;
    private bool _weightsFromL2;
    private Loc _l2Weights;
    private Loc[] _l2Stage = new Loc[2];
    private bool _prefetch;
    private readonly bool[] _stagedAhead = new bool[IsaLimits.ClustersPerChip];
    private Loc _l2Residual;

    // Segment input prefetch: the two L2 input buffers (or residual regions), the next micro-batch's input copy still
    // to be issued on the prefetch queue (chunks between weight stages), and the weight stages of this micro-batch.
    private Loc[] _l2InBuf = [];
    private Loc[] _l2ResBuf = [];
    private InputCopy? _inPending;
    private int _mbStages;

    // Cross-segment: this segment's last micro-batch copies the next segment's first input ahead (set per cluster and
    // segment by RunMicroBatches), and whether the current segment's first input was copied so.
    private bool _aheadNext;
    private readonly bool[,] _aheadDone;

    /// <summary>Resident weights (<see cref="CompileOptions.ResidentWeights"/>): the layer (-1: none) and its L2 region at the top of the L2.</summary>
    private int _residentLayer = -1;
    private Loc _l2Resident;
    private bool[,] _residentWaited = new bool[0, 0];
    private long _residentBytes, _residentPrefetched;
    private Loc _l2Area;
    private (int Chip, int K, long Samples)? _only;

    /// <summary>While a producer is emitted whose next layer (an add/mul) is fused: where its operands and result live.</summary>
    private FusePlan? _fuse;

    /// <summary>The add/mul layer whose VPU work was emitted during its producer (only its final wait remains).</summary>
    private int _fusedLayer = -1;
    private long _fusedInstructions;

    /// <summary>Per DMA channel, the producer's drains in the order the channel lands them, with their offsets.</summary>
    private List<(Drain Drain, long Offset)>[] _fuseDrains = [];

    /// <summary>A fused layer: an add/mul (Residual its second operand) or, with <see cref="Pool"/>, a window pool.</summary>
    private sealed record FusePlan(int Layer, Loc ProducerOut, Loc Out, Loc Residual)
    {
        /// <summary>The fused layer is a window pool over the producer's output (<see cref="FusedPoolOut"/>).</summary>
        public bool Pool { get; init; }

        /// <summary>Fused pool: the producer's N (elements per M row), to map pool input rows to its M tiles.</summary>
        public long ProducerN { get; init; }
    }

    private static int FuseToken(int k, int ch) => FuseTokenBase + (k * 64) + ch;

    public CompileSession(WorkloadGraph graph, int batch, CompileTarget target, CompileOptions options, PartitionMode mode)
    {
        _graph = graph;
        _batch = batch;
        _t = target;
        _options = options;
        _mode = mode;
        _batches = options.Batches;
        _buffers = options.InputBuffers;
        if (_batches < 1 || _batches > MaxBatches)
        {
            throw new CompileException($"batches must be 1..{MaxBatches} (got {_batches})");
        }

        if (_batches > 1)
        {
            if (options.Data is not null)
            {
                throw new CompileException("a multi-batch (offline) program is timing-only; functional runs compile one batch");
            }

            if (!options.HostTransfers)
            {
                throw new CompileException("a multi-batch (offline) program needs host transfers");
            }

            if (target.HostQueues < 2)
            {
                throw new CompileException($"target {target.Sku} has {target.HostQueues} host DMA queue(s) (chip.dma.hostQueues); a multi-batch (offline) program needs 2, one per direction");
            }

            if (_buffers < 2 || _buffers > MaxInputBuffers)
            {
                throw new CompileException($"input buffers must be 2..{MaxInputBuffers} (got {_buffers})");
            }
        }

        int chips = target.Chips, clusters = target.Clusters, spus = target.SpusPerCluster;
        _chipSamples = Compiler.Shares(batch, chips);
        _clusterSamples = _chipSamples.Select(s => Compiler.Shares(s, clusters)).ToArray();
        _unitSamples = mode == PartitionMode.PerCluster ? _clusterSamples.Max(c => c.Max()) : _chipSamples.Max();
        _cpu = new StreamBuilder?[chips];
        _dma = new StreamBuilder?[chips, clusters];
        _channels = Math.Max(1, Math.Min(target.DmaChannels, spus));
        _dmaCh = new StreamBuilder?[chips, clusters, _channels];
        _fenceAt = new int[chips, clusters][];
        _spu = new StreamBuilder?[chips, clusters, spus];
        _vpu = new StreamBuilder?[chips, clusters];
        _sfa = new StreamBuilder?[chips, clusters];
        _stage = new StreamBuilder?[chips, clusters];
        _stageParity = new int[chips, clusters];
        _stageSeq = new int[chips, clusters];
        _stageCredit = new int[chips, clusters];
        _inputWaitPending = new bool[chips, clusters];
        _inParity = new int[chips, clusters];
        _aheadDone = new bool[chips, clusters];
        _prefetchQueue = mode == PartitionMode.PerCluster && options.Prefetch && options.MicroBatching && target.DmaChannels > _channels;
        _hostIn = new StreamBuilder?[chips];
        _hostOut = new StreamBuilder?[chips];
        _spuSide = new SpuState[chips, clusters, spus];
        _dmaSide = new SpuState[chips, clusters, spus];
        for (int c = 0; c < chips; c++)
        {
            if (_chipSamples[c] == 0)
            {
                continue;
            }

            _cpu[c] = Add(new EngineId(EngineKind.Cpu, c, 0, 0));
            for (int k = 0; k < clusters; k++)
            {
                if (!ClusterActive(c, k))
                {
                    continue;
                }

                _dma[c, k] = Add(new EngineId(EngineKind.Dma, c, k, 0));
                _dmaCh[c, k, 0] = _dma[c, k];
                for (int ch = 1; ch < _channels; ch++)
                {
                    _dmaCh[c, k, ch] = Add(new EngineId(EngineKind.Dma, c, k, ch));
                }

                _fenceAt[c, k] = new int[_channels];
                for (int s = 0; s < spus; s++)
                {
                    _spu[c, k, s] = Add(new EngineId(EngineKind.Spu, c, k, s));
                    _spuSide[c, k, s] = new SpuState();
                    _dmaSide[c, k, s] = new SpuState();
                }

                _vpu[c, k] = Add(new EngineId(EngineKind.Vpu, c, k, 0));
                _sfa[c, k] = Add(new EngineId(EngineKind.Sfa, c, k, 0));
            }

            if (Multi)
            {
                // The chip's host queues, on cluster 0 past the compute channels: inputs in (dma.0.C, C = channels),
                // outputs back (dma.0.C+1); each serves the clusters in order, as a driver's one copy stream per direction.
                _hostIn[c] = Add(new EngineId(EngineKind.Dma, c, 0, target.DmaChannels));
                _hostOut[c] = Add(new EngineId(EngineKind.Dma, c, 0, target.DmaChannels + 1));
            }
        }
    }

    private readonly record struct Loc(MemSpace Space, ulong Base, long Size)
    {
        public MemRef At(long offset) => MemRef.Of(Space, Base + (ulong)offset);

        /// <summary>An address for an access of <paramref name="extent"/> bytes, offset wrapped into the region.</summary>
        public MemRef Wrapped(long offset, long extent) => At(Size <= extent ? 0 : offset % (Size - extent + 1));

        public string Name => Space == MemSpace.L2 ? "l2" : "dram";
    }

    private sealed class SpuState
    {
        public int Parity;
        public int CParity;
        public Drain? Pending;
    }

    private sealed record Drain(long Bytes, int CBuffer, ulong COffset, MemRef Dst)
    {
        /// <summary>Functional compiles: the tile lands as Rows rows of Bytes / Rows bytes, DstStride apart.</summary>
        public long Rows { get; init; } = 1;

        public long DstStride { get; init; }

        /// <summary>Fused add/mul: the tile's M × N elements, its position, the phase's N tiles and the tile's column offset in bytes.</summary>
        public long TileRows { get; init; }

        public long TileCols { get; init; }

        public (long Problem, long Mi, long Ni) Pos { get; init; }

        public long NTiles { get; init; }

        public long ColBytes { get; init; }

        /// <summary>Fused pool: the tile's first M row in the phase (M tile index × the plan's mt).</summary>
        public long MStart { get; init; }
    }

    /// <summary>
    /// Tiles of one shape: MCount × NCount tiles per problem (Count over all problems), each with its K chunks; the
    /// class's first M and N tile indices (MFirst, NFirst) among the phase's MTiles × NTiles tiles per problem.
    /// </summary>
    private sealed record TileClass(long M, long N, long[] Chunks, long Count, long MCount, long NCount, long MFirst, long NFirst, long MTiles, long NTiles);

    /// <summary>
    /// One round of a tile class: the slots that take a tile, the tile each takes (index in the class) and what the
    /// DMA copies for it (<see cref="LoadA"/> / <see cref="LoadW"/> bits per K chunk; a copy is skipped when the
    /// SPU's buffer already holds that operand).
    /// </summary>
    private sealed record Step(int Class, int[] Slots, long[] Tiles, int[] Masks, bool MFastest);

    private const int LoadA = 1, LoadW = 2;

    /// <summary>Load bits of chunk <paramref name="j"/> in a step mask (chunks beyond the second always load both).</summary>
    private static int ChunkMask(int mask, int j) => j < 2 ? (mask >> (2 * j)) & 3 : LoadA | LoadW;

    private sealed record GemmPlan(long Mt, long Nt, long Kt, long ABytes, long WBytes, long CBytes, int OutBytes, int ElementBytes, Precision Prec, SpuFlags Flags)
    {
        /// <summary>
        /// Window (conv strip) tile: the DMA copies the input rows under the tile's output pixels into L1 and the SPU runs
        /// <c>conv</c> on them (implicit im2col), K chunks split the channels. False: im2col rows and <c>matmul</c>.
        /// </summary>
        public bool Window { get; init; }

        /// <summary>Window tiles: output rows per tile (a strip of one sample), 0 when a tile is whole samples.</summary>
        public long WinRows { get; init; }

        /// <summary>Window tiles: input channels per K chunk (Kt = R·S·Cc).</summary>
        public long Cc { get; init; }

        public ulong A(int b) => (ulong)(b * (ABytes + WBytes));

        public ulong W(int b) => (ulong)((b * (ABytes + WBytes)) + ABytes);

        public ulong C(int b) => (ulong)((2 * (ABytes + WBytes)) + (b * CBytes));

        public long L1Used => (2 * (ABytes + WBytes)) + (2 * CBytes);
    }

    private bool ClusterActive(int chip, int cluster) => _mode != PartitionMode.PerCluster || _clusterSamples[chip][cluster] > 0;

    private StreamBuilder Add(EngineId id)
    {
        var b = new StreamBuilder(id) { NoLoops = Fn, ClusterTokens = _t.ClusterTokens && id.Kind != EngineKind.Cpu };
        _order.Add(b);
        return b;
    }

    /// <summary>The DMA channel that moves SPU <paramref name="s"/>'s operands and outputs: channel s % channels.</summary>
    private StreamBuilder Chan(int chip, int k, int s) => _dmaCh[chip, k, s % _channels]!;

    /// <summary>
    /// Cluster fence: every DMA channel of cluster (<paramref name="chip"/>, <paramref name="k"/>) meets at the cluster's
    /// barrier, so copies issued before it on any channel have landed before any channel goes on (a DMA instruction
    /// completes when its last burst has landed). Skipped, unless <paramref name="force"/>, when no channel emitted
    /// anything since the last fence; a single channel needs none.
    /// </summary>
    private void Fence(int chip, int k, bool force = false)
    {
        if (_channels == 1 || _dma[chip, k] is null)
        {
            return;
        }

        int[] at = _fenceAt[chip, k];
        bool moved = force;
        for (int ch = 0; ch < _channels && !moved; ch++)
        {
            moved = _dmaCh[chip, k, ch]!.Count != at[ch];
        }

        if (!moved)
        {
            return;
        }

        for (int ch = 0; ch < _channels; ch++)
        {
            StreamBuilder b = _dmaCh[chip, k, ch]!;
            b.Barrier(FenceBarrierBase + (chip * IsaLimits.ClustersPerChip) + k, _channels);
            at[ch] = b.Count;
        }
    }

    private static int SlotToken(int k, int s, int which) => (((k * IsaLimits.SpusPerCluster) + s) * 8) + which;

    private static int ClusterToken(int k, int which) => ClusterTokenBase + (k * 8) + which;

    public CompileResult Run()
    {
        Layout();
        int chips = _t.Chips, clusters = _t.Clusters;
        if (_segments.Exists(g => g.Prefetch))
        {
            AddPrefetchQueues();
        }

        LoadResident();

        // Prologue: SPUs mark both operand buffers and both output buffers free; DMA engines bring the input from the host.
        ForEachSpu((c, k, s, b) =>
        {
            b.Signal(SlotToken(k, s, 2));
            b.Signal(SlotToken(k, s, 3));
            b.Signal(SlotToken(k, s, 6));
            b.Signal(SlotToken(k, s, 7));
        });
        long inPerUnit = Math.Max(1, _graph.InputBytesPerSample > 0 ? _graph.InputBytesPerSample : Lowering.InputElements(_graph.Layers[0]) * Lowering.ElementBytes(_graph.Layers[0]));
        long outPerUnit = Math.Max(1, _graph.OutputBytesPerSample > 0 ? _graph.OutputBytesPerSample : Lowering.OutputElements(_graph.Layers[^1]) * Lowering.ElementBytes(_graph.Layers[^1]));

        // Multi-batch (offline): each chip's input queue copies every batch's input, cluster by cluster, into the
        // cluster's DRAM buffer batch % buffers as soon as the batch that used the buffer before has ended there
        // (the harness keeps the card fed).
        if (Multi)
        {
            for (int c = 0; c < chips; c++)
            {
                if (_hostIn[c] is not { } h)
                {
                    continue;
                }

                for (int j = 0; j < _batches; j++)
                {
                    for (int k = 0; k < clusters; k++)
                    {
                        if (_dma[c, k] is not null)
                        {
                            HostInput(c, k, h, j, inPerUnit);
                        }
                    }
                }

                h.SignalChip(ChipEndToken);
            }
        }

        for (int batch = 0; batch < _batches; batch++)
        {
            bool last = batch == _batches - 1;
            int buf = batch % _buffers;
            Loc input = Multi ? _dramIn[buf] : _mb > 0 ? BoundaryLoc(-1) : _dramAct[1];
            _batchInput = Multi ? input : null;
            if (Fn)
            {
                FnHostInput(input, inPerUnit);
            }
            else if (Multi || _options.HostTransfers)
            {
                ForEachDma((c, k, d) =>
                {
                    if (Multi)
                    {
                        // The batch's input is in DRAM once the cluster's host queue says so.
                        d.WaitChip(HostToken(k, HostInReady, buf));
                        return;
                    }

                    long bytes = Math.Min(input.Size, HostShare(c, k) * inPerUnit);
                    if (bytes > 0)
                    {
                        d.Copy(input.At(0), MemRef.Of(MemSpace.Host, (ulong)(((c * clusters) + k) * input.Size)), bytes);
                        _hostBytes += bytes;
                    }
                });

                // split/broadcast: every cluster reads the whole chip's input, which the clusters copied in parts, so the
                // chip's DMA engines meet before the first layer (as in functional compiles).
                if (_mode != PartitionMode.PerCluster)
                {
                    ChipBarriers();
                }
            }

            Loc inLoc = input;
            if (_mb > 0)
            {
                RunMicroBatches();
                inLoc = _dramAct[0];
            }
            else
            {
                for (int li = 0; li < _graph.Layers.Count; li++)
                {
                    Layer layer = _graph.Layers[li];
                    Loc outLoc = OutputLocation(li);
                    EmitTracked(li, inLoc, outLoc, outLoc.Space == MemSpace.L2 ? ActBytes(layer, Lowering.OutputElements(layer)) : 0);
                    inLoc = outLoc;
                }
            }

            // Epilogue: the channels of each cluster meet (every drain has landed), channel 0 copies the results back to the
            // host (multi-batch: into a DRAM output buffer that the host queue copies back), then every DMA channel
            // reports to its chip's cpu.
            ForEachDma((c, k, d) =>
            {
                Fence(c, k);
                for (int ch = 1; ch < _channels && last; ch++)
                {
                    _dmaCh[c, k, ch]!.SignalChip(ChipEndToken);
                }

                if (last)
                {
                    _stage[c, k]?.SignalChip(ChipEndToken);
                }

                long bytes = Math.Min(inLoc.Size, HostShare(c, k) * outPerUnit);
                if (Fn)
                {
                    FnHostOutput(d, c, k, inLoc, outPerUnit);
                }
                else if (Multi)
                {
                    if (batch >= _buffers)
                    {
                        d.WaitChip(HostToken(k, HostOutFree, buf));
                    }

                    if (bytes > 0)
                    {
                        d.Copy(_dramOut[buf].At(0), inLoc.At(0), bytes);
                    }
                }
                else if (_options.HostTransfers && bytes > 0)
                {
                    ulong hostOut = (ulong)((chips * clusters * input.Size) + (((c * clusters) + k) * inLoc.Size));
                    d.Copy(MemRef.Of(MemSpace.Host, hostOut), inLoc.At(0), bytes);
                    _hostBytes += bytes;
                }

                if (!Multi)
                {
                    d.SignalChip(ChipEndToken);
                }
            });
            if (!Multi)
            {
                continue;
            }

            // split/broadcast: the clusters read each other's DRAM buffers, so the next batch starts only when every
            // cluster of the chip has staged its output (the last layer already ended with a chip barrier).
            if (_mode != PartitionMode.PerCluster)
            {
                ChipBarriers();
            }

            ForEachDma((c, k, d) =>
            {
                d.SignalChip(HostToken(k, HostInFree, buf));
                d.SignalChip(HostToken(k, HostOutReady, buf));
                if (last)
                {
                    d.SignalChip(ChipEndToken);
                }
            });

            // Each chip's output queue: the batch's output back to the host, cluster by cluster, then its completion.
            for (int c = 0; c < chips; c++)
            {
                if (_hostOut[c] is not { } h)
                {
                    continue;
                }

                for (int k = 0; k < clusters; k++)
                {
                    if (_dma[c, k] is null)
                    {
                        continue;
                    }

                    h.WaitChip(HostToken(k, HostOutReady, buf));
                    long bytes = Math.Min(_dramOut[buf].Size, HostShare(c, k) * outPerUnit);
                    if (bytes > 0)
                    {
                        ulong hostOut = (ulong)((chips * clusters * _dramIn[0].Size) + (((c * clusters) + k) * _dramOut[buf].Size));
                        h.Copy(MemRef.Of(MemSpace.Host, hostOut), new MemRef(MemSpace.Dram, MemRef.Local, k, MemRef.Local, _dramOut[buf].Base), bytes);
                        _hostBytes += bytes;
                    }

                    h.SignalChip(HostToken(k, HostOutFree, buf));
                }

                h.SignalGlobal(CompletionTokenBase + batch);
                if (last)
                {
                    h.SignalChip(ChipEndToken);
                }
            }
        }

        _batchInput = null;
        for (int c = 0; c < chips; c++)
        {
            StreamBuilder? cpu = _cpu[c];
            if (cpu is null)
            {
                continue;
            }

            int dmas = 0;
            foreach (StreamBuilder b in _order)
            {
                if (b.Engine.Chip == c && b.Engine.Kind != EngineKind.Cpu && (b.HasWork || b.Engine.Kind == EngineKind.Dma))
                {
                    cpu.Launch(b.Engine);
                    dmas += b.Engine.Kind == EngineKind.Dma ? 1 : 0;
                }
            }

            cpu.WaitChip(ChipEndToken, dmas);
        }

        var streams = new List<EngineStream>();
        var spans = new List<LayerSpan>();
        foreach (StreamBuilder b in _order)
        {
            if (b.Engine.Kind is EngineKind.Cpu or EngineKind.Dma || b.HasWork)
            {
                streams.Add(b.Finish());
                spans.AddRange(_spans.Where(s => s.Engine == b.Engine));
            }
        }

        if (_residentLayer >= 0)
        {
            _reports[_residentLayer].DramToL2Bytes += _residentBytes;
            _reports[_residentLayer].PrefetchedBytes += _residentPrefetched;
        }

        var program = new AkpProgram(streams, []);
        var report = new CompileReport
        {
            Workload = _graph.Name,
            Sku = _t.Sku,
            Batch = _batch,
            Batches = _batches,
            Mode = _mode,
            Layers = _reports,
            Streams = streams.Count,
            Instructions = streams.Sum(s => (long)s.Code.Length),
            HostBytes = _hostBytes,
            BatchSplit = BatchSplitText(),
            MicroBatch = _mb,
            Segments = _segments.Select(SegmentText).ToArray(),
            PrefetchQueue = _segments.Exists(g => g.Prefetch) ? Compiler.Str($"dma.K.{_channels}") : string.Empty,
        };
        return new CompileResult(program, report, new LayerMap(_graph.Layers.Select(l => l.Name).ToArray(), spans))
        {
            Tensors = Fn ? FnMap(inPerUnit, outPerUnit) : null,
            Completion = Multi ? new BatchCompletion(CompletionTokenBase, _batches, HostQueueCount(), _buffers) : null,
        };
    }

    private string SegmentText(Segment g)
    {
        string text = Compiler.Str($"{_graph.Layers[g.First].Name}..{_graph.Layers[g.Last].Name} mb {g.Mb}");
        text = g.WeightStage == 0 ? text
            : g.Prefetch && g.Ring > 0 ? Compiler.Str($"{text} stage ring {g.Ring} prefetch")
            : g.Prefetch ? Compiler.Str($"{text} stage 2x{g.WeightStage} prefetch") : Compiler.Str($"{text} stage {g.WeightStage}");
        return !g.InputPrefetch ? text : g.InputAhead ? Compiler.Str($"{text} input 2x prefetch ahead") : Compiler.Str($"{text} input 2x prefetch");
    }

    /// <summary>
    /// The prefetch queue of each active cluster: DMA channel <c>_channels</c> (dma.K.8 with 8 SPU channels), listed
    /// after the cluster's other channels. It starts by marking both stage buffers free.
    /// </summary>
    private void AddPrefetchQueues()
    {
        for (int c = 0; c < _t.Chips; c++)
        {
            for (int k = 0; k < _t.Clusters; k++)
            {
                if (_dma[c, k] is null)
                {
                    continue;
                }

                var b = new StreamBuilder(new EngineId(EngineKind.Dma, c, k, _channels)) { NoLoops = Fn, ClusterTokens = _t.ClusterTokens };
                _order.Insert(_order.IndexOf(_dmaCh[c, k, _channels - 1]!) + 1, b);
                _stage[c, k] = b;
                b.Signal(ClusterToken(k, StageFree));
                b.Signal(ClusterToken(k, StageFree));
                _stageCredit[c, k] = 2;
            }
        }
    }

    /// <summary>
    /// Stages <paramref name="bytes"/> of a GEMM group's weights DRAM → L2 for cluster (<paramref name="chip"/>,
    /// <paramref name="k"/>) and points <see cref="_l2Weights"/> at them. With prefetch, the cluster's prefetch queue
    /// waits until the stage buffer is released (its previous layer's phase ended), copies, and signals channel 0,
    /// which waits before the group's fence; the queue is otherwise free to run ahead, so the copy overlaps the
    /// previous layer. Without, channel 0 copies into the single stage buffer.
    /// </summary>
    private void StageWeights(int chip, int k, MemRef from, long bytes, LayerReport rep)
    {
        rep.DramToL2Bytes += bytes;
        if (_prefetch && _ring is { } ring && _stage[chip, k] is { } rq)
        {
            int j = _stageSeq[chip, k];
            if (ring.Bytes[j] != bytes)
            {
                throw new InvalidOperationException(Compiler.Str($"weight ring: staging {j} of the micro-batch moves {bytes} B, the ring plan {ring.Bytes[j]} B"));
            }

            _stageSeq[chip, k] = (j + 1) % ring.Bytes.Length;
            if (j == 1 && _inputWaitPending[chip, k])
            {
                // The micro-batch's first weights are staged; the rest wait until its input has been read (the read
                // is on the critical path, the later stagings are not).
                rq.Wait(InputInBase + k);
                _inputWaitPending[chip, k] = false;
            }

            _l2Weights = new Loc(MemSpace.L2, _l2Stage[0].Base + (ulong)ring.Offsets[j], bytes);
            for (int w = 0; w < ring.Waits[j] && !_options.PrefetchWithoutFreeTokenForTest; w++)
            {
                rq.Wait(ClusterToken(k, StageFree));
            }

            rq.Copy(_l2Weights.At(0), from, bytes);
            rq.Signal(ClusterToken(k, StageReady));
            _dma[chip, k]!.Wait(ClusterToken(k, StageReady));
            _stagedAhead[k] = true;
            rep.PrefetchedBytes += bytes;

            // The next micro-batch's input goes between the stages from the third on, as with two buffers (below).
            if (++_mbStages >= 3)
            {
                PumpInput(rq, k, flush: false);
            }

            return;
        }

        if (_prefetch && _stage[chip, k] is { } q)
        {
            int p = _stageParity[chip, k];
            _l2Weights = _l2Stage[p];
            if (!_options.PrefetchWithoutFreeTokenForTest)
            {
                q.Wait(ClusterToken(k, StageFree));
            }

            q.Copy(_l2Weights.At(0), from, bytes);
            q.Signal(ClusterToken(k, StageReady));
            _dma[chip, k]!.Wait(ClusterToken(k, StageReady));
            _stageParity[chip, k] = p ^ 1;
            _stagedAhead[k] = true;
            rep.PrefetchedBytes += bytes;

            // The next micro-batch's input goes between the stages from the third on: by then the queue has waited for
            // this micro-batch's first stage to be released, so the previous micro-batch (the buffer's last reader)
            // has ended and the copy does not hold the queue.
            if (++_mbStages >= 3)
            {
                PumpInput(q, k, flush: false);
            }

            return;
        }

        _l2Weights = _l2Stage[0];
        _dma[chip, k]!.Copy(_l2Weights.At(0), from, bytes);
    }

    /// <summary>The report of layer <paramref name="li"/>, created on first use.</summary>
    private LayerReport ReportFor(int li, Loc outLoc, long l2Used)
    {
        Layer layer = _graph.Layers[li];
        while (_reports.Count <= li)
        {
            _reports.Add(null!);
        }

        return _reports[li] ??= new LayerReport
        {
            Name = layer.Name,
            Op = layer.Op.ToString().ToLowerInvariant(),
            L1Capacity = _t.L1Bytes,
            L2Capacity = _t.L2Bytes,
            OutputIn = outLoc.Name,
            L2Used = l2Used,
        };
    }

    /// <summary>Emits layer <paramref name="li"/> and records its instruction spans and emitted count.</summary>
    private void EmitTracked(int li, Loc inLoc, Loc outLoc, long l2Used)
    {
        Layer layer = _graph.Layers[li];
        LayerReport rep = ReportFor(li, outLoc, l2Used);
        int[] starts = _order.Select(b => b.Count).ToArray();
        EmitLayer(li, layer, inLoc, outLoc, rep);
        for (int i = 0; i < _order.Count; i++)
        {
            if (_order[i].Count > starts[i])
            {
                _spans.Add(new LayerSpan(li, layer.Name, _order[i].Engine, starts[i], _order[i].Count));
                rep.EmittedInstructions += _order[i].Count - starts[i];
            }
        }
    }

    /// <summary>DRAM buffer of the tensor after segment <paramref name="s"/> (-1: the network input): the last segment writes buffer 0.</summary>
    private Loc BoundaryLoc(int s) => s < 0 && _batchInput is { } input ? input : _dramAct[(_segments.Count - 1 - s) % 2];

    /// <summary>True for a multi-batch (offline) program.</summary>
    private bool Multi => _batches > 1;

    /// <summary>Chip-scoped token of cluster <paramref name="k"/>'s host queue protocol for DRAM buffer <paramref name="buffer"/>.</summary>
    private static int HostToken(int k, int kind, int buffer) => HostTokenBase + (k * 4 * MaxInputBuffers) + (kind * MaxInputBuffers) + buffer;

    /// <summary>Chips with host queues (each signals every batch's completion once).</summary>
    private int HostQueueCount()
    {
        int n = 0;
        foreach (StreamBuilder? h in _hostOut)
        {
            n += h is null ? 0 : 1;
        }

        return n;
    }

    /// <summary>
    /// Input queue <paramref name="h"/> copies cluster <paramref name="k"/>'s share of batch <paramref name="batch"/>'s
    /// input into the cluster's DRAM buffer batch % buffers once the batch that used the buffer before has ended
    /// there, and tells the cluster.
    /// </summary>
    private void HostInput(int chip, int k, StreamBuilder h, int batch, long inPerUnit)
    {
        if (batch >= _buffers)
        {
            h.WaitChip(HostToken(k, HostInFree, batch % _buffers));
        }

        Loc dst = _dramIn[batch % _buffers];
        long bytes = Math.Min(dst.Size, HostShare(chip, k) * inPerUnit);
        if (bytes > 0)
        {
            h.Copy(new MemRef(MemSpace.Dram, MemRef.Local, k, MemRef.Local, dst.Base), MemRef.Of(MemSpace.Host, (ulong)(((chip * _t.Clusters) + k) * dst.Size)), bytes);
            _hostBytes += bytes;
        }

        h.SignalChip(HostToken(k, HostInReady, batch % _buffers));
    }

    /// <summary>Channel 0 of every cluster of each chip meets at the chip's barrier.</summary>
    private void ChipBarriers()
    {
        for (int c = 0; c < _t.Chips; c++)
        {
            int participants = 0;
            for (int k = 0; k < _t.Clusters; k++)
            {
                participants += _dma[c, k] is null ? 0 : 1;
            }

            for (int k = 0; k < _t.Clusters; k++)
            {
                _dma[c, k]?.Barrier(c, participants);
            }
        }
    }

    /// <summary>
    /// perCluster with micro-batches: each cluster runs each segment per micro-batch of the segment's samples (its
    /// last one takes the remainder), segment after segment. Full micro-batches become a loop over pairs on every
    /// stream of the cluster (a pair leaves buffer parities unchanged and no drain is pending between passes, so the
    /// loop can start at the first pass), then the odd one; the report counts executed work.
    /// </summary>
    private void RunMicroBatches()
    {
        for (int c = 0; c < _t.Chips; c++)
        {
            for (int k = 0; k < _t.Clusters; k++)
            {
                long n = _clusterSamples[c][k];
                if (n == 0)
                {
                    continue;
                }

                var streams = new List<StreamBuilder>();
                for (int ch = 0; ch < _channels; ch++)
                {
                    streams.Add(_dmaCh[c, k, ch]!);
                }

                for (int s = 0; s < _t.SpusPerCluster; s++)
                {
                    streams.Add(_spu[c, k, s]!);
                }

                streams.Add(_vpu[c, k]!);
                streams.Add(_sfa[c, k]!);
                if (_stage[c, k] is { } queue)
                {
                    streams.Add(queue);
                }

                for (int si = 0; si < _segments.Count; si++)
                {
                    Segment seg = _segments[si];
                    EnterSegment(seg);

                    // Resident weights: channel 0 takes the initial copy's token once, at the first segment that
                    // reads them (outside the micro-batch loops).
                    if (_residentLayer >= seg.First && _residentLayer <= seg.Last && !_residentWaited[c, k])
                    {
                        _dma[c, k]!.Wait(ResidentTokenBase + k);
                        _residentWaited[c, k] = true;
                    }
                    _segmentStart = true;
                    long mb = seg.Mb;
                    long full = n / mb, rem = n % mb;
                    long count = full + (rem > 0 ? 1 : 0);
                    long Size(long i) => i < full ? mb : rem;
                    long Next(long i) => i + 1 < count ? Size(i + 1) : 0;

                    // The next segment's first input is copied during this segment's last micro-batch when every
                    // sample of it was written by an earlier micro-batch (their closing fences waited for the writes).
                    _aheadNext = si + 1 < _segments.Count && _segments[si + 1].InputAhead && InputPrefetchOn(seg, c, k)
                        && count >= 2 && n - Size(count - 1) >= Math.Min(_segments[si + 1].Mb, n);
                    if (Fn)
                    {
                        for (long i = 0; i < count; i++)
                        {
                            _mbFirst = i * mb;
                            MicroBatch(c, k, Size(i), si, Next(i));
                        }

                        continue;
                    }

                    // A loop body repeats two full micro-batches. With input prefetch every looped pass prefetches a
                    // full next micro-batch, and the segment's first pass (which stages its own input) stays out.
                    bool inPf = InputPrefetchOn(seg, c, k);
                    long start = inPf ? 1 : 0;
                    long pairs = inPf ? Math.Max(0, (full - 2) / 2) : full / 2;
                    long at = 0;
                    for (; at < start && at < count; at++)
                    {
                        MicroBatch(c, k, Size(at), si, Next(at));
                    }

                    if (pairs >= 2 && streams.All(b => b.LoopDepth < IsaLimits.MaxLoopDepth))
                    {
                        long[]?[] before = _reports.Select(r => r?.Counters()).ToArray();
                        streams.ForEach(b => b.Loop(pairs));
                        MicroBatch(c, k, mb, si, Next(at));
                        MicroBatch(c, k, mb, si, Next(at + 1));
                        streams.ForEach(b => b.EndLoop());
                        for (int i = 0; i < _reports.Count; i++)
                        {
                            _reports[i].AddCounters((i < before.Length ? before[i] : null) ?? new long[LayerReport.CounterCount], pairs - 1);
                        }

                        at += 2 * pairs;
                    }

                    for (; at < count; at++)
                    {
                        MicroBatch(c, k, Size(at), si, Next(at));
                    }
                }
            }
        }
    }

    /// <summary>
    /// One micro-batch of <paramref name="samples"/> of segment <paramref name="si"/> on cluster (<paramref name="chip"/>,
    /// <paramref name="k"/>): the segment input is staged DRAM → L2 (the residual region when the previous layer is
    /// an add/mul, else the top of the activation area), each layer writes the end of the area its input does not
    /// occupy (add/mul: the residual region, in place), the segment's last layer writes DRAM.
    /// </summary>
    private void MicroBatch(int chip, int k, long samples, int si, long nextSamples)
    {
        Segment seg = _segments[si];
        _only = (chip, k, samples);
        StreamBuilder d = _dma[chip, k]!;
        bool inPf = InputPrefetchOn(seg, chip, k);
        StreamBuilder? q = _stage[chip, k];

        // A micro-batch may run in a loop: fence at both ends so every pass starts with the channels in step.
        Fence(chip, k, force: true);

        // A segment's L2 regions differ from the previous segment's: its prefetch queue starts only once every
        // channel has left the previous segment (after the fence). Within a segment the queue runs ahead freely,
        // across micro-batches too, bounded by the two stage buffers.
        bool segmentStart = _segmentStart;
        if (segmentStart && (_prefetch || inPf) && q is not null)
        {
            d.Signal(StageGoBase + k);
            q.Wait(StageGoBase + k);

            // Every free of the previous segment has been signalled (channel 0 signals them before the fence): bring
            // the queue's self-signalled frees to what this segment's stage expects (2 buffers, or the ring's P).
            int want = _ring?.Presignal ?? 2;
            for (; _stageCredit[chip, k] < want; _stageCredit[chip, k]++)
            {
                q.Signal(ClusterToken(k, StageFree));
            }

            for (; _stageCredit[chip, k] > want; _stageCredit[chip, k]--)
            {
                q.Wait(ClusterToken(k, StageFree));
            }
        }

        _segmentStart = false;
        long inPerSample = SegmentInputPerSample(seg.First);
        long inBytes = samples * inPerSample;
        Loc cur;
        LayerReport first;
        if (inPf)
        {
            // Input prefetch: this micro-batch's input is in input buffer p (the segment's first one is copied now, on
            // the queue), and the queue copies the next one into buffer 1 - p while this one computes.
            if (segmentStart)
            {
                _inParity[chip, k] = 0;
            }

            int p = _inParity[chip, k];
            bool ahead = segmentStart && _aheadDone[chip, k];
            _aheadDone[chip, k] = false;
            if (seg.InputInResidual)
            {
                _l2Residual = _l2ResBuf[p];
            }

            Loc buf = seg.InputInResidual ? _l2ResBuf[p] : _l2InBuf[p];
            cur = buf with { Size = Math.Max(1, inBytes) };
            first = ReportFor(seg.First, cur, 0);
            if (segmentStart)
            {
                // The first input: copied now, unless the previous segment's last micro-batch already did (into
                // buffer 0 at the top of L2, which that segment left free).
                if (!ahead)
                {
                    q!.Copy(cur.At(0), BoundaryLoc(si - 1).At(Fn ? _mbFirst * inPerSample : 0), inBytes);
                    q.Signal(InputToken(k, InReady));
                    first.DramToL2Bytes += inBytes;
                }

                q!.Signal(InputToken(k, InFree));
            }

            if (!_options.PrefetchInputWithoutReadyWaitForTest)
            {
                d.Wait(InputToken(k, InReady));
            }

            first.DramToL2Bytes += nextSamples * inPerSample;
            _mbStages = 0;
            _inPending = null;
            long chunks = Math.Max(1, StagedLayers(seg) - 3);
            if (nextSamples > 0)
            {
                Loc next = seg.InputInResidual ? _l2ResBuf[p ^ 1] : _l2InBuf[p ^ 1];
                long bytes = nextSamples * inPerSample;
                _inPending = new InputCopy(next, BoundaryLoc(si - 1), Fn ? (_mbFirst + samples) * inPerSample : 0, bytes, Align((bytes + chunks - 1) / chunks));
            }
            else if (_aheadNext)
            {
                // The next segment's first micro-batch input, from this segment's boundary buffer (its first samples).
                Segment ns = _segments[si + 1];
                long nPer = SegmentInputPerSample(ns.First);
                long bytes = Math.Min(ns.Mb, _clusterSamples[chip][k]) * nPer;
                Loc dst = new(MemSpace.L2, (ulong)(L2Top - ns.ReserveBelow), Math.Max(1, bytes));
                _inPending = new InputCopy(dst, BoundaryLoc(si), 0, bytes, Align((bytes + chunks - 1) / chunks)) { WaitFree = false };
                ReportFor(ns.First, dst, 0).DramToL2Bytes += bytes;
                _aheadDone[chip, k] = true;
            }
        }
        else
        {
            cur = seg.InputInResidual ? _l2Residual with { Size = Math.Max(1, inBytes) } : new(MemSpace.L2, TopOfArea(inBytes), inBytes);
            first = ReportFor(seg.First, cur, 0);
            d.Copy(cur.At(0), BoundaryLoc(si - 1).At(Fn ? _mbFirst * inPerSample : 0), inBytes);
            first.DramToL2Bytes += inBytes;
            if (_ring is not null && _prefetch && _options.InputBeforeLookahead && _stage[chip, k] is not null)
            {
                d.Signal(InputInBase + k);
                _inputWaitPending[chip, k] = true;
            }
        }

        if (Fn)
        {
            FnResidualFromHost(d, chip, k, seg, samples);
        }

        int slot = seg.InputInResidual ? -1 : 1;
        Loc? poolOut = null;
        for (int li = seg.First; li <= seg.Last; li++)
        {
            Layer l = _graph.Layers[li];
            long outBytes = samples * Lowering.OutputElements(l) * Lowering.ElementBytes(l);
            int outSlot = KeepsResidual(l) || li == seg.Last ? -1 : slot == 0 ? 1 : 0;

            // A fused pool writes where FusedPoolOut placed it (the next layer reads it there).
            Loc outLoc = poolOut ?? MicroBatchOutput(li, seg, si, samples, outSlot);
            poolOut = null;
            if (li < seg.Last && Fusable(l, _graph.Layers[li + 1], cur, outLoc))
            {
                _fuse = new FusePlan(li + 1, outLoc, MicroBatchOutput(li + 1, seg, si, samples, -1), _l2Residual);
            }
            else if (li < seg.Last && FusedPoolOut(li, seg, si, samples, outSlot, cur, outLoc) is { } po)
            {
                _fuse = new FusePlan(li + 1, outLoc, po, _l2Residual) { Pool = true, ProducerN = ((GemmPhase)Lowering.Phases(l, 1)[0]).N };
                poolOut = po;
            }

            if (_fuse is not null && _fuseDrains.Length != _channels)
            {
                _fuseDrains = new List<(Drain, long)>[_channels];
                for (int ch = 0; ch < _channels; ch++)
                {
                    _fuseDrains[ch] = [];
                }
            }

            EmitTracked(li, cur, outLoc, outLoc.Space == MemSpace.L2 ? outBytes : 0);
            _fuse = null;
            cur = outLoc;
            slot = outSlot;
        }

        if (inPf)
        {
            // Whatever of the next input the weight stages did not carry goes now.
            PumpInput(q!, k, flush: true);
        }

        Fence(chip, k, force: true);
        if (inPf)
        {
            // Every channel is done with this micro-batch's input buffer (fence): release it to the queue, which copies
            // the micro-batch after next into it. The segment's last pass takes the queue's spare release back instead,
            // so the counts balance per segment.
            if (nextSamples > 0)
            {
                d.Signal(InputToken(k, InFree));
            }
            else
            {
                q!.Wait(InputToken(k, InFree));
            }

            _inParity[chip, k] ^= 1;
        }

        _only = null;
        if (_ring is not null && _stageSeq[chip, k] != 0)
        {
            throw new InvalidOperationException("weight ring: a micro-batch staged fewer weight tensors than the ring plan");
        }

        if (_inputWaitPending[chip, k])
        {
            // A micro-batch with a single staging: the queue takes the input token after it.
            _stage[chip, k]!.Wait(InputInBase + k);
            _inputWaitPending[chip, k] = false;
        }
    }

    /// <summary>Cluster-scoped token of cluster <paramref name="k"/>'s segment input prefetch.</summary>
    private static int InputToken(int k, int which) => InputTokenBase + (k * 2) + which;

    /// <summary>Whether cluster (<paramref name="chip"/>, <paramref name="k"/>) prefetches segment <paramref name="seg"/>'s input.</summary>
    private bool InputPrefetchOn(Segment seg, int chip, int k) => seg.InputPrefetch && _stage[chip, k] is not null;

    /// <summary>Layers of <paramref name="seg"/> whose weights are staged in L2 (one stage each per micro-batch).</summary>
    private int StagedLayers(Segment seg)
    {
        int n = 0;
        for (int li = seg.First; li <= seg.Last; li++)
        {
            n += _layerWeightBytes[li] > 0 ? 1 : 0;
        }

        return n;
    }

    /// <summary>
    /// Issues the pending next-input copy on the prefetch queue <paramref name="q"/>: one chunk, or (<paramref name="flush"/>)
    /// the rest. Before the first chunk the queue waits for the target buffer's release; after the last it tells channel 0.
    /// </summary>
    private void PumpInput(StreamBuilder q, int k, bool flush)
    {
        if (_inPending is not { } c)
        {
            return;
        }

        if (c.Done == 0 && c.WaitFree)
        {
            q.Wait(InputToken(k, InFree));
        }

        long len = flush ? c.Bytes - c.Done : Math.Min(c.Chunk, c.Bytes - c.Done);
        q.Copy(c.Dst.At(c.Done), c.Src.At(c.SrcOffset + c.Done), len);
        c.Done += len;
        if (c.Done >= c.Bytes)
        {
            q.Signal(InputToken(k, InReady));
            _inPending = null;
        }
    }

    /// <summary>A segment input copy DRAM → L2 issued on the prefetch queue in chunks.</summary>
    private sealed class InputCopy(Loc dst, Loc src, long srcOffset, long bytes, long chunk)
    {
        public Loc Dst { get; } = dst;

        public Loc Src { get; } = src;

        public long SrcOffset { get; } = srcOffset;

        public long Bytes { get; } = bytes;

        public long Chunk { get; } = chunk;

        public long Done { get; set; }

        /// <summary>Wait for the target buffer's release first (false: a region the current segment does not use).</summary>
        public bool WaitFree { get; init; } = true;
    }

    /// <summary>Where layer <paramref name="li"/> of segment <paramref name="seg"/> writes its micro-batch's output (outSlot -1: not the activation area).</summary>
    private Loc MicroBatchOutput(int li, Segment seg, int si, long samples, int outSlot)
    {
        Layer l = _graph.Layers[li];
        long outBytes = samples * Lowering.OutputElements(l) * Lowering.ElementBytes(l);
        if (li == seg.Last)
        {
            return Fn ? BoundaryLoc(si) with { Base = BoundaryLoc(si).Base + (ulong)(_mbFirst * outBytes / samples) } : BoundaryLoc(si);
        }

        if (KeepsResidual(l))
        {
            return _l2Residual with { Size = Math.Max(1, outBytes) };
        }

        // Sized for the next layer's read (mixed precision: an INT8 output read as BF16).
        long region = samples * OutputRegionPerSample(li);
        return outSlot == 0
            ? new Loc(MemSpace.L2, _l2Area.Base, Math.Max(1, region))
            : new Loc(MemSpace.L2, TopOfArea(region), Math.Max(1, region));
    }

    /// <summary>
    /// Whether <paramref name="next"/> (an add/mul) can run fused into <paramref name="producer"/>'s drains: a
    /// single-phase conv or GEMM with the same elements and element size, its output in L2 and its input not the
    /// residual region (which the fused add writes while the producer still reads its input).
    /// </summary>
    private bool Fusable(Layer producer, Layer next, Loc producerIn, Loc producerOut)
    {
        if (!_options.FuseElementwise || !KeepsResidual(next) || producer.Op is not (OpKind.Conv or OpKind.Gemm) || producer.Groups > 1)
        {
            return false;
        }

        List<object> phases = Lowering.Phases(producer, 1);
        return phases.Count == 1 && phases[0] is GemmPhase
            && Lowering.Phases(next, 1) is [VectorPhase { Kind: VectorKind.Elementwise }]
            && Lowering.OutputElements(producer) == Lowering.OutputElements(next)
            && Lowering.ElementBytes(producer) == Lowering.ElementBytes(next)
            && producer.Precision == next.Precision
            && producerOut.Space == MemSpace.L2 && producerOut.Base != _l2Residual.Base
            && !(producerIn.Space == MemSpace.L2 && producerIn.Base == _l2Residual.Base);
    }

    /// <summary>
    /// Where the window pool after <paramref name="li"/> writes when it runs fused into li's drains
    /// (<see cref="CompileOptions.FusePool"/>), or null when it cannot be fused: li is a single-phase conv or GEMM
    /// with one group whose output is exactly the pool's input (elements, element size, precision) in L2, and the
    /// pool is a window pool (VPU copy + max/add passes). The pool writes while li still reads its input and writes
    /// its output, so its output goes to the region the schedule gives it when that overlaps neither, else to the VPU scratch (used only by vector layers) when it fits there and the layer after
    /// the pool, its only reader, is a conv or GEMM; otherwise the pool is not fused.
    /// </summary>
    private Loc? FusedPoolOut(int li, Segment seg, int si, long samples, int producerSlot, Loc producerIn, Loc producerOut)
    {
        Layer producer = _graph.Layers[li], pool = _graph.Layers[li + 1];
        if (!_options.FusePool || pool.Op != OpKind.Pool || producer.Op is not (OpKind.Conv or OpKind.Gemm) || producer.Groups > 1
            || Lowering.Phases(producer, 1) is not [GemmPhase]
            || Lowering.Phases(pool, 1) is not [VectorPhase { Kind: VectorKind.PoolWindow }]
            || Lowering.OutputElements(producer) != Lowering.InputElements(pool)
            || Lowering.ElementBytes(producer) != Lowering.ElementBytes(pool)
            || producer.Precision != pool.Precision
            || producerOut.Space != MemSpace.L2)
        {
            return null;
        }

        int poolSlot = KeepsResidual(pool) || li + 1 == seg.Last ? -1 : producerSlot == 0 ? 1 : 0;
        Loc o = MicroBatchOutput(li + 1, seg, si, samples, poolSlot);
        if (!Overlaps(o, producerIn) && !Overlaps(o, producerOut))
        {
            return o;
        }

        long bytes = samples * Lowering.OutputElements(pool) * Lowering.ElementBytes(pool);
        return li + 2 <= seg.Last && _graph.Layers[li + 2].Op is OpKind.Conv or OpKind.Gemm && bytes <= _l2Scratch.Size
            ? _l2Scratch with { Size = Math.Max(1, bytes) }
            : null;
    }

    /// <summary>
    /// Fused pool: rows that are ready wait until a run of this many consecutive output rows is (the rest after the
    /// producer's last drain), so each vop covers several rows and the VPU's per-vop pipeline latency is amortised
    /// (anchor, offline: 1 row 24,304.8 samples/s, 4 rows 24,356.0, 8 rows 24,303.3).
    /// </summary>
    private const long PoolBlockRows = 4;

    private static bool Overlaps(Loc a, Loc b) =>
        a.Space == b.Space && a.Base < b.Base + (ulong)b.Size && b.Base < a.Base + (ulong)a.Size;

    /// <summary>
    /// Base of a region of <paramref name="bytes"/> at the top of the activation area, leaving at least an L1's worth
    /// (an A tile, which can exceed a small tensor: im2col) below the end, as the bottom region has.
    /// </summary>
    private ulong TopOfArea(long bytes) => _l2Area.Base + (ulong)(_l2Area.Size - Math.Max(bytes, Math.Min(_t.L1Bytes, _l2Area.Size)));

    private string BatchSplitText()
    {
        string chips = "chips " + string.Join("/", _chipSamples);
        return _mode == PartitionMode.PerCluster
            ? chips + "; clusters " + string.Join(" | ", _clusterSamples.Select(c => string.Join("/", c)))
            : chips;
    }

    /// <summary>Samples whose input/output a cluster's DMA moves: its own (perCluster) or its share of the chip's.</summary>
    private long HostShare(int chip, int cluster)
    {
        return _mode == PartitionMode.PerCluster ? _clusterSamples[chip][cluster] : Compiler.Shares(_chipSamples[chip], _t.Clusters)[cluster];
    }

    private void ForEachDma(Action<int, int, StreamBuilder> f)
    {
        for (int c = 0; c < _t.Chips; c++)
        {
            for (int k = 0; k < _t.Clusters; k++)
            {
                if (_dma[c, k] is { } d)
                {
                    f(c, k, d);
                }
            }
        }
    }

    private void ForEachSpu(Action<int, int, int, StreamBuilder> f)
    {
        for (int c = 0; c < _t.Chips; c++)
        {
            for (int k = 0; k < _t.Clusters; k++)
            {
                for (int s = 0; s < _t.SpusPerCluster; s++)
                {
                    if (_spu[c, k, s] is { } b)
                    {
                        f(c, k, s, b);
                    }
                }
            }
        }
    }

    private long ActBytes(Layer l, long elementsPerSample) => elementsPerSample * _unitSamples * Lowering.ElementBytes(l);

    // ---- memory layout ------------------------------------------------------------------------------------------

    private void Layout()
    {
        long act = _t.L1Bytes;
        long scratch = _t.L1Bytes;
        long temp = 4096;
        ulong weights = 0;
        foreach (Layer l in _graph.Layers)
        {
            int es = Lowering.ElementBytes(l);
            act = Math.Max(act, ActBytes(l, Lowering.OutputElements(l)));
            act = Math.Max(act, ActBytes(l, Lowering.InputElements(l)));
            act = Math.Max(act, _unitSamples * Math.Max(_graph.InputBytesPerSample, _graph.OutputBytesPerSample));
            _layerWeights.Add(weights);
            long w = Lowering.WeightElements(l);
            if (w > 0)
            {
                long wbytes = l.Op is OpKind.Conv or OpKind.Gemm
                    ? WeightTileBytes((long)l.R * l.S * (l.C / Math.Max(1, l.Groups)) + (l.Op == OpKind.Gemm ? l.K : 0), l.Op == OpKind.Gemm ? l.N : l.K, es, Lowering.Flags(l.Sparsity)) * Math.Max(1, l.Op == OpKind.Conv ? l.Groups : 1)
                    : w * es;
                weights += (ulong)Align(wbytes);
                _layerWeightBytes.Add(wbytes);
            }
            else
            {
                _layerWeightBytes.Add(0);
            }

            foreach (object p in Lowering.Phases(l, _unitSamples))
            {
                if (p is GemmPhase g)
                {
                    scratch = Math.Max(scratch, g.Problems * Math.Max(g.M * g.N, g.K * g.N) * Math.Max(es, 1));
                }
                else if (p is VectorPhase v)
                {
                    scratch = Math.Max(scratch, v.Elements * es);
                    temp = Math.Max(temp, Math.Max(v.Rows * 4, v.Cols * es));
                    if (v.Kind == VectorKind.Embedding)
                    {
                        temp = Math.Max(temp, v.Elements * 4);
                    }
                }
            }
        }

        act = Align(act);
        scratch = Align(scratch);
        temp = Align(temp);
        _weightsBase = 0;
        ulong at = Align(weights);
        _dramAct = [new Loc(MemSpace.Dram, at, act), new Loc(MemSpace.Dram, at + (ulong)act, act)];
        at += 2 * (ulong)act;
        _dramScratch = new Loc(MemSpace.Dram, at, scratch);
        at += (ulong)scratch;
        _dramTemp = new Loc(MemSpace.Dram, at, temp);
        at += (ulong)temp;
        if (Multi)
        {
            // Offline: input buffers the size of the activation buffer the single-batch input lands in, output buffers
            // for a cluster's share of the network output.
            long outBytes = Align(Math.Max(4096, _unitSamples * Math.Max(1, _graph.OutputBytesPerSample > 0 ? _graph.OutputBytesPerSample : Lowering.OutputElements(_graph.Layers[^1]) * Lowering.ElementBytes(_graph.Layers[^1]))));
            _dramIn = new Loc[_buffers];
            _dramOut = new Loc[_buffers];
            for (int b = 0; b < _buffers; b++)
            {
                _dramIn[b] = new Loc(MemSpace.Dram, at, act);
                at += (ulong)act;
                _dramOut[b] = new Loc(MemSpace.Dram, at, outBytes);
                at += (ulong)outBytes;
            }
        }

        if (Fn)
        {
            FnLayout(ref at);
        }

        if (at > (ulong)_t.DramBytesPerInterface)
        {
            Layer big = _graph.Layers.MaxBy(l => Math.Max(Lowering.OutputElements(l), Lowering.InputElements(l)))!;
            throw new CompileException(Compiler.Str($"layer '{big.Name}': DRAM layout (weights {weights} B + 2 activation buffers of {act} B + scratch {scratch + temp} B) exceeds the DRAM interface ({_t.DramBytesPerInterface} B)"));
        }

        long l2Scratch = Math.Min(256 * 1024, _t.L2Bytes / 4);
        long half = (_t.L2Bytes - l2Scratch) / 2;
        _l2Scratch = new Loc(MemSpace.L2, 0, l2Scratch);
        _l2Act = [new Loc(MemSpace.L2, (ulong)l2Scratch, half), new Loc(MemSpace.L2, (ulong)(l2Scratch + half), half)];
        if (_mode == PartitionMode.PerCluster && _options.MicroBatching)
        {
            ChooseSegments(l2Scratch);
            ChooseResident(l2Scratch);
        }
    }

    /// <summary>
    /// Resident weights: the network's last weight-bearing layer keeps its weights in a region at the top of the L2
    /// for the whole program when every segment, fitted to the L2 without that region, keeps its micro-batch, weight
    /// stage and prefetch (so the schedule and the DRAM bytes of everything else are unchanged). Timing compiles.
    /// </summary>
    private void ChooseResident(long l2Scratch)
    {
        if (!_options.ResidentWeights || Fn || _segments.Count == 0)
        {
            return;
        }

        int li = _layerWeightBytes.FindLastIndex(b => b > 0);
        if (li < 0 || _graph.Layers[li].Op is not (OpKind.Conv or OpKind.Gemm) || Lowering.Phases(_graph.Layers[li], 1) is not [GemmPhase { SharedWeights: true }])
        {
            return;
        }

        long bytes = Align(_layerWeightBytes[li]);
        var fitted = new List<Segment>(_segments.Count);
        foreach (Segment s in _segments)
        {
            // Same micro-batch, stage, prefetch and input prefetch without the region; a weight ring may give up the
            // room (it keeps at least its two buffers).
            Segment? r = FitSegment(s.First, s.Last, l2Scratch, bytes);
            if (r is null || r.Mb != s.Mb || r.WeightStage != s.WeightStage || r.Prefetch != s.Prefetch || r.InputPrefetch != s.InputPrefetch)
            {
                return;
            }

            long over = s.Used(_t.L1Bytes) + bytes - (_t.L2Bytes - l2Scratch);
            Segment t = s;
            if (over > 0)
            {
                long ring = (s.Ring - Align(over)) / 4096 * 4096;
                if (s.Ring <= 0 || ring < 2 * s.WeightStage)
                {
                    return;
                }

                t = s with { Ring = ring };
            }

            fitted.Add(t);
        }

        _segments.Clear();
        _segments.AddRange(fitted);
        _residentLayer = li;
        _l2Resident = new Loc(MemSpace.L2, (ulong)(_t.L2Bytes - bytes), bytes);
        _residentWaited = new bool[_t.Chips, _t.Clusters];
    }

    /// <summary>
    /// Resident weights: copies them DRAM → L2 once, at the start of the program, on each active cluster's prefetch
    /// queue (which signals channel 0) or, without one, on channel 0.
    /// </summary>
    private void LoadResident()
    {
        if (_residentLayer < 0)
        {
            return;
        }

        MemRef from = MemRef.Of(MemSpace.Dram, _weightsBase + _layerWeights[_residentLayer]);
        for (int c = 0; c < _t.Chips; c++)
        {
            for (int k = 0; k < _t.Clusters; k++)
            {
                if (_dma[c, k] is not { } d)
                {
                    continue;
                }

                _residentBytes += _layerWeightBytes[_residentLayer];
                if (_stage[c, k] is { } q)
                {
                    q.Copy(_l2Resident.At(0), from, _layerWeightBytes[_residentLayer]);
                    q.Signal(ResidentTokenBase + k);
                    _residentPrefetched += _layerWeightBytes[_residentLayer];
                }
                else
                {
                    d.Copy(_l2Resident.At(0), from, _layerWeightBytes[_residentLayer]);
                    _residentWaited[c, k] = true;
                }
            }
        }
    }

    private static bool KeepsResidual(Layer l) => l.Op is OpKind.Add or OpKind.Mul;

    /// <summary>
    /// Per-sample bytes of the activation-area region layer <paramref name="li"/> writes: its output, or what the next
    /// layer reads from it when that is more. Under mixed precision an INT8 GEMM drains INT8 while the BF16 layer after
    /// it reads its operand at two bytes an element (the ISA's vector operands share one element type; the widening
    /// is not a separate op), so the region is sized for the reader and the read stays inside it.
    /// </summary>
    private long OutputRegionPerSample(int li)
    {
        Layer l = _graph.Layers[li];
        long own = Lowering.OutputElements(l) * Lowering.ElementBytes(l);
        if (li + 1 >= _graph.Layers.Count)
        {
            return own;
        }

        Layer next = _graph.Layers[li + 1];
        return Math.Max(own, Lowering.InputElements(next) * Lowering.ElementBytes(next));
    }

    private long InputBytesPerSample()
    {
        Layer first = _graph.Layers[0];
        return Math.Max(1, _graph.InputBytesPerSample > 0 ? _graph.InputBytesPerSample : Lowering.InputElements(first) * Lowering.ElementBytes(first));
    }

    /// <summary>Bytes of one sample of the tensor a segment starting at layer <paramref name="first"/> reads: the network input, or the previous layer's output.</summary>
    private long SegmentInputPerSample(int first)
    {
        if (first == 0)
        {
            return InputBytesPerSample();
        }

        Layer prev = _graph.Layers[first - 1];
        return Math.Max(1, Lowering.OutputElements(prev) * Lowering.ElementBytes(prev));
    }

    /// <summary>
    /// Per-sample L2 bytes live while layer <paramref name="li"/> of a segment [first, last] runs in the double-ended
    /// activation area: the region holding its input (the previous output, or the segment input staged from DRAM)
    /// and the region it writes. Add/mul layers read and write the residual region instead (counted separately), a
    /// segment input staged into the residual region lives there, and the segment's last layer writes DRAM.
    /// </summary>
    private long LivePerSample(int li, int first, int last, bool inputInResidual)
    {
        Layer l = _graph.Layers[li];
        int es = Lowering.ElementBytes(l);
        long input;
        if (li == first)
        {
            input = inputInResidual ? 0 : Math.Max(SegmentInputPerSample(first), Lowering.InputElements(l) * es);
        }
        else
        {
            Layer prev = _graph.Layers[li - 1];
            input = KeepsResidual(prev) ? 0 : Math.Max(Lowering.OutputElements(prev) * Lowering.ElementBytes(prev), Lowering.InputElements(l) * es);
        }

        long output = KeepsResidual(l) || li == last ? 0 : OutputRegionPerSample(li);
        return input + output;
    }

    /// <summary>
    /// A run of layers [First, Last] executed per micro-batch of Mb samples with activations in L2; its input comes
    /// from DRAM (staged into the residual region when the previous layer is an add/mul, else the top of the
    /// activation area) and its last layer writes DRAM. Weight stage, residual region and activation area sizes.
    /// </summary>
    private sealed record Segment(int First, int Last, long Mb, long WeightStage, long ResidualPerSample, bool InputInResidual)
    {
        /// <summary>The weight stage is double-buffered and filled ahead by the prefetch queue.</summary>
        public bool Prefetch { get; init; }

        /// <summary>
        /// With prefetch and <see cref="CompileOptions.WeightLookahead"/>: bytes of the weight ring that replaces the
        /// two stage buffers (the L2 the micro-batch's activations leave free, at least two stage buffers); 0: two buffers.
        /// </summary>
        public long Ring { get; init; }

        /// <summary>
        /// The segment input is double-buffered (two input buffers, or two residual regions when the input is the
        /// first residual) and the prefetch queue copies the next micro-batch's while the current one computes.
        /// </summary>
        public bool InputPrefetch { get; init; }

        /// <summary>L2 bytes per sample of one input buffer (input prefetch without a residual input), else 0.</summary>
        public long InputPerSample { get; init; }

        /// <summary>L2 bytes per sample of the activation area the segment needs.</summary>
        public long AreaPerSample { get; init; }

        /// <summary>The first micro-batch's input buffer (buffer 0, the top of L2) is filled during the previous segment.</summary>
        public bool InputAhead { get; init; }

        /// <summary>Bytes at the top of L2 left out of this segment's activation area (the next segment's first input).</summary>
        public long ReserveTop { get; init; }

        /// <summary>Input prefetch with the first input ahead: the size of buffer 0 at the top of L2, else 0.</summary>
        public long ReserveBelow => InputAhead ? Mb * (InputInResidual ? ResidualPerSample : InputPerSample) : 0;

        /// <summary>L2 bytes the segment's regions take after the VPU scratch (the area at its need, plus one L1).</summary>
        public long Used(long l1) => (Ring > 0 ? Ring : WeightStage * (Prefetch ? 2 : 1)) + (Mb * ResidualPerSample * (InputPrefetch && InputInResidual ? 2 : 1))
            + (2 * Mb * InputPerSample) + (Mb * AreaPerSample) + l1 + ReserveTop;
    }

    /// <summary>The weight bytes of each staging of one micro-batch of segment <paramref name="s"/>, in emission order.</summary>
    private List<long> SegmentStagings(Segment s)
    {
        var list = new List<long>();
        for (int li = s.First; li <= s.Last; li++)
        {
            Layer l = _graph.Layers[li];
            if (_layerWeightBytes[li] <= 0 || li == _residentLayer)
            {
                continue;
            }

            foreach (object phase in Lowering.Phases(l, s.Mb))
            {
                if (phase is GemmPhase { SharedWeights: true })
                {
                    list.Add(_layerWeightBytes[li]);
                }
            }
        }

        return list;
    }

    /// <summary>The weight ring of segment <paramref name="s"/> (<see cref="WeightRing.Plan"/>); null when nothing is staged.</summary>
    private RingPlan? PlanRing(Segment s)
    {
        List<long> bytes = SegmentStagings(s);
        return bytes.Count == 0 || s.Ring <= 0 ? null : WeightRing.Plan([.. bytes], s.Ring);
    }

    /// <summary>
    /// The segment [first, last] with the largest micro-batch (≤ the largest cluster share) whose activations fit
    /// the cluster's L2 after the VPU scratch, the weight stage (the segment's largest layer weights, when they take
    /// at most half of what is left) and the residual region (the largest add/mul tensor, or the staged input):
    /// every layer's input + output regions must fit the remaining area. Null when not even one sample fits.
    /// </summary>
    private Segment? FitSegment(int first, int last, long l2Scratch, long reserve = 0)
    {
        long avail = _t.L2Bytes - l2Scratch - reserve;
        bool inRes = first > 0 && KeepsResidual(_graph.Layers[first - 1]);
        long wMax = 0;
        long res = inRes ? SegmentInputPerSample(first) : 0;
        long live = 0;
        for (int li = first; li <= last; li++)
        {
            Layer l = _graph.Layers[li];
            wMax = Math.Max(wMax, _layerWeightBytes[li]);
            if (KeepsResidual(l))
            {
                res = Math.Max(res, Lowering.OutputElements(l) * Lowering.ElementBytes(l));
            }

            live = Math.Max(live, LivePerSample(li, first, last, inRes));
        }

        wMax = Align(wMax);
        long w = wMax > 0 && wMax <= avail / 2 ? wMax : 0;
        long perSample = Align(res) + Align(Math.Max(1, live));
        long mb = Math.Min(_unitSamples, (avail - w - _t.L1Bytes) / perSample);
        if (mb < 1)
        {
            return null;
        }

        // Balanced: the fewest passes the L2 allows, with equal micro-batches (8 samples at most 7 per pass → 4 + 4,
        // not 7 + 1: the same weight fetches, and no pass with a tiny M).
        long passes = (_unitSamples + mb - 1) / mb;
        mb = (_unitSamples + passes - 1) / passes;

        // Prefetch: a second stage buffer, when it fits the same budget rule and costs no extra pass (so the DRAM
        // bytes, and the segment choice, are those without it).
        bool prefetch = false;
        if (_prefetchQueue && w > 0 && 2 * w <= avail / 2)
        {
            long mb2 = Math.Min(_unitSamples, (avail - (2 * w) - _t.L1Bytes) / perSample);
            prefetch = mb2 >= 1 && (_unitSamples + mb2 - 1) / mb2 == passes && mb <= mb2;
        }

        // Input prefetch: a second input buffer (a second residual region when the input is the residual, else two
        // input buffers outside the activation area), again only when it costs no extra pass.
        bool inPf = false;
        long inPer = 0;
        long inExtra = 0;
        if (_prefetchQueue && _options.PrefetchInput)
        {
            long extra = inRes ? Align(res) : 2 * Align(SegmentInputPerSample(first));
            long mb3 = Math.Min(_unitSamples, (avail - (prefetch ? 2 * w : w) - _t.L1Bytes) / (perSample + extra));
            inPf = mb3 >= mb;
            inPer = inPf && !inRes ? Align(SegmentInputPerSample(first)) : 0;
            inExtra = inPf ? extra : 0;
        }

        // Weight lookahead: the L2 the micro-batch's activations (and input buffers) leave (the same budget rule)
        // becomes a ring of stage slots, so the prefetch queue can run several layers ahead: at least the two buffers,
        // at most what all the segment's stagings of one micro-batch need side by side.
        long ring = 0;
        if (prefetch && _options.WeightLookahead && !Fn)
        {
            long total = 0;
            for (int li = first; li <= last; li++)
            {
                total += _layerWeightBytes[li] > 0 ? Align(_layerWeightBytes[li]) : 0;
            }

            long left = (avail - _t.L1Bytes - (mb * (perSample + inExtra))) / 4096 * 4096;
            long size = Math.Min(left, Math.Max(total, 2 * w));
            ring = size >= 2 * w ? size : 0;
        }

        return new Segment(first, last, mb, w, Align(res), inRes) { Prefetch = prefetch, Ring = ring, InputPrefetch = inPf, InputPerSample = inPer, AreaPerSample = Align(Math.Max(1, live)) };
    }

    /// <summary>
    /// A cut between layer <paramref name="li"/> and the next is allowed where no residual tensor is live across it:
    /// right after an add/mul (its output is the segment boundary tensor) or before the first add/mul.
    /// </summary>
    private bool CutAllowedAfter(int li)
    {
        if (KeepsResidual(_graph.Layers[li]))
        {
            return true;
        }

        for (int i = 0; i <= li; i++)
        {
            if (KeepsResidual(_graph.Layers[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// DRAM bytes one cluster moves for a segment over its <c>n</c> samples: the segment's weights once per
    /// micro-batch (⌈n/mb⌉ times), plus the boundary tensors it reads from / writes to DRAM (not the network's own
    /// input and output, which every schedule moves).
    /// </summary>
    private long SegmentDramBytes(Segment s)
    {
        long n = _unitSamples;
        long weights = 0;
        for (int li = s.First; li <= s.Last; li++)
        {
            weights += _layerWeightBytes[li];
        }

        long boundary = (s.First > 0 ? n * SegmentInputPerSample(s.First) : 0)
            + (s.Last < _graph.Layers.Count - 1 ? n * Math.Max(1, Lowering.OutputElements(_graph.Layers[s.Last]) * Lowering.ElementBytes(_graph.Layers[s.Last])) : 0);
        return (((n + s.Mb - 1) / s.Mb) * weights) + boundary;
    }

    /// <summary>
    /// perCluster: splits the network into segments (cuts only where no residual is live, <see cref="CutAllowedAfter"/>),
    /// each with the largest micro-batch that fits L2 (<see cref="FitSegment"/>), choosing the cuts by dynamic
    /// programming to minimise the DRAM bytes per cluster (<see cref="SegmentDramBytes"/>; ties: fewer segments).
    /// Early layers with large activations get small micro-batches, weight-heavy late layers large ones, so each
    /// layer's weights are fetched from DRAM once per micro-batch of its segment. No segments (micro-batching off)
    /// when some layer does not fit even with one sample.
    /// </summary>
    private void ChooseSegments(long l2Scratch)
    {
        int count = _graph.Layers.Count;
        var best = new (long Bytes, int Segments, int Prev, Segment? Seg)[count + 1];
        best[0] = (0, 0, -1, null);
        for (int j = 1; j <= count; j++)
        {
            best[j] = (long.MaxValue, int.MaxValue, -1, null);
            for (int i = 0; i < j; i++)
            {
                if (best[i].Bytes == long.MaxValue || (i > 0 && !CutAllowedAfter(i - 1)) || (j < count && !CutAllowedAfter(j - 1)))
                {
                    continue;
                }

                Segment? seg = FitSegment(i, j - 1, l2Scratch);
                if (seg is null)
                {
                    continue;
                }

                long bytes = best[i].Bytes + SegmentDramBytes(seg);
                int segs = best[i].Segments + 1;
                if (bytes < best[j].Bytes || (bytes == best[j].Bytes && segs < best[j].Segments))
                {
                    best[j] = (bytes, segs, i, seg);
                }
            }
        }

        _segments.Clear();
        if (best[count].Seg is null)
        {
            _mb = 0;
            return;
        }

        for (int j = count; j > 0; j = best[j].Prev)
        {
            _segments.Insert(0, best[j].Seg!);
        }

        // Input prefetch across a cut: the next segment's first input goes to the top of L2 during this segment's last
        // micro-batch, when this segment still fits with that much left out of its activation area.
        for (int i = 1; i < _segments.Count; i++)
        {
            Segment prev = _segments[i - 1], cur = _segments[i];
            long reserve = cur.Mb * (cur.InputInResidual ? cur.ResidualPerSample : cur.InputPerSample);
            if (prev.Ring > 0 && prev.Used(_t.L1Bytes) + reserve > _t.L2Bytes - l2Scratch)
            {
                // A weight ring gives up the room the next input needs, if it keeps at least its two buffers.
                long shrunk = (prev.Ring - reserve) / 4096 * 4096;
                if (shrunk >= 2 * prev.WeightStage)
                {
                    prev = prev with { Ring = shrunk };
                }
            }

            if (prev.InputPrefetch && !prev.InputAhead && cur.InputPrefetch && prev.Used(_t.L1Bytes) + reserve <= _t.L2Bytes - l2Scratch)
            {
                _segments[i - 1] = prev with { ReserveTop = reserve };
                _segments[i] = cur with { InputAhead = true };
            }
        }

        _mb = _segments.Min(s => s.Mb);
    }

    /// <summary>The top of the L2 the segments use: below the resident weights' region, if any.</summary>
    private long L2Top => _t.L2Bytes - (_residentLayer >= 0 ? _l2Resident.Size : 0);

    /// <summary>Sets the L2 regions of segment <paramref name="s"/>: weight stage, residual region, activation area.</summary>
    private void EnterSegment(Segment s)
    {
        _stageWeights = s.WeightStage > 0;
        _prefetch = s.Prefetch;
        ulong at = (ulong)_l2Scratch.Size;
        _l2Stage = [new Loc(MemSpace.L2, at, Math.Max(1, s.WeightStage)), new Loc(MemSpace.L2, at + (ulong)(s.Prefetch ? s.WeightStage : 0), Math.Max(1, s.WeightStage))];
        // Functional compiles stage packed weight blocks of other sizes (and skip blocks larger than a buffer): they keep
        // the two buffers.
        _ring = s.Prefetch && !Fn ? PlanRing(s) : null;
        if (_ring is not null)
        {
            _l2Stage = [new Loc(MemSpace.L2, at, s.Ring), new Loc(MemSpace.L2, at, s.Ring)];
        }

        _l2Weights = _l2Stage[0];
        at += (ulong)(_ring is not null ? s.Ring : s.WeightStage * (s.Prefetch ? 2 : 1));
        _l2Residual = new Loc(MemSpace.L2, at, Math.Max(1, s.Mb * s.ResidualPerSample));
        at += (ulong)(s.Mb * s.ResidualPerSample);
        _l2ResBuf = [_l2Residual, _l2Residual];
        _l2InBuf = [];

        // Input prefetch: two input buffers (residual regions); with the first input ahead, buffer 0 is the top of L2.
        long top = L2Top - s.ReserveTop - s.ReserveBelow;
        if (s.InputPrefetch && s.InputInResidual)
        {
            _l2ResBuf[1] = _l2Residual with { Base = at };
            at += (ulong)(s.Mb * s.ResidualPerSample);
            if (s.InputAhead)
            {
                _l2ResBuf[0] = _l2Residual with { Base = (ulong)top };
            }
        }
        else if (s.InputPrefetch)
        {
            long size = s.Mb * s.InputPerSample;
            _l2InBuf = [new Loc(MemSpace.L2, s.InputAhead ? (ulong)top : at + (ulong)size, Math.Max(1, size)), new Loc(MemSpace.L2, at, Math.Max(1, size))];
            at += (ulong)(s.InputAhead ? size : 2 * size);
        }

        _l2Area = new Loc(MemSpace.L2, at, top - (long)at);
    }

    private static long Align(long v) => (v + 4095) / 4096 * 4096;

    private static ulong Align(ulong v) => (v + 4095) / 4096 * 4096;

    /// <summary>perCluster: a layer's output stays in the cluster's L2 (ping-pong halves) when it fits, else DRAM; split/broadcast: DRAM.</summary>
    private Loc OutputLocation(int li)
    {
        Layer l = _graph.Layers[li];
        long bytes = ActBytes(l, Lowering.OutputElements(l));
        Loc l2 = _l2Act[li % 2];
        long nextBytes = 0;
        if (li + 1 < _graph.Layers.Count)
        {
            Layer next = _graph.Layers[li + 1];
            nextBytes = ActBytes(next, Math.Max(Lowering.InputElements(next), Lowering.OutputElements(next)));
        }

        if (_mode == PartitionMode.PerCluster && bytes <= l2.Size && nextBytes <= l2.Size && _t.L1Bytes <= l2.Size)
        {
            return l2;
        }

        return _dramAct[li % 2];
    }

    // ---- layers ---------------------------------------------------------------------------------------------------

    private void EmitLayer(int li, Layer layer, Loc inLoc, Loc outLoc, LayerReport rep)
    {
        List<object> unitPhases = Lowering.Phases(layer, 1);
        for (int pi = 0; pi < unitPhases.Count; pi++)
        {
            Loc src = pi == 0 ? inLoc : _dramScratch;
            Loc dst = pi == unitPhases.Count - 1 ? outLoc : _dramScratch;
            for (int c = 0; c < _t.Chips; c++)
            {
                if (_chipSamples[c] == 0 || (_only is { } o && o.Chip != c))
                {
                    continue;
                }

                if (unitPhases[pi] is GemmPhase)
                {
                    EmitGemmOnChip(li, layer, pi, c, src, dst, inLoc, rep);
                }
                else
                {
                    EmitVectorOnChip(li, layer, pi, c, src, dst, rep);
                }

                if (_mode != PartitionMode.PerCluster)
                {
                    int participants = 0;
                    for (int k = 0; k < _t.Clusters; k++)
                    {
                        participants += _dma[c, k] is null ? 0 : 1;
                    }

                    for (int k = 0; k < _t.Clusters; k++)
                    {
                        Fence(c, k);
                        _dma[c, k]?.Barrier(c, participants);
                    }
                }
            }
        }
    }

    /// <summary>
    /// split mode: whether layer <paramref name="li"/>'s weights are staged in L2 for the layer: they fit the L2 after
    /// the VPU scratch, and the DRAM bytes of the tiles dealt with weights from L2 plus the staging (the weights once
    /// per active cluster) are fewer than those of the tiles dealt with weights from DRAM.
    /// </summary>
    private bool SplitStage(int li, int chip, Layer layer, (int K, int S)[] slots, GemmPhase g, GemmPlan plan, Loc src)
    {
        if (_mode != PartitionMode.Split || Fn || _only is not null || !_options.SplitWeightStage || !g.SharedWeights || _layerWeightBytes[li] <= 0
            || Align(_layerWeightBytes[li]) > _l2Act[0].Size + _l2Act[1].Size)
        {
            return false;
        }

        List<TileClass> classes = Classes(g, plan);
        int[] parity = slots.Select(x => _dmaSide[chip, x.K, x.S].Parity).ToArray();
        bool aFromDram = src.Space == MemSpace.Dram;
        DealTiles(layer, classes, parity, plan, true, aFromDram, false, out long direct);
        DealTiles(layer, classes, parity, plan, true, aFromDram, true, out long staged);
        int clusters = 0;
        for (int k = 0; k < _t.Clusters; k++)
        {
            clusters += _dma[chip, k] is null ? 0 : 1;
        }

        return staged + (clusters * _layerWeightBytes[li]) < direct;
    }

    /// <summary>
    /// split mode: channel 0 of every active cluster copies the layer's weights DRAM → L2 (above the VPU scratch; the
    /// activations are in DRAM, so that L2 is free) and the cluster's channels meet before any tile reads them. The
    /// per-layer chip barrier keeps the next layer's staging from overwriting weights still being read.
    /// </summary>
    private void StageSplitWeights(int li, int chip, LayerReport rep)
    {
        long bytes = _layerWeightBytes[li];
        _l2Weights = new Loc(MemSpace.L2, _l2Act[0].Base, bytes);
        for (int k = 0; k < _t.Clusters; k++)
        {
            if (_dma[chip, k] is not { } d)
            {
                continue;
            }

            d.Copy(_l2Weights.At(0), MemRef.Of(MemSpace.Dram, _weightsBase + _layerWeights[li]), bytes);
            rep.DramToL2Bytes += bytes;
            Fence(chip, k, force: true);
        }

        _weightsFromL2 = true;
    }

    private void EmitGemmOnChip(int li, Layer layer, int pi, int chip, Loc src, Loc dst, Loc bLoc, LayerReport rep)
    {
        var groups = new List<((int K, int S)[] Slots, GemmPhase Phase)>();
        (int, int)[] ClusterSlots(int k) => Enumerable.Range(0, _t.SpusPerCluster).Select(s => (k, s)).ToArray();
        switch (_mode)
        {
            case PartitionMode.PerCluster when _only is { } o:
                groups.Add((ClusterSlots(o.K), (GemmPhase)Lowering.Phases(layer, o.Samples)[pi]));
                break;
            case PartitionMode.PerCluster:
                for (int k = 0; k < _t.Clusters; k++)
                {
                    if (_clusterSamples[chip][k] > 0)
                    {
                        groups.Add((ClusterSlots(k), (GemmPhase)Lowering.Phases(layer, _clusterSamples[chip][k])[pi]));
                    }
                }

                break;
            case PartitionMode.Split:
                groups.Add((Enumerable.Range(0, _t.Clusters).SelectMany(ClusterSlots).ToArray(), (GemmPhase)Lowering.Phases(layer, _chipSamples[chip])[pi]));
                break;
            default:
                {
                    var g = (GemmPhase)Lowering.Phases(layer, _chipSamples[chip])[pi];
                    long[] cols = Compiler.Shares(g.N, _t.Clusters);
                    for (int k = 0; k < _t.Clusters; k++)
                    {
                        if (cols[k] > 0)
                        {
                            groups.Add((ClusterSlots(k), g with { N = cols[k] }));
                        }
                    }

                    break;
                }
        }

        for (int gi = 0; gi < groups.Count; gi++)
        {
            ((int K, int S)[] slots, GemmPhase g) = groups[gi];
            GemmPlan plan = Plan(li, layer, g);
            if (rep.Tile.Length == 0)
            {
                rep.GemmShape = g.Shape;
                rep.Tile = Compiler.Str($"{plan.Mt}x{plan.Nt}x{plan.Kt}");
                rep.TileForm = !plan.Window ? string.Empty
                    : plan.WinRows > 0 ? Compiler.Str($"w{plan.WinRows}r") : Compiler.Str($"w{plan.Mt / WholePq(layer)}s");
            }
            else if (pi > 0 && chip == 0 && gi == 0)
            {
                rep.GemmShape += " + " + g.Shape;
            }

            rep.L1Used = Math.Max(rep.L1Used, plan.L1Used);

            // Micro-batched: the layer's weights are staged DRAM → L2 once per micro-batch; tiles read them from L2.
            _weightsFromL2 = _only is not null && _stageWeights && g.SharedWeights && _layerWeightBytes[li] > 0;
            if (Fn)
            {
                FnBeginGroup(li, layer, pi, chip, slots, g, plan, rep);
            }
            else if (_weightsFromL2 && li == _residentLayer)
            {
                // Resident: loaded once at the program start (channel 0 took its token at the segment's start).
                _l2Weights = _l2Resident;
            }
            else if (_weightsFromL2)
            {
                StageWeights(chip, slots[0].K, MemRef.Of(MemSpace.Dram, _weightsBase + _layerWeights[li]), _layerWeightBytes[li], rep);
            }
            else if (SplitStage(li, chip, layer, slots, g, plan, src))
            {
                StageSplitWeights(li, chip, rep);
            }

            EmitGroup(li, layer, chip, slots, g, plan, src, dst, g.SharedWeights ? null : bLoc, rep);
            _weightsFromL2 = false;
        }

        // Phase end: every DMA channel flushes its SPUs' pending output tiles, and the cluster's channels meet, before
        // anything reads them.
        for (int k = 0; k < _t.Clusters; k++)
        {
            if (_dma[chip, k] is not null)
            {
                for (int s = 0; s < _t.SpusPerCluster; s++)
                {
                    FlushDrain(Chan(chip, k, s), chip, k, s);
                }

                Fence(chip, k);

                // Every channel's reads of the stage buffer have completed (fence): release it to the prefetch queue.
                if (_stagedAhead[k])
                {
                    _dma[chip, k]!.Signal(ClusterToken(k, StageFree));
                }
            }
        }

        Array.Clear(_stagedAhead);
        if (_fuse is { } fp && _only is { } only && only.Chip == chip)
        {
            EmitFusedVpu(chip, only.K, fp);
        }
    }

    /// <summary>
    /// The fused add/mul of <paramref name="f"/>: the VPU takes the producer's drains channel by channel in turn (each
    /// channel's in its landing order). A row block (one M tile of a problem) is combined with the residual in one
    /// contiguous vop once all its N tiles have been drained: the VPU first takes each channel's token up to the
    /// last of the block's drains on that channel (a channel lands its drains in order). After the last block it
    /// signals the layer's VPU-done token, which the add layer's channel 0 waits for.
    /// </summary>
    private void EmitFusedVpu(int chip, int k, FusePlan f)
    {
        if (f.Pool)
        {
            EmitFusedPool(chip, k, f);
            return;
        }

        Layer layer = _graph.Layers[f.Layer];
        StreamBuilder vpu = _vpu[chip, k]!;
        var v = (VectorPhase)Lowering.Phases(layer, 1)[0];
        Precision prec = layer.Precision == LayerPrecision.Bf16 ? Precision.Bf16 : Precision.Int8;
        int es = Lowering.ElementBytes(layer);
        bool wait = !_options.FuseWithoutDrainWaitForTest;
        int channels = _fuseDrains.Length;
        int longest = 0;
        foreach (List<(Drain, long)> list in _fuseDrains)
        {
            longest = Math.Max(longest, list.Count);
        }

        var blocks = new Dictionary<(long Problem, long Mi), (long Count, long Cols, long Off, int[] Last)>();
        int[] taken = new int[channels];
        vpu.HasWork = true;
        for (int i = 0; i < longest; i++)
        {
            for (int ch = 0; ch < channels; ch++)
            {
                if (i >= _fuseDrains[ch].Count)
                {
                    continue;
                }

                (Drain dr, long off) = _fuseDrains[ch][i];
                var key = (dr.Pos.Problem, dr.Pos.Mi);
                if (!blocks.TryGetValue(key, out var blk))
                {
                    int[] last = new int[channels];
                    Array.Fill(last, -1);

                    // Functional: the block starts at its row's first column; timing addresses are not simulated.
                    blk = (0, 0, Fn ? off - dr.ColBytes : off, last);
                }

                blk.Count++;
                blk.Cols += dr.TileCols;
                blk.Last[ch] = i;
                if (blk.Count < dr.NTiles)
                {
                    blocks[key] = blk;
                    continue;
                }

                blocks.Remove(key);
                for (int c = 0; c < channels && wait; c++)
                {
                    if (blk.Last[c] >= taken[c])
                    {
                        vpu.Wait(FuseToken(k, c), blk.Last[c] - taken[c] + 1);
                        taken[c] = blk.Last[c] + 1;
                    }
                }

                // Functional offsets are exact; timing offsets (drains at wrapped addresses) are kept inside each region.
                long blockBytes = dr.TileRows * blk.Cols * es;
                long o = blk.Off;
                MemRef In(Loc l) => Fn ? l.At(o) : l.Wrapped(o, blockBytes);
                vpu.Vop(v.Op, In(f.Out), In(f.ProducerOut), In(f.Residual), dr.TileRows * blk.Cols, prec);
                _fusedInstructions++;
            }
        }

        if (blocks.Count > 0)
        {
            throw new CompileException(Compiler.Str($"layer {layer.Name}: fused {v.Op} found {blocks.Count} row blocks not fully drained"));
        }

        EndFusedVpu(vpu, k, f, taken);
    }

    /// <summary>
    /// Closes a fused VPU phase: waits for the drain tokens not yet taken (tests without the waits: all of them), so
    /// the counts balance, signals the cluster's VPU-done token and forgets the producer's drains.
    /// </summary>
    private void EndFusedVpu(StreamBuilder vpu, int k, FusePlan f, int[] taken)
    {
        for (int c = 0; c < _fuseDrains.Length; c++)
        {
            if (_fuseDrains[c].Count > taken[c])
            {
                vpu.Wait(FuseToken(k, c), _fuseDrains[c].Count - taken[c]);
            }
        }

        vpu.Signal(ClusterToken(k, VpuDone));
        foreach (List<(Drain, long)> list in _fuseDrains)
        {
            list.Clear();
        }

        _fusedLayer = f.Layer;
        _fuse = null;
    }

    /// <summary>
    /// The fused window pool of <paramref name="f"/>: the VPU takes the producer's drains in the order
    /// <see cref="EmitFusedVpu"/> does. Pool output row r of a sample reads input rows r·stride − pad … + R − 1
    /// (clamped to the image), i.e. a range of the producer's M rows that may span several M tiles (the halo of the
    /// row blocks); once every M tile of that range has all its N tiles drained, the row is ready. The rows that
    /// become ready at one tile are pooled as blocks of consecutive rows (one sample each): the VPU first takes each
    /// channel's token up to the last drain the block reads, then issues the pool's vops over the block (a copy and
    /// R·S − 1 max/add passes, plus the avg scale; functional compiles the exact per-pixel vops). After the last
    /// block it signals the layer's VPU-done token, which the pool layer's channel 0 waits for.
    /// </summary>
    private void EmitFusedPool(int chip, int k, FusePlan f)
    {
        Layer pool = _graph.Layers[f.Layer];
        StreamBuilder vpu = _vpu[chip, k]!;
        var v = (VectorPhase)Lowering.Phases(pool, 1)[0];
        Precision prec = pool.Precision == LayerPrecision.Bf16 ? Precision.Bf16 : Precision.Int8;
        int es = Lowering.ElementBytes(pool);
        bool wait = !_options.FuseWithoutDrainWaitForTest;
        long samples = _only!.Value.Samples;
        long pOut = Lowering.ConvOut(pool.H, pool.R, pool.Stride, pool.Pad), qOut = Lowering.ConvOut(pool.W, pool.S, pool.Stride, pool.Pad);
        long inRow = pool.W * pool.C, outRow = qOut * pool.C;
        long mRows = (samples * pool.H * inRow) / f.ProducerN;
        int channels = _fuseDrains.Length;
        int longest = 0;
        foreach (List<(Drain, long)> list in _fuseDrains)
        {
            longest = Math.Max(longest, list.Count);
        }

        // Per M row: the completed tile that holds it (index into done), -1 until all its N tiles landed.
        int[] tileOf = new int[mRows];
        Array.Fill(tileOf, -1);
        var done = new List<int[]>();
        var open = new Dictionary<long, (long Count, int[] Last)>();
        bool[] pooled = new bool[samples * pOut], ready = new bool[samples * pOut];
        long left = pooled.Length;
        int[] taken = new int[channels];
        vpu.HasWork = true;

        // The producer's M rows pool output row `row` (over the micro-batch's samples) reads: [m0, m1).
        (long M0, long M1) Needs(long row)
        {
            long n = row / pOut, r = row % pOut;
            long h0 = Math.Max(0, (r * pool.Stride) - pool.Pad), h1 = Math.Min(pool.H - 1, (r * pool.Stride) - pool.Pad + pool.R - 1);
            long e0 = ((n * pool.H) + h0) * inRow, e1 = ((n * pool.H) + h1 + 1) * inRow;
            return (e0 / f.ProducerN, (e1 + f.ProducerN - 1) / f.ProducerN);
        }

        bool Ready(long row)
        {
            (long m0, long m1) = Needs(row);
            for (long m = m0; m < m1; m++)
            {
                if (tileOf[m] < 0)
                {
                    return false;
                }
            }

            return true;
        }

        void Block(long r0, long r1)
        {
            (long m0, _) = Needs(r0);
            (_, long m1) = Needs(r1 - 1);
            for (int c = 0; c < channels && wait; c++)
            {
                int last = -1;
                for (long m = m0; m < m1; m++)
                {
                    last = Math.Max(last, done[tileOf[m]][c]);
                }

                if (last >= taken[c])
                {
                    vpu.Wait(FuseToken(k, c), last - taken[c] + 1);
                    taken[c] = last + 1;
                }
            }

            if (Fn)
            {
                _fusedInstructions += FnPoolRange(f.Layer, pool, vpu, r0 * outRow, r1 * outRow, f.ProducerOut, f.Out, prec, es);
                return;
            }

            // Timing addresses are not simulated; kept inside each region.
            long n = (r1 - r0) * outRow;
            MemRef to = f.Out.Wrapped(r0 * outRow * es, n * es), from = f.ProducerOut.Wrapped(m0 * f.ProducerN * es, (m1 - m0) * f.ProducerN * es);
            vpu.Vop(VpuOp.Copy, to, from, from, n, prec);
            if (v.Cols > 1)
            {
                vpu.Loop(v.Cols - 1);
                vpu.Vop(v.Average ? VpuOp.Add : VpuOp.Max, to, to, from, n, prec);
                vpu.EndLoop();
            }

            if (v.Average)
            {
                vpu.Vop(VpuOp.Scale, to, to, _l2Scratch.At(0), n, prec);
            }

            _fusedInstructions += v.Cols + (v.Average ? 1 : 0);
        }

        // Pools the runs of ready rows (consecutive rows of one sample) of at least `min` rows, in row order.
        void Flush(long min)
        {
            long r0 = 0;
            while (r0 < pooled.Length)
            {
                if (pooled[r0] || !ready[r0])
                {
                    r0++;
                    continue;
                }

                long r1 = r0 + 1;
                while (r1 < pooled.Length && ready[r1] && !pooled[r1] && r1 / pOut == r0 / pOut)
                {
                    r1++;
                }

                if (r1 - r0 >= min)
                {
                    Block(r0, r1);
                    for (long r = r0; r < r1; r++)
                    {
                        pooled[r] = true;
                    }

                    left -= r1 - r0;
                }

                r0 = r1;
            }
        }

        for (int i = 0; i < longest; i++)
        {
            for (int ch = 0; ch < channels; ch++)
            {
                if (i >= _fuseDrains[ch].Count)
                {
                    continue;
                }

                (Drain dr, _) = _fuseDrains[ch][i];
                if (!open.TryGetValue(dr.MStart, out var t))
                {
                    int[] last = new int[channels];
                    Array.Fill(last, -1);
                    t = (0, last);
                }

                t.Count++;
                t.Last[ch] = i;
                if (t.Count < dr.NTiles)
                {
                    open[dr.MStart] = t;
                    continue;
                }

                open.Remove(dr.MStart);
                done.Add(t.Last);
                long mEnd = Math.Min(mRows, dr.MStart + dr.TileRows);
                for (long m = dr.MStart; m < mEnd; m++)
                {
                    tileOf[m] = done.Count - 1;
                }

                // Pool rows that read this tile and are now ready.
                for (long row = 0; row < pooled.Length; row++)
                {
                    (long m0, long m1) = Needs(row);
                    if (!ready[row] && m0 < mEnd && dr.MStart < m1 && Ready(row))
                    {
                        ready[row] = true;
                    }
                }

                Flush(PoolBlockRows);
            }
        }

        Flush(1);
        if (left > 0 || open.Count > 0)
        {
            throw new CompileException(Compiler.Str($"layer {pool.Name}: fused pool found {left} output rows whose input was not fully drained"));
        }

        EndFusedVpu(vpu, k, f, taken);
    }

    /// <summary>The tile plan of layer <paramref name="li"/>'s phase <paramref name="g"/>, chosen once per shape (<see cref="PlanTiles"/>).</summary>
    private GemmPlan Plan(int li, Layer layer, GemmPhase g)
    {
        if (!_plans.TryGetValue((li, g), out GemmPlan? plan))
        {
            plan = PlanTiles(layer, g);
            _plans[(li, g)] = plan;
        }

        return plan;
    }

    /// <summary>Stored bytes of a k × n weight tile: the target's format model, else <see cref="Lowering.WeightTileBytes"/>.</summary>
    /// <summary>
    /// The distinct tile sizes when <paramref name="total"/> is split into 1, 2, … <paramref name="maxParts"/> parts:
    /// min(<paramref name="cap"/>, ⌈total / parts⌉), largest first, each once (the tile searches' candidate sizes).
    /// </summary>
    private static IEnumerable<long> SplitSizes(long total, long maxParts, long cap)
    {
        long last = -1;
        for (long parts = 1; parts <= maxParts; parts++)
        {
            long size = Math.Min(cap, (total + parts - 1) / parts);
            if (size != last)
            {
                last = size;
                yield return size;
            }
        }
    }

    private long WeightTileBytes(long k, long n, int elementBytes, SpuFlags flags) =>
        _t.WeightTileBytes is { } f ? f(k, n, elementBytes, flags) : Lowering.WeightTileBytes(k, n, elementBytes, flags);

    /// <summary>
    /// Bytes the DMA moves into L1 for an A tile of <paramref name="m"/> GEMM rows and a K chunk of
    /// <paramref name="kc"/>: window plans the input window (<see cref="WindowBytes"/>), else the im2col rows m·kc
    /// (the DMA forms them: a conv input pixel is copied once per filter tap that reads it).
    /// </summary>
    private static long ABytes(Layer layer, GemmPlan plan, long m, long kc) =>
        plan.Window ? WindowBytes(layer, plan.WinRows, m, kc / ((long)layer.R * layer.S), plan.ElementBytes) : m * kc * plan.ElementBytes;

    /// <summary>
    /// Input window of a window tile of <paramref name="m"/> output pixels and <paramref name="cc"/> channels: a strip of
    /// <paramref name="rows"/> output rows reads min(H, (rows − 1)·stride + R) input rows (an interior strip; strips at
    /// the image edge read fewer, the timing compile counts every strip as interior) of W pixels; whole-sample tiles
    /// (<paramref name="rows"/> 0) read m / (P·Q) whole images. No padding is stored (the SPU reads it as zero).
    /// </summary>
    internal static long WindowBytes(Layer layer, long rows, long m, long cc, int es)
    {
        if (rows > 0)
        {
            long inRows = Math.Min(layer.H, ((rows - 1) * layer.Stride) + layer.R);
            return inRows * layer.W * cc * es;
        }

        long pq = Lowering.ConvOut(layer.H, layer.R, layer.Stride, layer.Pad) * Lowering.ConvOut(layer.W, layer.S, layer.Stride, layer.Pad);
        return Math.Max(1, m / pq) * layer.H * layer.W * cc * es;
    }

    /// <summary>Whether a conv layer may use window tiles: a filter wider than 1×1 or a stride (im2col then copies more than the input).</summary>
    private static bool WindowEligible(Layer layer) =>
        layer.Op == OpKind.Conv && ((long)layer.R * layer.S > 1 || layer.Stride > 1) && layer.H <= 65535 && layer.W <= 65535;

    /// <summary>Cycles of one matmul on one SPU: the target's SPU model, else a weight-stationary fold estimate.</summary>
    private long SpuCycles(long m, long n, long k, Precision prec, SpuFlags flags)
    {
        if (_t.SpuCycles is { } f)
        {
            return f(m, n, k, prec, flags);
        }

        long kEff = (k + Math.Max(1, flags.Ratio) - 1) / Math.Max(1, flags.Ratio);
        long folds = ((kEff + _t.ArrayRows - 1) / _t.ArrayRows) * ((n + _t.ArrayCols - 1) / _t.ArrayCols);
        return folds * ((2L * _t.ArrayRows) + _t.ArrayCols + m - 2) * (prec == Precision.Bf16 ? 2 : 1);
    }

    /// <summary>
    /// Estimated cycles of a GEMM phase with tile mt × nt × kt (the tiling cost model): tiles are dealt in rounds
    /// over the cluster's SPUs; a round lasts as long as the slower of one SPU's tile (its matmuls on the SPU model)
    /// and the cluster's DMA channels filling every SPU of the round (per K chunk: wait, A copy, weight copy, signal;
    /// per tile: the drain copy and its tokens; bytes at the L1 rate): a channel serves its SPUs one after another, and
    /// the channels together move bytes no faster than the cluster's rate. Weight tiles a SPU already holds are not counted again
    /// when the tile's K fits one or two chunks (<see cref="EmitGroup"/> skips those copies).
    /// </summary>
    /// <summary>Whether the tiling cost model takes split mode's DRAM-side activations and L2-staged weights (docs/compiler.md).</summary>
    private bool SplitDramModel(GemmPhase g) =>
        _mode == PartitionMode.Split && !Fn && _options.SplitWeightStage && _options.SplitTileModel && g.SharedWeights && _t.DramBytesPerCycle > 0;

    private double EstimateCycles(GemmPhase g, long mt, long nt, long kt, long a, int es, SpuFlags flags, Precision prec, int outBytes)
    {
        long chunks = (g.K + kt - 1) / kt;
        long mTiles = (g.M + mt - 1) / mt, nTiles = (g.N + nt - 1) / nt;
        long tiles = g.Problems * mTiles * nTiles;
        long p = _t.SpusPerCluster;
        long rounds = (tiles + p - 1) / p;
        long spu = chunks * SpuCycles(mt, nt, kt, prec, flags);
        long w = g.SharedWeights ? WeightTileBytes(kt, nt, es, flags) : kt * nt * es;

        // Weight reuse: a SPU takes a contiguous run of tiles (M fastest), so per run of mTiles tiles sharing a weight
        // tile it loads the weight twice (once per buffer) when chunks ≤ 2.
        double wLoads = chunks <= 2 && mTiles > 2 ? 2.0 / mTiles : 1.0;
        double perSpu = (chunks * ((2.0 * _t.SyncCycles) + _t.DmaCopyCycles + ((double)a / _t.DmaBytesPerCycle)
            + (wLoads * (_t.DmaCopyCycles + ((double)w / _t.DmaBytesPerCycle)))))
            + (2.0 * _t.SyncCycles) + _t.DmaCopyCycles + ((double)mt * nt * outBytes / _t.DmaBytesPerCycle);
        // DMA channels: a channel serves its share of the round's SPUs one copy after another (fixed costs and bytes),
        // and all channels share the cluster's bytes per cycle.
        long served = Math.Min(p, tiles);
        long perChannel = (served + _channels - 1) / _channels;
        double bytesPerSpu = (chunks * (a + (wLoads * w))) + ((double)mt * nt * outBytes);
        double dma = Math.Max(perChannel * perSpu, served * bytesPerSpu / _t.DmaBytesPerCycle);
        if (SplitDramModel(g))
        {
            // split mode: activations come from and go to the cluster's DRAM interface; the weights (staged in L2)
            // do not. Dealt N fastest, an SPU keeps its A tile across its row's N tiles when K fits two chunks
            // (loaded once per buffer: twice per row with one chunk, once per chunk with two).
            double aLoads = chunks <= 2 && nTiles > 2 ? (chunks == 1 ? 2.0 : 1.0) / nTiles : 1.0;
            double perSpuSplit = (chunks * ((2.0 * _t.SyncCycles) + (aLoads * (_t.DmaCopyCycles + ((double)a / _t.DmaBytesPerCycle)))
                + _t.DmaCopyCycles + ((double)w / _t.DmaBytesPerCycle)))
                + (2.0 * _t.SyncCycles) + _t.DmaCopyCycles + ((double)mt * nt * outBytes / _t.DmaBytesPerCycle);
            double dramBytes = served * ((chunks * aLoads * a) + ((double)mt * nt * outBytes));
            dma = Math.Max(perChannel * perSpuSplit, dramBytes / _t.DramBytesPerCycle);
        }

        return rounds * Math.Max(spu, dma);
    }

    /// <summary>
    /// Tile choice: over K chunkings and N splits, the largest mt that fits L1 (2·(A + weight tile) + 2·C), and
    /// smaller mt that deal the M tiles evenly over the SPUs; the tile with the least estimated cycles
    /// (<see cref="EstimateCycles"/>) wins, ties to fewer matmul instructions, then larger mt·nt.
    /// </summary>
    private GemmPlan PlanTiles(Layer layer, GemmPhase g)
    {
        int es = Lowering.ElementBytes(layer);
        Precision prec = layer.Precision == LayerPrecision.Bf16 ? Precision.Bf16 : Precision.Int8;
        SpuFlags flags = g.SharedWeights ? Lowering.Flags(layer.Sparsity) : SpuFlags.Dense;
        int outBytes = prec == Precision.Int8 ? 1 : es;
        long minK = Math.Min(g.K, _t.ArrayRows);
        long minN = Math.Min(g.N, _t.ArrayCols);
        GemmPlan? best = null;
        (double Cycles, long Instr, long Neg) bestScore = (double.MaxValue, long.MaxValue, 0);
        long lastKt = -1;
        var mts = new List<long>();
        for (long nk = 1; nk <= Math.Min(g.K, MaxSearchChunks); nk++)
        {
            long kt = Math.Min(65536, (g.K + nk - 1) / nk);
            if (kt == lastKt)
            {
                continue;
            }

            lastKt = kt;
            if (kt < minK)
            {
                break;
            }

            long chunks = (g.K + kt - 1) / kt;
            if (chunks > 1 && flags.Format == SparseFormat.NofM && flags.Ratio > 1 && kt % flags.Ratio != 0)
            {
                continue; // a K chunk must start at a balanced group boundary
            }

            foreach (long nt in SplitSizes(g.N, g.N, 65535))
            {
                if (nt < minN)
                {
                    break;
                }

                int cEs = prec == Precision.Int8 && chunks == 1 ? 1 : 4;
                long w = WeightTileBytes(kt, nt, es, flags);
                long avail = _t.L1Bytes - (2 * w);
                long per = (2 * kt * es) + (2 * nt * cEs);
                long mtMax = avail <= 0 ? 0 : Math.Min(Math.Min(avail / per, g.M), 65535);
                if (mtMax < 1)
                {
                    continue;
                }

                if (mtMax >= _t.ArrayRows && mtMax < g.M)
                {
                    mtMax -= mtMax % _t.ArrayRows;
                }

                mts.Clear();
                mts.Add(mtMax);
                long nTiles = g.Problems * ((g.N + nt - 1) / nt);
                for (long r = 1; r <= 8; r++)
                {
                    // mt that gives every SPU r M tiles per N tile column (an even deal), rounded up to whole array rows.
                    long slots = Math.Max(1, (_t.SpusPerCluster * r) / Math.Max(1, Math.Min(nTiles, _t.SpusPerCluster)));
                    long even = (g.M + slots - 1) / slots;
                    even = ((even + _t.ArrayRows - 1) / _t.ArrayRows) * _t.ArrayRows;
                    if (even < mtMax && !mts.Contains(even))
                    {
                        mts.Add(even);
                    }
                }

                foreach (long mt in mts)
                {
                    long instr = g.Problems * ((g.M + mt - 1) / mt) * ((g.N + nt - 1) / nt) * chunks;
                    double cycles = EstimateCycles(g, mt, nt, kt, mt * kt * es, es, flags, prec, outBytes);
                    (double, long, long) score = (cycles, instr, -(mt * nt));
                    if (best is null || score.CompareTo(bestScore) < 0)
                    {
                        bestScore = score;
                        best = new GemmPlan(mt, nt, kt, mt * kt * es, w, mt * nt * cEs, outBytes, es, prec, flags);
                    }
                }
            }

            if (nk > 64 && best is not null)
            {
                break;
            }
        }

        if (WindowEligible(layer) && g.SharedWeights && _options.WindowTiles)
        {
            PlanWindow(layer, g, es, prec, flags, outBytes, ref best, ref bestScore);
        }

        if (best is null)
        {
            long w = WeightTileBytes(minK, minN, es, flags);
            long need = (2 * ((minK * es) + w)) + (2 * minN * 4);
            throw new CompileException(Compiler.Str(
                $"layer '{layer.Name}': the minimal tile (1 x {minN} x {minK}) needs {need} B of L1 for two operand buffers (A + weight tile) and two output buffers; the L1 has {_t.L1Bytes} B"));
        }

        return best;
    }

    /// <summary>
    /// Window tile candidates of a conv phase (<see cref="GemmPlan.Window"/>): M tiles of ρ output rows of one sample
    /// (ρ dividing P, so strips never straddle samples) or of ν whole samples; K chunks of R·S·cc (cc channels of the
    /// window each); N splits as for im2col tiles. A candidate fits when 2·(window + weight tile) + 2·C ≤ L1, and is
    /// scored by the same cost model with the window's bytes as the A copy; it replaces <paramref name="best"/> when it
    /// scores lower.
    /// </summary>
    private void PlanWindow(Layer layer, GemmPhase g, int es, Precision prec, SpuFlags flags, int outBytes, ref GemmPlan? best, ref (double Cycles, long Instr, long Neg) bestScore)
    {
        long pOut = Lowering.ConvOut(layer.H, layer.R, layer.Stride, layer.Pad);
        long qOut = Lowering.ConvOut(layer.W, layer.S, layer.Stride, layer.Pad);
        long rs = (long)layer.R * layer.S;
        long cg = g.K / rs;
        long samples = g.M / Math.Max(1, pOut * qOut);
        if (pOut < 1 || qOut < 1 || cg < 1 || rs * cg != g.K || samples * pOut * qOut != g.M)
        {
            return;
        }

        var units = new List<(long Mt, long Rows)>();
        for (long rho = 1; rho < pOut; rho++)
        {
            if (pOut % rho == 0 && rho * qOut <= 65535)
            {
                units.Add((rho * qOut, rho));
            }
        }

        for (long nu = 1; nu <= samples && nu * pOut * qOut <= 65535; nu++)
        {
            units.Add((nu * pOut * qOut, 0));
        }

        long minN = Math.Min(g.N, _t.ArrayCols);
        int tried = 0;
        foreach (long cc in SplitSizes(cg, cg, long.MaxValue))
        {
            if (tried++ == 48)
            {
                break;
            }

            long kt = rs * cc;
            long chunks = (cg + cc - 1) / cc;
            if (kt > 65536 || (chunks > 1 && flags.Format == SparseFormat.NofM && flags.Ratio > 1 && cc % flags.Ratio != 0))
            {
                continue;
            }

            if (chunks > 1 && prec == Precision.Bf16)
            {
                // Channel chunks reorder the reduction ((r, s, c) within a chunk, chunk after chunk): exact in INT32, but
                // FP32 sums would round differently from the layer's K order, so BF16 window tiles keep all channels.
                break;
            }

            int cEs = prec == Precision.Int8 && chunks == 1 ? 1 : 4;
            foreach (long nt in SplitSizes(g.N, g.N, 65535))
            {
                if (nt < minN)
                {
                    break;
                }

                long w = WeightTileBytes(kt, nt, es, flags);
                foreach ((long mt, long rows) in units)
                {
                    long a = WindowBytes(layer, rows, mt, cc, es);
                    long c = mt * nt * cEs;
                    if ((2 * (a + w)) + (2 * c) > _t.L1Bytes)
                    {
                        continue;
                    }

                    long instr = g.Problems * ((g.M + mt - 1) / mt) * ((g.N + nt - 1) / nt) * chunks;
                    double cycles = EstimateCycles(g, mt, nt, kt, a, es, flags, prec, outBytes);
                    (double, long, long) score = (cycles, instr, -(mt * nt));
                    if (best is null || score.CompareTo(bestScore) < 0)
                    {
                        bestScore = score;
                        best = new GemmPlan(mt, nt, kt, a, w, c, outBytes, es, prec, flags) { Window = true, WinRows = rows, Cc = cc };
                    }
                }
            }
        }
    }

    /// <summary>The tile classes of a GEMM phase: full and edge tiles along M and N, each with its K chunks.</summary>
    private static List<TileClass> Classes(GemmPhase g, GemmPlan p)
    {
        long chunks = (g.K + p.Kt - 1) / p.Kt;
        long[] ks = new long[chunks];
        for (int i = 0; i < chunks; i++)
        {
            ks[i] = Math.Min(p.Kt, g.K - (i * p.Kt));
        }

        long mFull = g.M / p.Mt, mEdge = g.M % p.Mt, nFull = g.N / p.Nt, nEdge = g.N % p.Nt;
        long mTiles = (g.M + p.Mt - 1) / p.Mt, nTiles = (g.N + p.Nt - 1) / p.Nt;
        var list = new List<TileClass>();
        void AddClass(long m, long n, long mc, long nc, long mFirst, long nFirst)
        {
            if (m > 0 && n > 0 && mc * nc > 0)
            {
                list.Add(new TileClass(m, n, ks, mc * nc * g.Problems, mc, nc, mFirst, nFirst, mTiles, nTiles));
            }
        }

        AddClass(p.Mt, p.Nt, mFull, nFull, 0, 0);
        AddClass(p.Mt, nEdge, mFull, 1, 0, nFull);
        AddClass(mEdge, p.Nt, 1, nFull, mFull, 0);
        AddClass(mEdge, nEdge, 1, 1, mFull, nFull);
        return list;
    }

    /// <summary>
    /// Position of tile <paramref name="tile"/> of a class in a tile order: its problem and its M and N tile indices
    /// among the phase's tiles (not the class's, so that tiles of different classes never share an index); M fastest
    /// (weights reused along a SPU's run) or N fastest (activations reused). The DMA addresses a tile's data by it.
    /// </summary>
    private static (long Problem, long Mi, long Ni) TilePos(TileClass tc, long tile, bool mFastest)
    {
        long per = tc.MCount * tc.NCount;
        long prob = tile / per, r = tile % per;
        (long m, long n) = mFastest ? (r % tc.MCount, r / tc.MCount) : (r / tc.NCount, r % tc.NCount);
        return (prob, tc.MFirst + m, tc.NFirst + n);
    }

    /// <summary>
    /// Operand identities of tile <paramref name="tile"/> of a class in an order: (problem, M tile) for A and (problem,
    /// N tile) for the weights, M and N tile indices among the whole phase's tiles (<see cref="TilePos"/>).
    /// </summary>
    private (long A, long W) TileKeys(TileClass tc, long tile, bool mFastest)
    {
        (long prob, long mi, long ni) = TilePos(tc, tile, mFastest);
        if (_options.ReuseKeysWithoutClassForTest)
        {
            // The keys before session 4: indices within the class, so an edge tile could take a full tile's operand.
            mi -= tc.MFirst;
            ni -= tc.NFirst;
            return ((prob * tc.MCount) + mi, (prob * tc.NCount) + ni);
        }

        return ((prob * tc.MTiles) + mi, (prob * tc.NTiles) + ni);
    }

    /// <summary>
    /// Deals the tiles of every class over the slots and decides which operand copies can be skipped. Each slot takes
    /// a contiguous run of a class's tiles (remainders rotate over the slots from class to class), one per round. For
    /// each slot the DMA's two operand buffers are followed through the rounds (a buffer per K chunk, alternating): a
    /// copy is skipped when the buffer it goes to already holds that operand (same problem, same M tile for A, same N
    /// tile for weights, same K chunk). Both tile orders (M fastest: weight reuse; N fastest: activation reuse) are
    /// tried and the one that moves fewer bytes wins. Buffers start empty for every group (no reuse across layers).
    /// </summary>
    private List<Step> DealTiles(Layer layer, List<TileClass> classes, int[] startParity, GemmPlan plan, bool sharedWeights, bool aFromDram, bool wFromL2) =>
        DealTiles(layer, classes, startParity, plan, sharedWeights, aFromDram, wFromL2, out _);

    private List<Step> DealTiles(Layer layer, List<TileClass> classes, int[] startParity, GemmPlan plan, bool sharedWeights, bool aFromDram, bool wFromL2, out long dramBytes)
    {
        List<Step>? best = null;
        (long Dram, long All) bestBytes = (long.MaxValue, long.MaxValue);
        foreach (bool mFastest in new[] { true, false })
        {
            int p = startParity.Length;
            var steps = new List<Step>();
            int[] parity = (int[])startParity.Clone();
            var held = new (long Key, int J)[p, 2, 2]; // slot, buffer, operand (0 A, 1 W)
            for (int i = 0; i < p; i++)
            {
                for (int b = 0; b < 2; b++)
                {
                    held[i, b, 0] = (-1, -1);
                    held[i, b, 1] = (-1, -1);
                }
            }

            long bytes = 0, dram = 0;
            int rotate = 0;
            for (int ci = 0; ci < classes.Count; ci++)
            {
                TileClass tc = classes[ci];
                long q = tc.Count / p;
                int rem = (int)(tc.Count % p);
                var start = new long[p];
                var len = new long[p];
                long at = 0;
                for (int i = 0; i < p; i++)
                {
                    len[i] = q + (((i - rotate + p) % p) < rem ? 1 : 0);
                    start[i] = at;
                    at += len[i];
                }

                rotate = (rotate + rem) % p;
                for (long r = 0; r < q + (rem > 0 ? 1 : 0); r++)
                {
                    var slotList = new List<int>();
                    var tiles = new List<long>();
                    var masks = new List<int>();
                    for (int i = 0; i < p; i++)
                    {
                        if (r >= len[i])
                        {
                            continue;
                        }

                        long tile = start[i] + r;
                        (long aKey, long wKey) = TileKeys(tc, tile, mFastest);

                        int mask = 0;
                        for (int j = 0; j < tc.Chunks.Length; j++)
                        {
                            int b = parity[i];
                            int bits = LoadA | LoadW;
                            if (tc.Chunks.Length <= 2)
                            {
                                if (_options.OperandReuse)
                                {
                                    bits = (held[i, b, 0] == (aKey, j) ? 0 : LoadA) | (held[i, b, 1] == (wKey, j) ? 0 : LoadW);
                                }

                                held[i, b, 0] = (aKey, j);
                                held[i, b, 1] = (wKey, j);
                            }
                            else
                            {
                                // More than two K chunks: every chunk is copied and the buffers hold nothing reusable.
                                held[i, b, 0] = (-1, -1);
                                held[i, b, 1] = (-1, -1);
                            }

                            if (j < 2)
                            {
                                // Tiles with more than two K chunks load every chunk (ChunkMask); the first two chunks'
                                // bits must still be set (a zero mask would skip their copies).
                                mask |= bits << (2 * j);
                            }

                            long kc = tc.Chunks[j];
                            long aBytes = (bits & LoadA) != 0 ? ABytes(layer, plan, tc.M, kc) : 0;
                            long wBytes = (bits & LoadW) != 0 ? (sharedWeights ? WeightTileBytes(kc, tc.N, plan.ElementBytes, plan.Flags) : kc * tc.N * plan.ElementBytes) : 0;
                            bytes += aBytes + wBytes;
                            dram += (aFromDram ? aBytes : 0) + (wFromL2 ? 0 : wBytes);
                            parity[i] ^= 1;
                        }

                        slotList.Add(i);
                        tiles.Add(tile);
                        masks.Add(mask);
                    }

                    steps.Add(new Step(ci, [.. slotList], [.. tiles], [.. masks], mFastest));
                }
            }

            if ((dram, bytes).CompareTo(bestBytes) < 0)
            {
                bestBytes = (dram, bytes);
                best = steps;
            }
        }

        dramBytes = bestBytes.Dram;
        return best!;
    }

    private void EmitGroup(int li, Layer layer, int chip, (int K, int S)[] slots, GemmPhase g, GemmPlan plan, Loc src, Loc dst, Loc? bLoc, LayerReport rep)
    {
        List<TileClass> classes = Classes(g, plan);
        int p = slots.Length;
        int[] parity = slots.Select(x => _dmaSide[chip, x.K, x.S].Parity).ToArray();
        List<Step> steps = DealTiles(layer, classes, parity, plan, bLoc is null, src.Space == MemSpace.Dram, _weightsFromL2);

        // Accounting (executed counts).
        bool inL2 = src.Space == MemSpace.L2;
        foreach (Step st in steps)
        {
            TileClass tc = classes[st.Class];
            long n = st.Slots.Length;
            rep.Tiles += n;
            rep.MatmulInstructions += n * tc.Chunks.Length;
            rep.Macs += n * tc.M * tc.N * tc.Chunks.Sum();
            long aBytes = 0, wBytes = 0;
            foreach (int mask in st.Masks)
            {
                for (int j = 0; j < tc.Chunks.Length; j++)
                {
                    long kc = tc.Chunks[j];
                    int bits = ChunkMask(mask, j);
                    aBytes += (bits & LoadA) != 0 ? ABytes(layer, plan, tc.M, kc) : 0;
                    wBytes += (bits & LoadW) != 0 ? (bLoc is null ? WeightTileBytes(kc, tc.N, plan.ElementBytes, plan.Flags) : kc * tc.N * plan.ElementBytes) : 0;
                }
            }

            if (inL2)
            {
                rep.L2ToL1Bytes += aBytes;
            }
            else
            {
                rep.DramToL1Bytes += aBytes;
            }

            if (_weightsFromL2 || bLoc is { Space: MemSpace.L2 })
            {
                rep.L2ToL1Bytes += wBytes;
            }
            else
            {
                rep.DramToL1Bytes += wBytes;
            }

            long outBytes = n * tc.M * tc.N * plan.OutBytes;
            if (dst.Space == MemSpace.L2)
            {
                rep.L1ToL2Bytes += outBytes;
            }
            else
            {
                rep.L1ToDramBytes += outBytes;
            }
        }

        // DMA streams, one per channel of each cluster of the group (SPU s on channel s % channels): runs of identical
        // steps become loops. The cluster's channels first meet, so copies channel 0 made before (weight staging,
        // vector layers, the previous layer's drains on every channel) have landed.
        foreach (int k in slots.Select(x => x.K).Distinct())
        {
            Fence(chip, k);
        }

        foreach ((int k, int ch) in slots.Select(x => (x.K, x.S % _channels)).Distinct())
        {
            StreamBuilder d = _dmaCh[chip, k, ch]!;
            var local = new List<(Step Step, int[] Spus, long[] Tiles, int[] Masks)>();
            foreach (Step st in steps)
            {
                var spus = new List<int>();
                var tiles = new List<long>();
                var masks = new List<int>();
                for (int x = 0; x < st.Slots.Length; x++)
                {
                    if (slots[st.Slots[x]].K == k && slots[st.Slots[x]].S % _channels == ch)
                    {
                        spus.Add(slots[st.Slots[x]].S);
                        tiles.Add(st.Tiles[x]);
                        masks.Add(st.Masks[x]);
                    }
                }

                if (spus.Count > 0)
                {
                    local.Add((st, [.. spus], [.. tiles], [.. masks]));
                }
            }

            // A fused producer's drains are each followed by one VPU step: no loops on its channels (the VPU follows
            // every drain, which a loop body would repeat).
            bool noLoops = d.NoLoops;
            d.NoLoops = noLoops || _fuse is not null;
            Func<(Step Step, int[] Spus, long[] Tiles, int[] Masks), (Step Step, int[] Spus, long[] Tiles, int[] Masks), bool> same =
                (a, b) => a.Step.Class == b.Step.Class && a.Spus.AsSpan().SequenceEqual(b.Spus) && a.Masks.AsSpan().SequenceEqual(b.Masks);
            Action<(Step Step, int[] Spus, long[] Tiles, int[] Masks)> emit =
                x => EmitDmaStep(li, d, chip, k, x.Spus, x.Tiles, x.Masks, x.Step.MFastest, classes[x.Step.Class], plan, src, dst, bLoc);
            if (steps.Count > 0 && !steps[0].MFastest && _options.PeriodicLoops)
            {
                // N fastest: an SPU's activation tile stays while the weight tiles of its M row stream, so its copy
                // masks repeat every NCount steps (A and W, then W only): loop over whole periods.
                CompressPeriodic(local, same, d, emit, x => (int)Math.Min(classes[x.Step.Class].NCount, MaxLoopPeriod), x => x.Spus);
            }
            else
            {
                Compress(local, same, d, emit);
            }

            d.NoLoops = noLoops;
        }

        // SPU streams: runs of identical tiles become loops.
        for (int i = 0; i < p; i++)
        {
            (int k, int s) = slots[i];
            StreamBuilder b = _spu[chip, k, s]!;
            var mine = new List<(int Class, long Tile, bool MFastest)>();
            foreach (Step st in steps)
            {
                int at = Array.IndexOf(st.Slots, i);
                if (at >= 0)
                {
                    mine.Add((st.Class, st.Tiles[at], st.MFastest));
                }
            }

            if (mine.Count > 0)
            {
                b.HasWork = true;
            }

            Compress(mine, (x, y) => x.Class == y.Class, b, t => EmitSpuTile(b, _spuSide[chip, k, s], k, s, layer, classes[t.Class], plan, TilePos(classes[t.Class], t.Tile, t.MFastest)));
        }
    }

    /// <summary>Longest period <see cref="CompressPeriodic{T}"/> looks for (N tiles per M row of a class).</summary>
    private const int MaxLoopPeriod = 64;

    /// <summary>
    /// Emits <paramref name="items"/> with periodic runs as loops: at each position the period is
    /// <paramref name="periodOf"/> of the item there; when at least three whole periods repeat (item t equal to item
    /// t − period), the first period is emitted unrolled (the steady state), then a loop whose body is one period, or
    /// two when some SPU (<paramref name="spusOf"/> an item) takes an odd number of tiles in one period (a body must
    /// leave every SPU's operand and C buffer parities as it found them, as a pair does in <see cref="Compress{T}"/>),
    /// then the periods left over, each part with its runs of equal items as inner loops (<see cref="Compress{T}"/>).
    /// Elsewhere, and for period 1, as <see cref="Compress{T}"/>.
    /// </summary>
    private static void CompressPeriodic<T>(List<T> items, Func<T, T, bool> same, StreamBuilder b, Action<T> emit, Func<T, int> periodOf, Func<T, int[]> spusOf)
    {
        var tilesPerSpu = new int[IsaLimits.SpusPerCluster];
        int i = 0;
        while (i < items.Count)
        {
            int period = periodOf(items[i]);
            if (period > 1 && i + (3 * period) <= items.Count && b.LoopDepth < IsaLimits.MaxLoopDepth && !b.NoLoops)
            {
                int end = i + period;
                while (end < items.Count && same(items[end], items[end - period]))
                {
                    end++;
                }

                int blocks = (end - i) / period;
                Array.Clear(tilesPerSpu);
                for (int t = i; t < i + period; t++)
                {
                    foreach (int spu in spusOf(items[t]))
                    {
                        tilesPerSpu[spu]++;
                    }
                }

                bool even = true;
                foreach (int n in tilesPerSpu)
                {
                    even &= n % 2 == 0;
                }

                int bodyBlocks = even ? 1 : 2;
                int loops = (blocks - 1) / bodyBlocks;
                if (loops >= 2)
                {
                    // Each part keeps Compress's runs of equal steps (the W-only steps of a row) as inner loops.
                    Compress(items.GetRange(i, period), same, b, emit);
                    int body = bodyBlocks * period;
                    b.Loop(loops);
                    Compress(items.GetRange(i + period, body), same, b, emit);
                    b.EndLoop();
                    int done = i + period + (loops * body);
                    Compress(items.GetRange(done, i + (blocks * period) - done), same, b, emit);
                    i += blocks * period;
                    continue;
                }
            }

            // No periodic run here: one run of equal items, as Compress does.
            int j = i + 1;
            while (j < items.Count && same(items[i], items[j]))
            {
                j++;
            }

            Compress(items.GetRange(i, j - i), same, b, emit);
            i = j;
        }
    }

    /// <summary>
    /// Emits <paramref name="items"/> with runs of equal items as loops: the first of a run unrolled (so that the
    /// state entering the loop is the steady state), then pairs in a loop (a pair leaves buffer parities unchanged),
    /// then the odd one left over.
    /// </summary>
    private static void Compress<T>(List<T> items, Func<T, T, bool> same, StreamBuilder b, Action<T> emit)
    {
        int i = 0;
        while (i < items.Count)
        {
            int j = i + 1;
            while (j < items.Count && same(items[i], items[j]))
            {
                j++;
            }

            int run = j - i;
            emit(items[i]);
            int pairs = (run - 1) / 2;
            if (pairs >= 2 && b.LoopDepth < IsaLimits.MaxLoopDepth && !b.NoLoops)
            {
                b.Loop(pairs);
                emit(items[i + 1]);
                emit(items[i + 2]);
                b.EndLoop();
            }
            else
            {
                for (int r = 0; r < 2 * pairs; r++)
                {
                    emit(items[i + 1 + r]);
                }
            }

            if ((run - 1) % 2 == 1)
            {
                emit(items[j - 1]);
            }

            i = j;
        }
    }

    /// <summary>
    /// One round of a tile class on one cluster's DMA: per K chunk and SPU, wait for the buffer, copy the operands the
    /// step's mask asks for, signal; the previous tiles drain after the first chunk. Functional compiles take each
    /// copy's exact addresses from the tile's position (<see cref="TilePos"/>; <c>FnACopy</c>, <c>FnWCopy</c>,
    /// <c>FnDrainTo</c>), timing compiles take addresses wrapped into the regions.
    /// </summary>
    private void EmitDmaStep(int li, StreamBuilder d, int chip, int k, int[] spus, long[] tiles, int[] masks, bool mFastest, TileClass tc, GemmPlan plan, Loc src, Loc dst, Loc? bLoc)
    {
        Loc weights = new(MemSpace.Dram, _weightsBase + _layerWeights[li], long.MaxValue / 4);
        for (int j = 0; j < tc.Chunks.Length; j++)
        {
            long kc = tc.Chunks[j];
            for (int x = 0; x < spus.Length; x++)
            {
                int s = spus[x];
                SpuState st = _dmaSide[chip, k, s];
                int b = st.Parity;
                long tile = tiles[x];
                int bits = ChunkMask(masks[x], j);
                long aBytes = ABytes(_graph.Layers[li], plan, tc.M, kc);
                long wBytes = bLoc is null ? WeightTileBytes(kc, tc.N, plan.ElementBytes, plan.Flags) : kc * tc.N * plan.ElementBytes;
                d.Wait(SlotToken(k, s, 2 + b));
                if ((bits & LoadA) != 0)
                {
                    if (Fn)
                    {
                        FnACopy(li, d, L1(s, plan.A(b)), src, TilePos(tc, tile, mFastest), tc, j, plan);
                    }
                    else
                    {
                        d.Copy(L1(s, plan.A(b)), src.Wrapped((tile * tc.M * (tc.Chunks.Length * plan.Kt)) + (j * plan.Kt * tc.M), aBytes), aBytes);
                    }
                }

                if ((bits & LoadW) != 0)
                {
                    if (Fn)
                    {
                        FnWCopy(li, d, L1(s, plan.W(b)), bLoc, TilePos(tc, tile, mFastest), tc, j, plan);
                    }
                    else
                    {
                        MemRef wSrc = bLoc is { } bl ? bl.Wrapped(tile * kc * tc.N, wBytes)
                            : _weightsFromL2 ? _l2Weights.Wrapped(j * plan.WBytes, wBytes) : weights.At(j * plan.WBytes);
                        d.Copy(L1(s, plan.W(b)), wSrc, wBytes);
                    }
                }

                d.Signal(SlotToken(k, s, b));
                st.Parity ^= 1;
            }

            if (j == 0)
            {
                foreach (int s in spus)
                {
                    FlushDrain(d, chip, k, s);
                }
            }
        }

        for (int x = 0; x < spus.Length; x++)
        {
            SpuState st = _dmaSide[chip, k, spus[x]];
            long bytes = tc.M * tc.N * plan.OutBytes;
            st.Pending = (Fn
                ? FnDrainTo(li, dst, TilePos(tc, tiles[x], mFastest), tc, plan, st.CParity)
                : new Drain(bytes, st.CParity, plan.C(st.CParity), dst.Wrapped(tiles[x] * bytes, bytes)))
                with
            { TileRows = tc.M, TileCols = tc.N, Pos = TilePos(tc, tiles[x], mFastest), NTiles = tc.NTiles, ColBytes = TilePos(tc, tiles[x], mFastest).Ni * plan.Nt * plan.OutBytes, MStart = TilePos(tc, tiles[x], mFastest).Mi * plan.Mt };
            st.CParity ^= 1;
        }
    }

    private static MemRef L1(int spu, ulong offset) => new(MemSpace.L1, MemRef.Local, MemRef.Local, spu, offset);

    private void FlushDrain(StreamBuilder d, int chip, int k, int s)
    {
        SpuState? st = _dmaSide[chip, k, s];
        if (st?.Pending is not { } p)
        {
            return;
        }

        d.Wait(SlotToken(k, s, 4 + p.CBuffer));
        if (p.Rows > 1)
        {
            d.Copy2d(p.Dst, L1(s, p.COffset), p.Rows, p.Bytes / p.Rows, p.DstStride, p.Bytes / p.Rows);
        }
        else
        {
            d.Copy(p.Dst, L1(s, p.COffset), p.Bytes);
        }
        d.Signal(SlotToken(k, s, 6 + p.CBuffer));
        st.Pending = null;
        if (_fuse is { } f)
        {
            // The drain has landed (signal releases after every earlier instruction): the fused VPU may read it.
            int ch = s % _channels;
            d.Signal(FuseToken(k, ch));
            _fuseDrains[ch].Add((p, (long)(p.Dst.Offset - f.ProducerOut.Base)));
        }
    }

    /// <summary>
    /// The conv instruction of window tile <paramref name="mi"/> (an M tile index of the phase), K chunk of
    /// <paramref name="kc"/>: a strip (ROWS = the plan's rows, ROW0 from the tile's position) or whole samples. Timing
    /// compiles (whose loops repeat one tile) pass <paramref name="exact"/> false and get an interior strip: the SPU
    /// time depends only on M = N·rows·Q.
    /// </summary>
    private static ConvGeometry WindowConv(Layer layer, GemmPlan plan, long m, long n, long mi, long kc, bool exact)
    {
        long pOut = Lowering.ConvOut(layer.H, layer.R, layer.Stride, layer.Pad);
        long qOut = Lowering.ConvOut(layer.W, layer.S, layer.Stride, layer.Pad);
        long cc = kc / ((long)layer.R * layer.S);
        long samples = 1, rows = 0, row0 = 0;
        if (plan.WinRows > 0)
        {
            rows = plan.WinRows;
            row0 = exact ? (mi * plan.Mt) % (pOut * qOut) / qOut : Math.Min(1, pOut - rows);
        }
        else
        {
            samples = Math.Max(1, m / (pOut * qOut));
        }

        return new ConvGeometry(samples, layer.H, layer.W, cc, n, layer.R, layer.S, layer.Stride, layer.Pad, rows, row0);
    }

    private static long WholePq(Layer layer) => Lowering.ConvOut(layer.H, layer.R, layer.Stride, layer.Pad) * Lowering.ConvOut(layer.W, layer.S, layer.Stride, layer.Pad);

    private void EmitSpuTile(StreamBuilder b, SpuState st, int k, int s, Layer layer, TileClass tc, GemmPlan plan, (long Problem, long Mi, long Ni) pos)
    {
        int cb = st.CParity;
        st.CParity ^= 1;
        for (int j = 0; j < tc.Chunks.Length; j++)
        {
            int buf = st.Parity;
            b.Wait(SlotToken(k, s, buf));
            if (j == 0)
            {
                b.Wait(SlotToken(k, s, 6 + cb));
            }

            bool last = j == tc.Chunks.Length - 1;
            SpuFlags f = plan.Flags with { Accumulate = j > 0 };
            if (last && plan.Prec == Precision.Int8)
            {
                f = f with { Requantize = true, RqScale = Fn ? _fnRqScale : 1, RqShift = Fn ? _fnRqShift : 0 };
            }
            else if (last && Fn && plan.Prec == Precision.Bf16)
            {
                f = f with { OutBf16 = true };
            }

            if (plan.Window)
            {
                ConvGeometry cg = WindowConv(layer, plan, tc.M, tc.N, pos.Mi, tc.Chunks[j], Fn);
                b.Conv(cg, MemRef.Of(MemSpace.L1, plan.A(buf)), MemRef.Of(MemSpace.L1, plan.W(buf)), MemRef.Of(MemSpace.L1, plan.C(cb)), plan.Prec, f);
            }
            else
            {
                b.Matmul(tc.M, tc.N, tc.Chunks[j], MemRef.Of(MemSpace.L1, plan.A(buf)), MemRef.Of(MemSpace.L1, plan.W(buf)), MemRef.Of(MemSpace.L1, plan.C(cb)), plan.Prec, f);
            }

            b.Signal(SlotToken(k, s, 2 + buf));
            st.Parity ^= 1;
        }

        b.Signal(SlotToken(k, s, 4 + cb));
    }

    // ---- vector layers ------------------------------------------------------------------------------------------

    private void EmitVectorOnChip(int li, Layer layer, int pi, int chip, Loc src, Loc dst, LayerReport rep)
    {
        for (int k = 0; k < _t.Clusters; k++)
        {
            StreamBuilder? d = _dma[chip, k];
            if (d is null)
            {
                continue;
            }

            VectorPhase v;
            if (_only is { } o)
            {
                if (o.K != k)
                {
                    continue;
                }

                v = (VectorPhase)Lowering.Phases(layer, o.Samples)[pi];
            }
            else if (_mode == PartitionMode.PerCluster)
            {
                v = (VectorPhase)Lowering.Phases(layer, _clusterSamples[chip][k])[pi];
            }
            else
            {
                var whole = (VectorPhase)Lowering.Phases(layer, _chipSamples[chip])[pi];
                v = whole with { Rows = Compiler.Shares(whole.Rows, _t.Clusters)[k] };
            }

            if (v.Rows == 0 || v.Cols == 0)
            {
                continue;
            }

            if (_fusedLayer == li)
            {
                // Fused into the producer's drains (EmitFusedVpu): only the wait for the VPU's last tile remains.
                d.Wait(ClusterToken(k, VpuDone));
                rep.VectorInstructions += _fusedInstructions;
                _fusedInstructions = 0;
                _fusedLayer = -1;
                continue;
            }

            if (Fn)
            {
                FnVector(li, layer, d, _vpu[chip, k]!, _sfa[chip, k]!, k, v, FnRowOffset(layer, pi, chip, k), src, dst, rep);
                continue;
            }

            EmitVector(li, layer, d, _vpu[chip, k]!, _sfa[chip, k]!, k, v, src, dst, rep);
        }
    }

    private void EmitVector(int li, Layer layer, StreamBuilder d, StreamBuilder vpu, StreamBuilder sfa, int k, VectorPhase v, Loc src, Loc dst, LayerReport rep)
    {
        Precision prec = layer.Precision == LayerPrecision.Bf16 ? Precision.Bf16 : Precision.Int8;
        int es = Lowering.ElementBytes(layer);
        long n = v.Elements;
        MemRef s0 = src.At(0), d0 = dst.At(0);
        MemRef scalar = _l2Scratch.At(0);
        MemRef rowVec = v.Rows * 4 <= _l2Scratch.Size - 4096 ? _l2Scratch.At(4096) : _dramTemp.At(0);
        long rowVecBytes = (v.Rows * 4 + 4095) / 4096 * 4096;
        MemRef squares = v.Elements * es <= _l2Scratch.Size - 4096 - rowVecBytes ? _l2Scratch.At(4096 + rowVecBytes) : _dramScratch.At(0);
        MemRef other = _only is not null && KeepsResidual(layer) ? _l2Residual.At(0) : _dramScratch.At(0);
        int vpuGo = ClusterToken(k, VpuGo), vpuDone = ClusterToken(k, VpuDone), sfaGo = ClusterToken(k, SfaGo), sfaDone = ClusterToken(k, SfaDone);
        int toSfa = ClusterToken(k, VpuToSfa), toVpu = ClusterToken(k, SfaToVpu);

        void SfaStep(SfaFunc func, MemRef to, MemRef from, long elems)
        {
            vpu.Signal(toSfa);
            sfa.Wait(toSfa);
            sfa.Sfa(func, to, from, elems, prec);
            sfa.Signal(toVpu);
            vpu.Wait(toVpu);
            sfa.HasWork = true;
            rep.VectorInstructions += 1;
        }

        if (v.Kind == VectorKind.Sfa)
        {
            d.Signal(sfaGo);
            sfa.Wait(sfaGo);
            sfa.Sfa(v.Func, d0, s0, n, prec);
            sfa.Signal(sfaDone);
            sfa.HasWork = true;
            d.Wait(sfaDone);
            rep.VectorInstructions += 1;
            return;
        }

        d.Signal(vpuGo);
        vpu.Wait(vpuGo);
        vpu.HasWork = true;
        switch (v.Kind)
        {
            case VectorKind.Elementwise:
                vpu.Vop(v.Op, d0, s0, other, n, prec);
                rep.VectorInstructions += 1;
                break;
            case VectorKind.Softmax:
                // Rows forms of the per-row loops (docs/compiler.md): one instruction per step, one result per row in rowVec.
                vpu.Vreduce(ReduceOp.Max, rowVec, s0, v.Cols, prec, rows: v.Rows);
                vpu.Vop(VpuOp.Sub, d0, s0, rowVec, v.Cols, prec, bcast: true, rows: v.Rows);
                SfaStep(SfaFunc.Exp, d0, d0, n);
                vpu.Vreduce(ReduceOp.Sum, rowVec, d0, v.Cols, prec, rows: v.Rows);
                SfaStep(SfaFunc.Recip, rowVec, rowVec, v.Rows);
                vpu.Vop(VpuOp.Mul, d0, d0, rowVec, v.Cols, prec, bcast: true, rows: v.Rows);
                rep.VectorInstructions += 4;
                break;
            case VectorKind.LayerNorm:
                {
                    Loc weights = new(MemSpace.Dram, _weightsBase + _layerWeights[li], long.MaxValue / 4);
                    vpu.Vreduce(ReduceOp.Sum, rowVec, s0, v.Cols, prec, rows: v.Rows);
                    vpu.Vop(VpuOp.Sub, d0, s0, rowVec, v.Cols, prec, bcast: true, rows: v.Rows);
                    vpu.Vop(VpuOp.Mul, squares, d0, d0, v.Cols, prec, rows: v.Rows);
                    vpu.Vreduce(ReduceOp.Sum, rowVec, squares, v.Cols, prec, rows: v.Rows);
                    SfaStep(SfaFunc.Rsqrt, rowVec, rowVec, v.Rows);
                    vpu.Vop(VpuOp.Scale, d0, d0, rowVec, v.Cols, prec, rows: v.Rows);
                    vpu.Vop(VpuOp.Mul, d0, d0, weights.At(0), v.Cols, prec, rows: v.Rows, rowVector: true);
                    vpu.Vop(VpuOp.Add, d0, d0, weights.At(v.Cols * es), v.Cols, prec, rows: v.Rows, rowVector: true);
                    rep.VectorInstructions += 7;
                    break;
                }

            case VectorKind.PoolWindow:
                n = v.Rows;
                vpu.Vop(VpuOp.Copy, d0, s0, s0, n, prec);
                if (v.Cols > 1)
                {
                    vpu.Loop(v.Cols - 1);
                    vpu.Vop(v.Average ? VpuOp.Add : VpuOp.Max, d0, d0, s0, n, prec);
                    vpu.EndLoop();
                }

                if (v.Average)
                {
                    vpu.Vop(VpuOp.Scale, d0, d0, scalar, n, prec);
                }

                rep.VectorInstructions += v.Cols + (v.Average ? 1 : 0);
                break;
            case VectorKind.Embedding:
                {
                    Loc table = new(MemSpace.Dram, _weightsBase + _layerWeights[li], long.MaxValue / 4);
                    vpu.Gather(d0, table.At(0), _dramTemp.At(0), n, prec);
                    rep.VectorInstructions += 1;
                    break;
                }
        }

        vpu.Signal(vpuDone);
        d.Wait(vpuDone);
    }
}
