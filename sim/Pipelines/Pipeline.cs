using System.Globalization;
using Antoum.Isa;
using Antoum.Sim.Blocks.Codec;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Pipelines;

/// <summary>The two shipped pipelines.</summary>
public enum PipelineKind
{
    /// <summary>S video streams: decode (H.264/H.265) → resize and colour-convert to 224x224 → classify.</summary>
    VideoAnalytics,

    /// <summary>JPEG images: decode → resize → classify.</summary>
    JpegClassify,
}

/// <summary>One block's activity and one counter of the classifier's compiled network run, for one batch.</summary>
public sealed record ClassifierActivity(string Name, string Kind, ulong ClockHz, ulong BusyPs, ulong StallPs, long BytesIn, long BytesOut);

/// <summary>
/// The classifier stage: a batch of up to <see cref="Batch"/> frames (padded to a full batch) takes
/// <see cref="BatchPs"/>, measured by running the compiled network on the card (<see cref="PipelineClassifier"/>).
/// The per-batch activity and counters are replayed once per batch into the pipeline's statistics so the classifier's
/// blocks appear in blocks.csv and the power estimate.
/// </summary>
public sealed record ClassifierModel(string Network, int Batch, ulong BatchPs)
{
    public IReadOnlyList<ClassifierActivity> Blocks { get; init; } = [];

    public IReadOnlyList<(string Name, string Unit, string Description, long Value)> Counters { get; init; } = [];
}

/// <summary>What a pipeline run simulates.</summary>
public sealed record PipelineOptions
{
    public required PipelineKind Kind { get; init; }

    /// <summary>Video streams (video-analytics).</summary>
    public int Streams { get; init; } = 1;

    /// <summary>Frames per second per stream (video); offered images per second in total (JPEG; 0 = all at time 0).</summary>
    public int Fps { get; init; } = 30;

    public VideoCodec Codec { get; init; } = VideoCodec.H264;

    public int Width { get; init; } = 1920;

    public int Height { get; init; } = 1080;

    /// <summary>Stream bit rate in bytes per second; 0 = the config's default.</summary>
    public ulong BitrateBytesPerSecond { get; init; }

    /// <summary>Frames per stream (video) or images in total (JPEG).</summary>
    public required int Frames { get; init; }

    /// <summary>The images of jpeg-classify, used round-robin.</summary>
    public IReadOnlyList<JpegImage> Images { get; init; } = [];

    /// <summary>A frame is on time when it leaves the classifier within this time of its arrival.</summary>
    public ulong DeadlinePs { get; init; } = 100_000_000_000;

    /// <summary>Classifier input size (pixels, square).</summary>
    public int InputSize { get; init; } = 224;
}

/// <summary>One frame's trip through the pipeline (times in ps).</summary>
public readonly record struct FrameRecord(int Stream, int Index, int Cluster, int Unit, ulong ArrivalPs, ulong DecodeStartPs, ulong DecodeEndPs, ulong PreprocessEndPs, ulong DonePs, long DecodeCycles)
{
    public ulong LatencyPs => DonePs - ArrivalPs;
}

/// <summary>A stream's result.</summary>
/// <summary>
/// A stream's result. <see cref="RealTime"/>: every frame was classified within the deadline in the simulated run
/// and the stages it uses are not overloaded in the long run (<see cref="DecoderLoad"/> and the classifier's load,
/// closed forms over a group of pictures, at most 1), so a backlog too slow to pass the deadline within a short run
/// still counts as a failure.
/// </summary>
public readonly record struct StreamResult(int Stream, int Frames, ulong P50Ps, ulong P99Ps, ulong MaxPs, double SustainedFps, bool OnTime, double DecoderLoad, bool RealTime);

/// <summary>Busy fraction of one stage at its busiest block.</summary>
public readonly record struct StageLoad(string Stage, string Block, double Utilization);

/// <summary>Results of a pipeline run.</summary>
public sealed class PipelineResult
{
    public required PipelineOptions Options { get; init; }

    public required ClassifierModel Classifier { get; init; }

    public required Simulator Sim { get; init; }

    public required IReadOnlyList<FrameRecord> Frames { get; init; }

    public required IReadOnlyList<StreamResult> Streams { get; init; }

    public required IReadOnlyList<StageLoad> Stages { get; init; }

    /// <summary>Time from the first arrival to the last frame leaving the classifier.</summary>
    public required ulong ElapsedPs { get; init; }

    public required ulong P50Ps { get; init; }

    public required ulong P99Ps { get; init; }

    public required ulong MaxLatencyPs { get; init; }

    public required int Batches { get; init; }

    /// <summary>Frames the decoders can sustain per second at full load (closed form over a group of pictures / the image set).</summary>
    public required double DecodeCapacityFps { get; init; }

