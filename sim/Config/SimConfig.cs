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

    public void Validate(string path)
    {
        ConfigChecks.InRange(Seed, 0, int.MaxValue, ConfigChecks.Join(path, "seed"));
        Sku.Validate(ConfigChecks.Join(path, "sku"));
        Chip.Validate(ConfigChecks.Join(path, "chip"));
    }
}
