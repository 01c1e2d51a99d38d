using System.ComponentModel;

namespace Antoum.Sim.Config;

/// <summary>Root of the configuration tree: one card (SKU) built from Antoum chips, plus the run seed.</summary>
public sealed record SimConfig
{
    [Description("Seed of the simulator's random streams; each block derives its own stream from it.")]
    public int Seed { get; init; } = 1;

    [Description("The card: chip count, power envelope, host and chip-to-chip links.")]
    public SkuConfig Sku { get; init; } = new();

    [Description("The Antoum chip, identical on every SKU.")]
    public ChipConfig Chip { get; init; } = new();

    [Description("The host's benchmark harness: how the offline scenario keeps the card busy (docs/validation.md).")]
    public HarnessConfig Harness { get; init; } = new();

    public void Validate(string path)
    {
        ConfigChecks.InRange(Seed, 0, int.MaxValue, ConfigChecks.Join(path, "seed"));
        Sku.Validate(ConfigChecks.Join(path, "sku"));
        Chip.Validate(ConfigChecks.Join(path, "chip"));
        Harness.Validate(ConfigChecks.Join(path, "harness"));
    }
}

/// <summary>
/// The host-side benchmark harness of the offline scenario: the program runs <see cref="OfflineBatches"/> batches back
/// to back; each cluster's input queue streams the next batches' inputs into free DRAM buffers (<see cref="InputBuffers"/>)
/// while the chip computes, its output queue copies each result back, and throughput is measured between batch
/// completions (docs/validation.md).
/// </summary>
public sealed record HarnessConfig
{
    [Description("Batches the offline scenario runs back to back; throughput is (batches - inputBuffers) x batch / (completion of batch (batches - inputBuffers) - completion of batch 0); the last inputBuffers - 1 batches drain (no next input streams in while they compute) and are not measured.")]
    public int OfflineBatches { get; init; } = 6;

    [Description("DRAM input (and output) buffers per cluster in the offline scenario: 2 = double buffering, the next batch's input streams in while the current batch computes.")]
    public int InputBuffers { get; init; } = 2;

    public void Validate(string path)
    {
        ConfigChecks.InRange(OfflineBatches, 2, Antoum.Firmware.Compiler.Compiler.MaxBatches, ConfigChecks.Join(path, "offlineBatches"));
        ConfigChecks.InRange(InputBuffers, 2, Antoum.Firmware.Compiler.Compiler.MaxInputBuffers, ConfigChecks.Join(path, "inputBuffers"));
        if (OfflineBatches <= InputBuffers)
        {
            throw new ConfigException(ConfigChecks.Join(path, "offlineBatches"), $"must be more than harness.inputBuffers ({InputBuffers}) so that at least one interval is in steady state (got {OfflineBatches})");
        }
    }
}