    /// <summary>Streams that can hold real time by decode capacity alone (video; streams are pinned to cores).</summary>
    public required int DecodeCapacityStreams { get; init; }

    public required double ClassifierCapacityFps { get; init; }

    public double OfferedFps => Options.Kind == PipelineKind.VideoAnalytics ? (double)Options.Streams * Options.Fps : Options.Fps;

    /// <summary>Completion rate: (frames - 1) / (last completion - first completion).</summary>
    public required double SustainedFps { get; init; }

    /// <summary>Fraction of the elapsed time the classifier held a batch (partial batches padded to full).</summary>
    public required double ClassifierBusyFraction { get; init; }

    public bool RealTimeAll
    {
        get
        {
            foreach (StreamResult s in Streams)
            {
                if (!s.RealTime)
                {
                    return false;
                }
            }

            return true;
        }
    }

    public int RealTimeStreams
    {
        get
        {
            int n = 0;
            foreach (StreamResult s in Streams)
            {
                n += s.RealTime ? 1 : 0;
            }

            return n;
        }
    }

    public StageLoad Bottleneck
    {
        get
        {
            StageLoad best = Stages[0];
            foreach (StageLoad s in Stages)
            {
                if (s.Utilization > best.Utilization)
                {
                    best = s;
                }
            }

            return best;
        }
    }
}

/// <summary>
/// The decode → preprocess → classify pipelines as a discrete-event model on the simulation kernel (docs/codec.md).
/// Decoders: video streams are pinned round-robin to clusters and, within a cluster, to its decoder cores (stream s:
/// cluster s mod C, core (s / C) mod cores), so a stream's frames decode in order on the core holding its reference
/// frames; JPEG images go round-robin to the clusters' JPEG decoders. A decoder serves its queue in arrival order.
/// Each frame's DRAM traffic (bitstream, reference reads, NV12 / YCbCr write) is booked on its cluster's DRAM
/// interface (bandwidth, first come first served); a decode ends when both its cycles and its transfer are done.
/// Preprocess (one server per cluster): SFA bilinear resize of the decoded planes to the classifier size, then VPU
/// colour conversion to RGB (9 multiplies and 6 adds per pixel); it reads two source rows per output row (of the
/// decoded frame or image) and writes the RGB tensor. Classifier (one server per card): takes up to a batch of waiting frames whenever it is free and
/// holds them for the measured batch time. The classifier's own DRAM use is not contended with the codec's here.
/// </summary>
public sealed class PipelineModel : IEventHandler
{
    private const ulong Arrive = 0, DecodeDone = 1, PreDone = 2, ClassDone = 3;

    private readonly CardParameters _p;
    private readonly PipelineOptions _o;
    private readonly ClassifierModel _c;
    private readonly Simulator _sim = new();
    private readonly int _clusters;
    private readonly int _unitsPerCluster;
    private readonly FrameRecord[] _frames;
    private readonly Queue<int>[] _unitQueue;
    private readonly int[] _unitCurrent;
    private readonly Queue<int>[] _preQueue;
    private readonly int[] _preCurrent;
    private readonly Queue<int> _classQueue = new();
    private readonly List<int> _inBatch = new();
    private readonly ulong[] _dramFree;
    private readonly JpegImageCost[] _imageCosts;
    private readonly long _preCycles;
    private readonly long _sfaCycles;
    private readonly long _vpuCycles;
    private readonly long _prePixels;
    private readonly long _preReadBytes;
    private readonly long[] _imagePreReadBytes;
    private readonly long _preWriteBytes;
    private readonly Counter[] _unitBusy;
    private readonly Counter[] _preBusyPs;
    private readonly Counter[] _dramBusyPs;
    private readonly Counter[] _frames_;
    private readonly Counter[] _codecBlocks;
    private readonly Counter[] _codecBits;
    private readonly Counter[] _codecPixels;
    private readonly Counter[] _codecRead;
    private readonly Counter[] _codecWritten;
    private readonly Counter[] _dramRead;
    private readonly Counter[] _dramWritten;
    private readonly Counter[] _vpuBusyCycles;
    private readonly Counter[] _vpuMulInt8;
    private readonly Counter[] _sfaResize;
    private readonly Counter[] _dramBytes;
    private readonly Counter[] _vpuAddInt8;
    private readonly Counter[] _sfaElements;
    private readonly Counter _classBusyPs;
    private readonly Counter _batches;
    private bool _classBusy;

