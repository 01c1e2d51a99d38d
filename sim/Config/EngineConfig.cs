using System.ComponentModel;

namespace Antoum.Sim.Config;

/// <summary>DMA engines of a cluster: move data between DRAM, L2, L1s, the host and other chips.</summary>
public sealed record DmaConfig
{
    [Description("DMA channels per cluster: each is an engine with its own in-order descriptor queue (engine ids dma.K.C); the channels of a cluster share the cluster's crossbar port, L2 banks and DRAM interface.")]
    public int Channels { get; init; } = 8;

    [Description("DMA queues past the channels (engine ids dma.K.C, C >= channels) that carry host copies: offline-scenario programs use cluster 0's first two, one per chip and direction (dma.0.C streams every batch's input in, cluster by cluster; dma.0.C+1 copies outputs back) while the channels serve the SPUs; single-batch programs do not use them.")]
    public int HostQueues { get; init; } = 2;

    [Description("Largest burst a descriptor row is split into.")]
    public ByteSize BurstSize { get; init; } = new(4096);

    [Description("Bursts in flight at once per DMA engine.")]
    public int MaxOutstanding { get; init; } = 8;

    [Description("Cycles to decode a descriptor before its first burst issues.")]
    public int SetupCycles { get; init; } = 16;

    public void Validate(string path)
    {
        ConfigChecks.Positive(BurstSize.Bytes, BurstSize.ToString(), ConfigChecks.Join(path, "burstSize"));
        if (BurstSize.Bytes > 1 << 24)
        {
            throw new ConfigException(ConfigChecks.Join(path, "burstSize"), $"must be <= 16MiB (got {BurstSize})");
        }

        ConfigChecks.InRange(Channels, 1, Antoum.Isa.IsaLimits.MaxDmaChannels, ConfigChecks.Join(path, "channels"));
        ConfigChecks.InRange(HostQueues, 0, Antoum.Isa.IsaLimits.MaxDmaChannels - Channels, ConfigChecks.Join(path, "hostQueues"));
        ConfigChecks.InRange(MaxOutstanding, 1, 1024, ConfigChecks.Join(path, "maxOutstanding"));
        ConfigChecks.InRange(SetupCycles, 0, 1_000_000, ConfigChecks.Join(path, "setupCycles"));
    }
}

/// <summary>Special-function accelerator of a cluster: one throughput and latency per function.</summary>
public sealed record SfaConfig
{
    [Description("Per-function throughput and latency.")]
    public SfaFunctionsConfig Functions { get; init; } = new();

    public void Validate(string path)
    {
        Functions.Validate(ConfigChecks.Join(path, "functions"));
    }
}

/// <summary>The SFA function table: one entry per function of the <c>sfa</c> instruction.</summary>
public sealed record SfaFunctionsConfig
{
    [Description("e^x.")]
    public SfaFunctionConfig Exp { get; init; } = new() { ElementsPerCycle = 32, Latency = 16 };

    [Description("1 / sqrt(x).")]
    public SfaFunctionConfig Rsqrt { get; init; } = new() { ElementsPerCycle = 32, Latency = 12 };

    [Description("1 / x.")]
    public SfaFunctionConfig Recip { get; init; } = new() { ElementsPerCycle = 32, Latency = 12 };

    [Description("GELU activation.")]
    public SfaFunctionConfig Gelu { get; init; } = new() { ElementsPerCycle = 16, Latency = 24 };

    [Description("Logistic sigmoid.")]
    public SfaFunctionConfig Sigmoid { get; init; } = new() { ElementsPerCycle = 32, Latency = 16 };

    [Description("Hyperbolic tangent.")]
    public SfaFunctionConfig Tanh { get; init; } = new() { ElementsPerCycle = 32, Latency = 16 };

    [Description("Max pooling (per output element).")]
    public SfaFunctionConfig MaxPool { get; init; } = new() { ElementsPerCycle = 64, Latency = 4 };

    [Description("Average pooling (per output element).")]
    public SfaFunctionConfig AvgPool { get; init; } = new() { ElementsPerCycle = 64, Latency = 6 };

    [Description("Bilinear resize (per output element).")]
    public SfaFunctionConfig Resize { get; init; } = new() { ElementsPerCycle = 32, Latency = 8 };

    /// <summary>The entries in <c>SfaFunc</c> order (exp, rsqrt, recip, gelu, sigmoid, tanh, maxpool, avgpool, resize).</summary>
    public IReadOnlyList<SfaFunctionConfig> InOrder => [Exp, Rsqrt, Recip, Gelu, Sigmoid, Tanh, MaxPool, AvgPool, Resize];

