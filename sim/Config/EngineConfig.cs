using System.ComponentModel;

namespace Antoum.Sim.Config;

/// <summary>DMA engine of a cluster: moves data between DRAM, L2, L1s, the host and other chips.</summary>
public sealed record DmaConfig
{
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

        ConfigChecks.InRange(MaxOutstanding, 1, 1024, ConfigChecks.Join(path, "maxOutstanding"));
        ConfigChecks.InRange(SetupCycles, 0, 1_000_000, ConfigChecks.Join(path, "setupCycles"));
    }
}

/// <summary>Special-function accelerator of a cluster (exp, rsqrt, gelu, pooling, resize …).</summary>
public sealed record SfaConfig
{
    [Description("Elements the SFA completes per cycle (every function, until the per-function table arrives).")]
    public int ElementsPerCycle { get; init; } = 64;

    [Description("Pipeline latency in cycles from the first element in to the first result out.")]
    public int PipelineLatency { get; init; } = 16;

    public void Validate(string path)
    {
        ConfigChecks.InRange(ElementsPerCycle, 1, 65536, ConfigChecks.Join(path, "elementsPerCycle"));
        ConfigChecks.InRange(PipelineLatency, 0, 1_000_000, ConfigChecks.Join(path, "pipelineLatency"));
    }
}

/// <summary>Video/JPEG codec of a cluster.</summary>
public sealed record CodecConfig
{
    [Description("Reconstruction cycles per 16x16 video macroblock.")]
    public int CyclesPerMacroblock { get; init; } = 24;

    [Description("Entropy-decoding rate, compressed bits per cycle.")]
    public int EntropyBitsPerCycle { get; init; } = 2;

    [Description("Cycles per JPEG minimum coded unit (16x16 pixels at 4:2:0).")]
    public int CyclesPerJpegMcu { get; init; } = 32;

    public void Validate(string path)
    {
        ConfigChecks.InRange(CyclesPerMacroblock, 1, 1_000_000, ConfigChecks.Join(path, "cyclesPerMacroblock"));
        ConfigChecks.InRange(EntropyBitsPerCycle, 1, 1024, ConfigChecks.Join(path, "entropyBitsPerCycle"));
        ConfigChecks.InRange(CyclesPerJpegMcu, 1, 1_000_000, ConfigChecks.Join(path, "cyclesPerJpegMcu"));
    }
}