    public PipelineModel(CardParameters p, PipelineOptions options, ClassifierModel classifier)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(classifier);
        _p = p;
        _o = options;
        _c = classifier;
        _clusters = p.Chips * p.Clusters;
        bool video = options.Kind == PipelineKind.VideoAnalytics;
        _unitsPerCluster = video ? p.Codec.Video.Cores : 1;
        int units = _clusters * _unitsPerCluster;
        int total = video ? checked(options.Streams * options.Frames) : options.Frames;
        _frames = new FrameRecord[total];
        _unitQueue = new Queue<int>[units];
        _unitCurrent = new int[units];
        _unitBusy = new Counter[units];
        for (int u = 0; u < units; u++)
        {
            _unitQueue[u] = new Queue<int>();
            _unitCurrent[u] = -1;
            _unitBusy[u] = _sim.Stats.Counter(UnitName(u) + ".busyTime", "ps", video ? "time the decoder core was decoding" : "time the JPEG decoder was decoding");
        }

        _preQueue = new Queue<int>[_clusters];
        _preCurrent = new int[_clusters];
        _dramFree = new ulong[_clusters];
        _preBusyPs = new Counter[_clusters];
        _dramBusyPs = new Counter[_clusters];
        _frames_ = new Counter[_clusters];
        _codecBlocks = new Counter[_clusters];
        _codecBits = new Counter[_clusters];
        _codecPixels = new Counter[_clusters];
        _codecRead = new Counter[_clusters];
        _codecWritten = new Counter[_clusters];
        _dramRead = new Counter[_clusters];
        _dramWritten = new Counter[_clusters];
        _vpuBusyCycles = new Counter[_clusters];
        _vpuMulInt8 = new Counter[_clusters];
        _sfaResize = new Counter[_clusters];
        _dramBytes = new Counter[_clusters];
        _vpuAddInt8 = new Counter[_clusters];
        _sfaElements = new Counter[_clusters];
        StatRegistry s = _sim.Stats;
        for (int c = 0; c < _clusters; c++)
        {
            string n = ClusterName(c);
            _preQueue[c] = new Queue<int>();
            _preCurrent[c] = -1;
            _frames_[c] = s.Counter(n + ".codec.frames", "count", video ? "video frames decoded" : "JPEG images decoded");
            _codecBlocks[c] = s.Counter(n + ".codec.blocks", "count", video ? "macroblocks / CTUs decoded" : "8x8 blocks decoded");
            _codecBits[c] = s.Counter(n + ".codec.bits", "bits", "compressed bits entropy-decoded");
            _codecPixels[c] = s.Counter(n + ".codec.pixels", "count", "pixels decoded");
            _codecRead[c] = s.Counter(n + ".codec.dramBytesRead", "bytes", "codec DRAM reads: bitstream and reference frames");
            _codecWritten[c] = s.Counter(n + ".codec.dramBytesWritten", "bytes", "codec DRAM writes: decoded frames");
            _dramRead[c] = s.Counter(n + ".dram.device.bytesRead", "bytes", "DRAM bytes read (pipeline stages and classifier)");
            _dramWritten[c] = s.Counter(n + ".dram.device.bytesWritten", "bytes", "DRAM bytes written (pipeline stages and classifier)");
            _dramBusyPs[c] = s.Counter(n + ".dram.pipelineBusyTime", "ps", "DRAM interface time taken by codec and preprocess transfers");
            _preBusyPs[c] = s.Counter(n + ".preprocess.busyTime", "ps", "time the cluster's VPU and SFA spent resizing and colour-converting");
            _vpuBusyCycles[c] = s.Counter(n + ".vpu.busyCycles", "cycles", "VPU cycles (colour conversion, plus the classifier's replayed per batch)");
            _vpuMulInt8[c] = s.Counter(n + ".vpu.elementOps.mul.int8", "count", "INT8 elements processed by mul-class operations (colour conversion: 9 per pixel, plus the classifier's replayed per batch)");
            _vpuAddInt8[c] = s.Counter(n + ".vpu.elementOps.add.int8", "count", "INT8 elements processed by add-class operations (colour conversion: 6 per pixel, plus the classifier's replayed per batch)");
            _sfaElements[c] = s.Counter(n + ".sfa.elements", "count", "SFA output elements (resize, plus the classifier's replayed per batch)");
            _sfaResize[c] = s.Counter(n + ".sfa.elements.resize", "count", "SFA elements evaluated by resize (preprocess, plus the classifier's replayed per batch)");
            _dramBytes[c] = s.Counter(n + ".dram.bytes", "bytes", "DRAM bytes moved at the interface (codec and preprocess reads and writes, plus the classifier's replayed per batch)");
        }

        _classBusyPs = s.Counter("card.classifier.busyTime", "ps", "time the classifier stage held a batch");
        _batches = s.Counter("card.classifier.batches", "count", "classifier batches run");