    public void Validate(string path)
    {
        Exp.Validate(ConfigChecks.Join(path, "exp"));
        Rsqrt.Validate(ConfigChecks.Join(path, "rsqrt"));
        Recip.Validate(ConfigChecks.Join(path, "recip"));
        Gelu.Validate(ConfigChecks.Join(path, "gelu"));
        Sigmoid.Validate(ConfigChecks.Join(path, "sigmoid"));
        Tanh.Validate(ConfigChecks.Join(path, "tanh"));
        MaxPool.Validate(ConfigChecks.Join(path, "maxPool"));
        AvgPool.Validate(ConfigChecks.Join(path, "avgPool"));
        Resize.Validate(ConfigChecks.Join(path, "resize"));
    }
}

/// <summary>One SFA function: output elements completed per cycle and pipeline latency.</summary>
public sealed record SfaFunctionConfig
{
    [Description("Output elements completed per cycle.")]
    public int ElementsPerCycle { get; init; } = 32;

    [Description("Pipeline latency in cycles from the first element in to the first result out.")]
    public int Latency { get; init; } = 16;

    public void Validate(string path)
    {
        ConfigChecks.InRange(ElementsPerCycle, 1, 65536, ConfigChecks.Join(path, "elementsPerCycle"));
        ConfigChecks.InRange(Latency, 0, 1_000_000, ConfigChecks.Join(path, "latency"));
    }
}

/// <summary>VPU cost table: cycles per element group for each <c>vop</c> op class, and the BF16 factor.</summary>
public sealed record VpuOpCostsConfig
{
    [Description("add (also the cost of a vreduce sum step).")]
    public int Add { get; init; } = 1;

    [Description("sub.")]
    public int Sub { get; init; } = 1;

    [Description("mul.")]
    public int Mul { get; init; } = 1;

    [Description("max (also the cost of a vreduce max step).")]
    public int Max { get; init; } = 1;

    [Description("min (also the cost of a vreduce min step).")]
    public int Min { get; init; } = 1;

    [Description("relu.")]
    public int Relu { get; init; } = 1;

    [Description("copy.")]
    public int Copy { get; init; } = 1;

    [Description("scale (multiply by a scalar).")]
    public int Scale { get; init; } = 1;

    [Description("BF16 element groups hold lanes / bf16Factor elements.")]
    public int Bf16Factor { get; init; } = 2;

    /// <summary>The op costs in <c>VpuOp</c> order (add, sub, mul, max, min, relu, copy, scale).</summary>
    public IReadOnlyList<int> InOrder => [Add, Sub, Mul, Max, Min, Relu, Copy, Scale];

    public void Validate(string path)
    {
        ConfigChecks.InRange(Add, 1, 1024, ConfigChecks.Join(path, "add"));
        ConfigChecks.InRange(Sub, 1, 1024, ConfigChecks.Join(path, "sub"));
        ConfigChecks.InRange(Mul, 1, 1024, ConfigChecks.Join(path, "mul"));
        ConfigChecks.InRange(Max, 1, 1024, ConfigChecks.Join(path, "max"));
        ConfigChecks.InRange(Min, 1, 1024, ConfigChecks.Join(path, "min"));
        ConfigChecks.InRange(Relu, 1, 1024, ConfigChecks.Join(path, "relu"));
        ConfigChecks.InRange(Copy, 1, 1024, ConfigChecks.Join(path, "copy"));
        ConfigChecks.InRange(Scale, 1, 1024, ConfigChecks.Join(path, "scale"));
        ConfigChecks.InRange(Bf16Factor, 1, 64, ConfigChecks.Join(path, "bf16Factor"));
    }
}

/// <summary>Video/JPEG codec of a cluster: a video decoder with several cores and a JPEG decoder (docs/codec.md).</summary>
public sealed record CodecConfig
{
    [Description("Video decoder (H.264 macroblocks, H.265 CTUs).")]
    public VideoDecoderConfig Video { get; init; } = new();

    [Description("JPEG decoder (baseline, Huffman).")]
    public JpegDecoderConfig Jpeg { get; init; } = new();

    public void Validate(string path)
    {
        Video.Validate(ConfigChecks.Join(path, "video"));
        Jpeg.Validate(ConfigChecks.Join(path, "jpeg"));
    }
}

/// <summary>
/// Video decoder of a cluster: cores decode whole frames, one stream per core (its reference frames stay there).
/// Frame cycles = frameSetupCycles + max(ceil(frame bits / entropyBitsPerCycle), blocks x cycles per block).
/// </summary>
public sealed record VideoDecoderConfig
{
    [Description("Decoder cores per cluster; each decodes one frame at a time.")]
    public int Cores { get; init; } = 4;

