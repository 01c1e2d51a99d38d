using System.ComponentModel;

namespace Antoum.Sim.Config;

/// <summary>Card-level data: what differs between S4, S10 and S30.</summary>
public sealed record SkuConfig
{
    [Description("Card name, e.g. S4, S10, S30.")]
    public string Name { get; init; } = "S4";

    [Description("Antoum chips on the card.")]
    public int Chips { get; init; } = 1;

    [Description("Thermal design power of the whole card.")]
    public Power Tdp { get; init; } = new(70_000);

    [Description("PCIe link between the host and the card.")]
    public PcieConfig HostLink { get; init; } = new();

    [Description("Link between two chips on the same card (through the card's PCIe fabric).")]
    public LinkConfig ChipLink { get; init; } = new();

    public void Validate(string path)
    {
        ConfigChecks.NotEmpty(Name, ConfigChecks.Join(path, "name"));
        ConfigChecks.InRange(Chips, 1, 16, ConfigChecks.Join(path, "chips"));
        ConfigChecks.Positive(Tdp.Milliwatts, Tdp.ToString(), ConfigChecks.Join(path, "tdp"));
        HostLink.Validate(ConfigChecks.Join(path, "hostLink"));
        ChipLink.Validate(ConfigChecks.Join(path, "chipLink"));
    }
}

/// <summary>A PCIe link: generation, width, per-lane signalling rate, line-code efficiency and latency.</summary>
public sealed record PcieConfig
{
    [Description("PCIe generation (1 to 6).")]
    public int Generation { get; init; } = 3;

    [Description("Lane count (1, 2, 4, 8, 16 or 32).")]
    public int Lanes { get; init; } = 16;

    [Description("Signalling rate per lane, e.g. 8GT/s for PCIe 3.0.")]
    public TransferRate LaneRate { get; init; } = new(8_000_000_000);

    [Description("Line-code efficiency, e.g. 128/130 for PCIe 3.0 to 5.0; payload bits per transferred bit.")]
    public Ratio EncodingEfficiency { get; init; } = new(128, 130);

    [Description("One-way latency of a transaction across the link.")]
    public Duration Latency { get; init; } = new(500_000);

    [Description("Max payload size: data bytes carried by one memory-write TLP (the smaller of the two ends' MPS).")]
    public ByteSize MaxPayloadSize { get; init; } = new(256);

    [Description("Bytes each TLP adds on the wire: header (12-16 B) + sequence number (2 B) + LCRC (4 B) + framing (2 B from Gen3; 2 B STP/END before) + ECRC (4 B, optional).")]
    public ByteSize TlpOverhead { get; init; } = new(24);

    [Description("Fraction of the link's time taken by DLLPs (ACK/NAK, flow-control updates) and ordered sets, not available to TLPs.")]
    public Ratio DllpOverhead { get; init; } = new(2, 100);

    /// <summary>Raw payload bandwidth per direction: lanes x rate x efficiency / 8 bits, rounded down to whole B/s.</summary>
    public Bandwidth PayloadBandwidth =>
        new((ulong)(UInt128.CreateChecked(LaneRate.TransfersPerSecond) * (ulong)Lanes * EncodingEfficiency.Numerator
            / (UInt128.CreateChecked(EncodingEfficiency.Denominator) * 8)));

    public void Validate(string path)
    {
        ConfigChecks.InRange(Generation, 1, 6, ConfigChecks.Join(path, "generation"));
        ConfigChecks.OneOf(Lanes.ToString(System.Globalization.CultureInfo.InvariantCulture), ConfigChecks.Join(path, "lanes"), "1", "2", "4", "8", "16", "32");
        ConfigChecks.Positive(LaneRate.TransfersPerSecond, LaneRate.ToString(), ConfigChecks.Join(path, "laneRate"));
        if (EncodingEfficiency.Denominator == 0 || EncodingEfficiency.Numerator == 0 ||
            EncodingEfficiency.Numerator > EncodingEfficiency.Denominator)
        {
            throw new ConfigException(ConfigChecks.Join(path, "encodingEfficiency"), $"must be in (0, 1] (got {EncodingEfficiency})");
        }

        ulong mps = MaxPayloadSize.Bytes;
        if (mps < 128 || mps > 4096 || (mps & (mps - 1)) != 0)
        {
            throw new ConfigException(ConfigChecks.Join(path, "maxPayloadSize"), $"must be a power of two from 128B to 4KiB (got {MaxPayloadSize})");
        }

        if (TlpOverhead.Bytes < 8 || TlpOverhead.Bytes > 64)
        {
            throw new ConfigException(ConfigChecks.Join(path, "tlpOverhead"), $"must be 8B to 64B (got {TlpOverhead})");
        }

        if (DllpOverhead.Denominator == 0 || DllpOverhead.Numerator >= DllpOverhead.Denominator)
        {
            throw new ConfigException(ConfigChecks.Join(path, "dllpOverhead"), $"must be in [0, 1) (got {DllpOverhead})");
        }
    }
}

/// <summary>A point-to-point link with a bandwidth and a fixed latency.</summary>
public sealed record LinkConfig
{
    [Description("Bandwidth per direction.")]
    public Bandwidth Bandwidth { get; init; } = new(32_000_000_000);

    [Description("Fixed one-way latency added to every transfer.")]
    public Duration Latency { get; init; } = new(100_000);

    public void Validate(string path)
    {
        ConfigChecks.Positive(Bandwidth.BytesPerSecond, Bandwidth.ToString(), ConfigChecks.Join(path, "bandwidth"));
    }
}