        // Preprocess: bilinear resize of the Y plane and the two half-size chroma planes (SFA resize), then colour
        // conversion of every output pixel (3x3 matrix: 9 multiplies, 6 adds) on the VPU.
        int size = options.InputSize;
        long resizeElems = (long)size * size * 3 / 2;
        long pixels = (long)size * size;
        var timing = new EngineTimingParams(p.SpuRows, p.SpuCols, p.SpuPipelineLatency, p.Bf16RateDivisor, p.VpuLanes, p.VpuPipelineLatency,
            p.VpuGatherPerCycle, p.CodecCyclesPerMacroblock, p.CodecEntropyBitsPerCycle, p.CodecCyclesPerJpegMcu)
        {
            VpuOpCycles = p.VpuOpCycles,
            VpuBf16Factor = p.VpuBf16Factor,
            SfaFunctions = p.SfaFunctions,
            Codec = p.Codec,
        };
        _sfaCycles = EngineTiming.Sfa(timing, SfaFunc.Resize, resizeElems);
        _vpuCycles = EngineTiming.VectorOp(timing, VpuOp.Mul, 9 * pixels, false) + EngineTiming.VectorOp(timing, VpuOp.Add, 6 * pixels, false);
        _prePixels = pixels;
        _preCycles = _sfaCycles + _vpuCycles;
        _preReadBytes = Math.Min(options.Height, 2L * size) * options.Width * 3 / 2;
        _preWriteBytes = pixels * 3;
        SfaResizeElements = resizeElems;