    [Description("Reconstruction cycles (prediction, inverse transform, deblocking) per 16x16 H.264 macroblock.")]
    public int H264CyclesPerMacroblock { get; init; } = 882;

    [Description("Reconstruction cycles per 64x64 H.265 coding tree unit.")]
    public int H265CyclesPerCtu { get; init; } = 14112;

    [Description("Entropy-decoding rate (CABAC/CAVLC), compressed bits per cycle.")]
    public int EntropyBitsPerCycle { get; init; } = 1;

    [Description("Fixed cycles per frame (slice and parameter-set parsing, set-up).")]
    public int FrameSetupCycles { get; init; } = 2000;

    [Description("Reference bytes read per inter-predicted pixel byte, in percent (motion-compensation windows overlap).")]
    public int ReferenceReadPercent { get; init; } = 200;

    [Description("Bit rate of a stream when the pipeline is not told one (bytes per second; 1MB/s = 8 Mbit/s).")]
    public Bandwidth DefaultBitrate { get; init; } = new(1_000_000);

    [Description("Frames per group of pictures: one I frame, the rest P frames.")]
    public int GopLength { get; init; } = 30;

    [Description("Compressed size of an I frame relative to a P frame.")]
    public int IFrameSizeRatio { get; init; } = 4;

    public void Validate(string path)
    {
        ConfigChecks.InRange(Cores, 1, 1024, ConfigChecks.Join(path, "cores"));
        ConfigChecks.InRange(H264CyclesPerMacroblock, 1, 10_000_000, ConfigChecks.Join(path, "h264CyclesPerMacroblock"));
        ConfigChecks.InRange(H265CyclesPerCtu, 1, 100_000_000, ConfigChecks.Join(path, "h265CyclesPerCtu"));
        ConfigChecks.InRange(EntropyBitsPerCycle, 1, 1024, ConfigChecks.Join(path, "entropyBitsPerCycle"));
        ConfigChecks.InRange(FrameSetupCycles, 0, 100_000_000, ConfigChecks.Join(path, "frameSetupCycles"));
        ConfigChecks.InRange(ReferenceReadPercent, 0, 10_000, ConfigChecks.Join(path, "referenceReadPercent"));
        ConfigChecks.Positive(DefaultBitrate.BytesPerSecond, DefaultBitrate.ToString(), ConfigChecks.Join(path, "defaultBitrate"));
        ConfigChecks.InRange(GopLength, 1, 100_000, ConfigChecks.Join(path, "gopLength"));
        ConfigChecks.InRange(IFrameSizeRatio, 1, 1000, ConfigChecks.Join(path, "iFrameSizeRatio"));
    }
}

/// <summary>
/// JPEG decoder of a cluster: entropy lanes (restart intervals in parallel) feeding one reconstruction pipeline.
/// Image cycles = imageSetupCycles + max(entropy makespan over the lanes, sum over MCUs of blocks x cyclesPerBlock +
/// pixels / outputPixelsPerCycle).
/// </summary>
public sealed record JpegDecoderConfig
{
    [Description("Cycles per 8x8 block: dequantisation and inverse DCT.")]
    public int CyclesPerBlock { get; init; } = 21;

    [Description("Output pixels per cycle: chroma upsampling, colour conversion and write-out.")]
    public int OutputPixelsPerCycle { get; init; } = 4;

    [Description("Huffman-decoding rate, compressed bits per cycle per lane.")]
    public int EntropyBitsPerCycle { get; init; } = 2;

    [Description("Entropy-decoding lanes; restart intervals of one image decode in parallel on them.")]
    public int EntropyLanes { get; init; } = 2;

    [Description("Fixed cycles per image (header and table parsing, set-up).")]
    public int ImageSetupCycles { get; init; } = 2000;

    public void Validate(string path)
    {
        ConfigChecks.InRange(CyclesPerBlock, 1, 1_000_000, ConfigChecks.Join(path, "cyclesPerBlock"));
        ConfigChecks.InRange(OutputPixelsPerCycle, 1, 1024, ConfigChecks.Join(path, "outputPixelsPerCycle"));
        ConfigChecks.InRange(EntropyBitsPerCycle, 1, 1024, ConfigChecks.Join(path, "entropyBitsPerCycle"));
        ConfigChecks.InRange(EntropyLanes, 1, 1024, ConfigChecks.Join(path, "entropyLanes"));
        ConfigChecks.InRange(ImageSetupCycles, 0, 100_000_000, ConfigChecks.Join(path, "imageSetupCycles"));
    }
}