        _imageCosts = new JpegImageCost[options.Images.Count];
        _imagePreReadBytes = new long[options.Images.Count];
        for (int i = 0; i < _imageCosts.Length; i++)
        {
            JpegImage img = options.Images[i];
            _imageCosts[i] = JpegDecoderModel.Image(p.Codec.Jpeg, img);

            // Decoded planar YCbCr: two rows per output row of each plane, the samples per row of the MCU layout.
            long bytesPerRow = (long)img.McusX * img.BlocksPerMcu * 64 / img.McuHeight;
            _imagePreReadBytes[i] = Math.Min(img.McusY * img.McuHeight, 2L * size) * bytesPerRow;
        }
    }

    /// <summary>SFA output elements of one preprocess (the resized Y, Cb and Cr planes).</summary>
    public long SfaResizeElements { get; }

    /// <summary>Preprocess cycles of one frame: SFA resize + VPU colour conversion.</summary>
    public long PreprocessCycles => _preCycles;

    public Simulator Sim => _sim;

    /// <summary>Statistics name of cluster c (global index over the card's chips).</summary>
    public string ClusterName(int c) => string.Create(CultureInfo.InvariantCulture, $"chip{c / _p.Clusters}.cluster{c % _p.Clusters}");

    public string UnitName(int u)
    {
        int c = u / _unitsPerCluster;
        return _o.Kind == PipelineKind.VideoAnalytics
            ? string.Create(CultureInfo.InvariantCulture, $"{ClusterName(c)}.codec.core{u % _unitsPerCluster}")
            : ClusterName(c) + ".codec.jpeg";
    }

    /// <summary>Decoder unit of a stream (video) or image (JPEG).</summary>
    public int UnitOf(int streamOrImage) =>
        _o.Kind == PipelineKind.VideoAnalytics
            ? ((streamOrImage % _clusters) * _unitsPerCluster) + ((streamOrImage / _clusters) % _unitsPerCluster)
            : streamOrImage % _clusters;

    /// <summary>Decode cost of frame <paramref name="index"/> of a video stream.</summary>
    public VideoFrameCost VideoFrame(long index)
    {
        ulong rate = _o.BitrateBytesPerSecond != 0 ? _o.BitrateBytesPerSecond : _p.Codec.Video.DefaultBitrate.BytesPerSecond;
        (long bits, VideoFrameType type) = VideoDecoderModel.FrameBits(_p.Codec.Video, rate, _o.Fps, index);
        return VideoDecoderModel.Frame(_p.Codec.Video, _o.Codec, _o.Width, _o.Height, bits, type);
    }

    /// <summary>The timeline sampler of the last <see cref="Run"/> with a timeline (an observer: results are unchanged).</summary>
    public Reporting.TimelineSampler? Timeline { get; private set; }

    /// <summary>
    /// Stage spans for trace.json when set before <see cref="Run"/>: one track per decoder unit (vdec/jdec per frame),
    /// per cluster's preprocess (vop per frame) and one for the classifier (matmul per batch). Null records nothing.
    /// </summary>
    public IReadOnlyList<Reporting.TraceTrack>? Trace { get; private set; }

    /// <summary>Attaches trace tracks to the stages (before <see cref="Run"/>); returns them in track order.</summary>
    public IReadOnlyList<Reporting.TraceTrack> AttachTrace()
    {
        int tracks = _unitBusy.Length + _preBusyPs.Length + 1;
        int capacity = Math.Max(64, Reporting.TraceJson.SpanBudget / tracks);
        var list = new List<Reporting.TraceTrack>(tracks);
        for (int u = 0; u < _unitBusy.Length; u++)
        {
            int c = u / _unitsPerCluster;
            list.Add(new Reporting.TraceTrack(UnitName(u), new EngineId(EngineKind.Codec, c / _p.Clusters, c % _p.Clusters, u % _unitsPerCluster), capacity));
        }

        for (int c = 0; c < _preBusyPs.Length; c++)
        {
            list.Add(new Reporting.TraceTrack(ClusterName(c) + ".preprocess", new EngineId(EngineKind.Vpu, c / _p.Clusters, c % _p.Clusters, 0), capacity));
        }

        list.Add(new Reporting.TraceTrack(ClassifierActivityName, new EngineId(EngineKind.Cpu, 0, 0, 0), capacity));
        Trace = list;
        return list;
    }

    /// <summary>Name of the classifier's stage activity in the timeline (kind <c>classifier</c>).</summary>
    public const string ClassifierActivityName = "card.classifier";

    public PipelineResult Run(ulong maxEvents = ulong.MaxValue, bool timeline = false)
    {
        bool video = _o.Kind == PipelineKind.VideoAnalytics;
        if (!video && _o.Images.Count == 0)
        {
            throw new UserInputException("jpeg-classify: no images to decode");
        }

        if (timeline)
        {
            // The stages' busy time, as booked when each stage operation starts: decoder units (codec), each
            // cluster's preprocess on VPU and SFA (vpu), the classifier batches (classifier).
            var activities = new List<BlockActivity>();
            for (int u = 0; u < _unitBusy.Length; u++)
            {
                Counter busy = _unitBusy[u];
                activities.Add(new BlockActivity(UnitName(u), "codec", _p.ClockHz, () => (ulong)busy.Value, () => 0, () => 0, () => 0));
            }

            for (int c = 0; c < _preBusyPs.Length; c++)
            {
                Counter busy = _preBusyPs[c];
                activities.Add(new BlockActivity(ClusterName(c) + ".vpu", "vpu", _p.ClockHz, () => (ulong)busy.Value, () => 0, () => 0, () => 0));
            }

            Counter cls = _classBusyPs;
            activities.Add(new BlockActivity(ClassifierActivityName, "classifier", _p.ClockHz, () => (ulong)cls.Value, () => 0, () => 0, () => 0));
            Timeline = new Reporting.TimelineSampler(_sim, activities);
        }

        _sim.Start();
        if (video)
        {
            ulong period = Ps(1, (ulong)_o.Fps);
            for (int s = 0; s < _o.Streams; s++)
            {
                ulong phase = period * (ulong)s / (ulong)_o.Streams;
                for (int k = 0; k < _o.Frames; k++)
                {
                    int f = (s * _o.Frames) + k;
                    _frames[f] = new FrameRecord(s, k, UnitOf(s) / _unitsPerCluster, UnitOf(s), phase + ((ulong)k * period), 0, 0, 0, 0, 0);
                }
            }
        }
        else
        {
            for (int n = 0; n < _o.Frames; n++)
            {
                ulong at = _o.Fps > 0 ? (ulong)((UInt128)(ulong)n * 1_000_000_000_000UL / (ulong)_o.Fps) : 0;
                _frames[n] = new FrameRecord(0, n, UnitOf(n), UnitOf(n), at, 0, 0, 0, 0, 0);
            }
        }

        for (int f = 0; f < _frames.Length; f++)
        {
            _sim.Schedule(_frames[f].ArrivalPs, Priorities.Message, this, (Arrive << 32) | (uint)f);
        }

        StopReason reason = _sim.Run(ulong.MaxValue, maxEvents);
        if (reason == StopReason.EventLimit)
        {
            throw new UserInputException(string.Create(CultureInfo.InvariantCulture, $"pipeline run reached --max-events {maxEvents} before every frame was classified"));
        }

        return Finish();
    }

    void IEventHandler.OnEvent(ulong data)
    {
        ulong kind = data >> 32;
        int index = (int)(uint)data;
        ulong now = _sim.Now;
        switch (kind)
        {
            case Arrive:
                {
                    int u = _frames[index].Unit;
                    _unitQueue[u].Enqueue(index);
                    if (_unitCurrent[u] < 0)
                    {
                        StartDecode(u, now);
                    }

                    break;
                }

            case DecodeDone:
                {
                    int f = _unitCurrent[index];
                    _unitCurrent[index] = -1;
                    int c = _frames[f].Cluster;
                    _preQueue[c].Enqueue(f);
                    if (_preCurrent[c] < 0)
                    {
                        StartPreprocess(c, now);
                    }

                    if (_unitQueue[index].Count > 0)
                    {
                        StartDecode(index, now);
                    }

                    break;
                }

            case PreDone:
                {
                    int f = _preCurrent[index];
                    _preCurrent[index] = -1;
                    _frames[f] = _frames[f] with { PreprocessEndPs = now };
                    _classQueue.Enqueue(f);
                    if (!_classBusy)
                    {
                        StartClassify(now);
                    }

                    if (_preQueue[index].Count > 0)
                    {
                        StartPreprocess(index, now);
                    }

                    break;
                }

            default:
                {
                    foreach (int f in _inBatch)
                    {
                        _frames[f] = _frames[f] with { DonePs = now };
                    }

                    _inBatch.Clear();
                    _classBusy = false;
                    if (_classQueue.Count > 0)
                    {
                        StartClassify(now);
                    }

                    break;
                }
        }
    }

    private void StartDecode(int u, ulong now)
    {
        int f = _unitQueue[u].Dequeue();
        _unitCurrent[u] = f;
        int c = u / _unitsPerCluster;
        long cycles, blocks, bits, read, written, pixels;
        if (_o.Kind == PipelineKind.VideoAnalytics)
        {
            VideoFrameCost v = VideoFrame(_frames[f].Index);
            (cycles, blocks, bits, read, written, pixels) = (v.Cycles, v.Blocks, v.Bits, v.BytesRead, v.BytesWritten, v.Pixels);
        }
        else
        {
            JpegImageCost j = _imageCosts[_frames[f].Index % _imageCosts.Length];
            (cycles, blocks, bits, read, written, pixels) = (j.Cycles, j.Blocks, j.Bits, j.BytesRead, j.BytesWritten, j.Pixels);
        }

        ulong computeEnd = now + Ps((ulong)cycles, _p.ClockHz);
        ulong dramEnd = Dram(c, read + written, now);
        ulong end = Math.Max(computeEnd, dramEnd);
        _unitBusy[u].Value += (long)(end - now);
        Trace?[u].Add(now, end, _o.Kind == PipelineKind.VideoAnalytics ? Opcode.Vdec : Opcode.Jdec);
        _frames_[c].Value++;
        _codecBlocks[c].Value += blocks;
        _codecBits[c].Value += bits;
        _codecPixels[c].Value += pixels;
        _codecRead[c].Value += read;
        _codecWritten[c].Value += written;
        _dramRead[c].Value += read;
        _dramWritten[c].Value += written;
        _dramBytes[c].Value += read + written;
        _frames[f] = _frames[f] with { DecodeStartPs = now, DecodeEndPs = end, DecodeCycles = cycles };
        _sim.Schedule(end, Priorities.Message, this, (DecodeDone << 32) | (uint)u);
    }

    private void StartPreprocess(int c, ulong now)
    {
        int f = _preQueue[c].Dequeue();
        _preCurrent[c] = f;
        ulong computeEnd = now + Ps((ulong)_preCycles, _p.ClockHz);
        long read = _o.Kind == PipelineKind.VideoAnalytics ? _preReadBytes : _imagePreReadBytes[_frames[f].Index % _imagePreReadBytes.Length];
        ulong dramEnd = Dram(c, read + _preWriteBytes, now);
        ulong end = Math.Max(computeEnd, dramEnd);
        _preBusyPs[c].Value += (long)(end - now);
        Trace?[_unitBusy.Length + c].Add(now, end, Opcode.Vop);
        _vpuBusyCycles[c].Value += _vpuCycles;
        _vpuMulInt8[c].Value += 9 * _prePixels;
        _vpuAddInt8[c].Value += 6 * _prePixels;
        _sfaElements[c].Value += SfaResizeElements;
        _sfaResize[c].Value += SfaResizeElements;
        _dramRead[c].Value += read;
        _dramWritten[c].Value += _preWriteBytes;
        _dramBytes[c].Value += read + _preWriteBytes;
        _sim.Schedule(end, Priorities.Message, this, (PreDone << 32) | (uint)c);
    }

    private void StartClassify(ulong now)
    {
        while (_inBatch.Count < _c.Batch && _classQueue.Count > 0)
        {
            _inBatch.Add(_classQueue.Dequeue());
        }

        _classBusy = true;
        _batches.Value++;
        _classBusyPs.Value += (long)_c.BatchPs;
        Trace?[^1].Add(now, now + _c.BatchPs, Opcode.Matmul);
        _sim.Schedule(now + _c.BatchPs, Priorities.Message, this, ClassDone << 32);
    }

    private ulong Dram(int c, long bytes, ulong now)
    {
        ulong start = Math.Max(now, _dramFree[c]);
        ulong took = Ps((ulong)bytes, _p.DramBytesPerSecondPerInterface);
        _dramFree[c] = start + took;
        _dramBusyPs[c].Value += (long)took;
        return start + took;
    }

    private static ulong Ps(ulong units, ulong perSecond) => (ulong)((((UInt128)units * 1_000_000_000_000UL) + perSecond - 1) / perSecond);

    private PipelineResult Finish()
    {
        _sim.Finish();
        bool video = _o.Kind == PipelineKind.VideoAnalytics;
        ulong first = ulong.MaxValue, last = 0;
        foreach (FrameRecord f in _frames)
        {
            first = Math.Min(first, f.ArrivalPs);
            last = Math.Max(last, f.DonePs);
        }

        ulong elapsed = _frames.Length == 0 ? 0 : last - first;
        int streamCount = video ? _o.Streams : 1;
        double[] unitLoad = UnitLoads();
        double classLoad = _o.Kind == PipelineKind.VideoAnalytics || _o.Fps > 0
            ? (video ? (double)_o.Streams * _o.Fps : _o.Fps) * _c.BatchPs / 1e12 / _c.Batch
            : 0;
        var streams = new List<StreamResult>(streamCount);
        int per = video ? _o.Frames : _frames.Length;
        var lat = new ulong[per];
        for (int s = 0; s < streamCount; s++)
        {
            ulong sFirstDone = ulong.MaxValue, sLast = 0;
            bool onTime = true;
            for (int k = 0; k < per; k++)
            {
                FrameRecord f = _frames[(s * per) + k];
                lat[k] = f.LatencyPs;
                onTime &= f.LatencyPs <= _o.DeadlinePs;
                sFirstDone = Math.Min(sFirstDone, f.DonePs);
                sLast = Math.Max(sLast, f.DonePs);
            }

            Array.Sort(lat);
            double fps = Rate(per, sFirstDone, sLast);
            double load = video ? unitLoad[UnitOf(s)] : Max(unitLoad);
            streams.Add(new StreamResult(s, per, Percentile(lat, 0.50), Percentile(lat, 0.99), lat[^1], fps, onTime, load, onTime && load <= 1.0 && classLoad <= 1.0));
        }

        ulong firstDone = ulong.MaxValue;
        foreach (FrameRecord f in _frames)
        {
            firstDone = Math.Min(firstDone, f.DonePs);
        }

        var all = new ulong[_frames.Length];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = _frames[i].LatencyPs;
        }

        Array.Sort(all);
        var stages = new List<StageLoad>
        {
            MaxLoad("decode", _unitBusy, u => UnitName(u), elapsed),
            MaxLoad("preprocess", _preBusyPs, c => ClusterName(c) + ".vpu+sfa", elapsed),
            new("classify", "card.classifier (" + _c.Network + ")", elapsed == 0 ? 0 : _frames.Length * (double)_c.BatchPs / _c.Batch / elapsed),
            MaxLoad("dram", _dramBusyPs, c => ClusterName(c) + ".dram", elapsed),
        };

        RegisterBlocks();
        return new PipelineResult
        {
            Options = _o,
            Classifier = _c,
            Sim = _sim,
            Frames = _frames,
            Streams = streams,
            Stages = stages,
            ElapsedPs = elapsed,
            P50Ps = Percentile(all, 0.50),
            P99Ps = Percentile(all, 0.99),
            MaxLatencyPs = all.Length == 0 ? 0 : all[^1],
            Batches = (int)_batches.Value,
            SustainedFps = Rate(_frames.Length, firstDone, last),
            ClassifierBusyFraction = elapsed == 0 ? 0 : (double)_classBusyPs.Value / elapsed,
            DecodeCapacityFps = DecodeCapacity(out int capStreams),
            DecodeCapacityStreams = capStreams,
            ClassifierCapacityFps = _c.Batch / (_c.BatchPs / 1e12),
        };
    }

    /// <summary>
    /// Decode capacity at full load: video, every core decoding back to back the frames of a group of pictures
    /// (one I, gop - 1 P); streams, per core floor(core frames/s / fps) summed over cores. JPEG: every decoder
    /// decoding the image set in turn.
    /// </summary>
    private double DecodeCapacity(out int streams)
    {
        int units = _clusters * _unitsPerCluster;
        if (_o.Kind == PipelineKind.VideoAnalytics)
        {
            int gop = _p.Codec.Video.GopLength;
            long cycles = 0;
            for (int k = 0; k < gop; k++)
            {
                cycles += VideoFrame(k).Cycles;
            }

            double coreFps = gop * (double)_p.ClockHz / cycles;
            streams = units * (int)Math.Floor(coreFps / _o.Fps);
            return coreFps * units;
        }

        long sum = 0;
        foreach (JpegImageCost j in _imageCosts)
        {
            sum += j.Cycles;
        }

        streams = 0;
        return _imageCosts.Length == 0 ? 0 : units * _imageCosts.Length * (double)_p.ClockHz / sum;
    }

    /// <summary>
    /// Long-run load of every decoder unit: video, its streams x fps x the mean frame cycles over a group of pictures /
    /// clock; JPEG with --fps, its share of the offered images x the mean image cycles / clock (0 without --fps).
    /// </summary>
    private double[] UnitLoads()
    {
        int units = _clusters * _unitsPerCluster;
        var load = new double[units];
        if (_o.Kind == PipelineKind.VideoAnalytics)
        {
            int gop = _p.Codec.Video.GopLength;
            long cycles = 0;
            for (int k = 0; k < gop; k++)
            {
                cycles += VideoFrame(k).Cycles;
            }

            double perStream = _o.Fps * ((double)cycles / gop) / _p.ClockHz;
            for (int s = 0; s < _o.Streams; s++)
            {
                load[UnitOf(s)] += perStream;
            }
        }
        else if (_o.Fps > 0 && _imageCosts.Length > 0)
        {
            double mean = 0;
            foreach (JpegImageCost j in _imageCosts)
            {
                mean += (double)j.Cycles / _imageCosts.Length;
            }

            for (int u = 0; u < units; u++)
            {
                load[u] = (double)_o.Fps / units * mean / _p.ClockHz;
            }
        }

        return load;
    }

    private static double Max(double[] values)
    {
        double m = 0;
        foreach (double v in values)
        {
            m = Math.Max(m, v);
        }

        return m;
    }

    private static StageLoad MaxLoad(string stage, Counter[] busy, Func<int, string> name, ulong elapsed)
    {
        int best = 0;
        for (int i = 1; i < busy.Length; i++)
        {
            if (busy[i].Value > busy[best].Value)
            {
                best = i;
            }
        }

        return new StageLoad(stage, name(best), elapsed == 0 ? 0 : (double)busy[best].Value / elapsed);
    }

    /// <summary>Completion rate of n frames: (n - 1) / (last - first completion); 0 when all complete at once.</summary>
    private static double Rate(int n, ulong firstDone, ulong lastDone) => lastDone > firstDone ? (n - 1) / ((lastDone - firstDone) / 1e12) : 0;

    private static ulong Percentile(ulong[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        int rank = (int)Math.Ceiling(q * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>
    /// Registers the blocks for blocks.csv and the power model: the classifier network's blocks with their
    /// per-batch activity times the batches run (its counters likewise), the decoder units (kind codec) and the
    /// preprocess time on each cluster's VPU and SFA, merged with the classifier's use of the same blocks.
    /// </summary>
    private void RegisterBlocks()
    {
        long batches = _batches.Value;
        StatRegistry s = _sim.Stats;
        foreach ((string name, string unit, string description, long value) in _c.Counters)
        {
            if (s.Find(name) is Counter existing)
            {
                existing.Value += value * batches;
            }
            else if (s.Find(name) is null)
            {
                s.Counter(name, unit, description).Value = value * batches;
            }
        }

        var rows = new List<ClassifierActivity>();
        var at = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (ClassifierActivity b in _c.Blocks)
        {
            at[b.Name] = rows.Count;
            rows.Add(b with { BusyPs = b.BusyPs * (ulong)batches, StallPs = b.StallPs * (ulong)batches, BytesIn = b.BytesIn * batches, BytesOut = b.BytesOut * batches });
        }

        void Add(ClassifierActivity a)
        {
            if (at.TryGetValue(a.Name, out int i))
            {
                ClassifierActivity r = rows[i];
                rows[i] = r with { BusyPs = r.BusyPs + a.BusyPs, BytesIn = r.BytesIn + a.BytesIn, BytesOut = r.BytesOut + a.BytesOut };
            }
            else
            {
                at[a.Name] = rows.Count;
                rows.Add(a);
            }
        }

        for (int u = 0; u < _unitBusy.Length; u++)
        {
            Add(new ClassifierActivity(UnitName(u), "codec", _p.ClockHz, (ulong)_unitBusy[u].Value, 0, 0, 0));
        }

        for (int c = 0; c < _clusters; c++)
        {
            long frames = _frames_[c].Value;
            Add(new ClassifierActivity(ClusterName(c) + ".vpu", "vpu", _p.ClockHz, Ps((ulong)(_vpuCycles * frames), _p.ClockHz), 0, 0, 0));
            Add(new ClassifierActivity(ClusterName(c) + ".sfa", "sfa", _p.ClockHz, Ps((ulong)(_sfaCycles * frames), _p.ClockHz), 0, 0, 0));
        }

        foreach (ClassifierActivity r in rows)
        {
            ClassifierActivity v = r;
            s.Block(new BlockActivity(v.Name, v.Kind, v.ClockHz, () => v.BusyPs, () => v.StallPs, () => v.BytesIn, () => v.BytesOut));
        }
    }
}
