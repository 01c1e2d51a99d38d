using System.ComponentModel;

namespace Antoum.Sim.Config;

/// <summary>
/// LPDDR4x device timing of one DDR interface (JESD209-4B symbols). Durations are the JEDEC nanosecond values; the
/// model rounds each up to whole clock cycles of tCK = ceil(2·10^12 / dataRate) ps. Latencies given by JEDEC in
/// clock cycles (RL, WL, tCCD, write preamble) are plain integers of cycles.
/// </summary>
public sealed record DramTimingConfig
{
    [Description("Data rate of the DQ pins (speed grade), e.g. 4266MT/s for LPDDR4x-4266; the clock tCK = 2 / dataRate, rounded up to whole ps.")]
    public TransferRate DataRate { get; init; } = new(4_266_000_000);

    [Description("Burst length BL in data beats (16 or 32 for LPDDR4x); one burst moves BL x channelWidth bits and takes BL/2 clock cycles.")]
    public int BurstLength { get; init; } = 16;

    [Description("Read latency RL in clock cycles, from the READ command to the first data beat.")]
    public int ReadLatency { get; init; } = 36;

    [Description("Write latency WL in clock cycles, from the WRITE command to the first data beat.")]
    public int WriteLatency { get; init; } = 18;

    [Description("tCCD in clock cycles: minimum gap between two column commands (READ-READ or WRITE-WRITE) on a channel.")]
    public int TCcd { get; init; } = 8;

    [Description("tRCD: ACTIVATE to READ or WRITE of the same bank.")]
    public Duration TRcd { get; init; } = new(18_000);

    [Description("tRPpb: PRECHARGE (one bank) to ACTIVATE of the same bank.")]
    public Duration TRp { get; init; } = new(18_000);

    [Description("tRPab: PRECHARGE ALL to the next command of the rank (used before an all-bank refresh).")]
    public Duration TRpAb { get; init; } = new(21_000);

    [Description("tRAS: ACTIVATE to PRECHARGE of the same bank.")]
    public Duration TRas { get; init; } = new(42_000);

    [Description("tRRD: ACTIVATE to ACTIVATE of different banks of one rank.")]
    public Duration TRrd { get; init; } = new(10_000);

    [Description("tFAW: at most four ACTIVATEs to one rank in any window of this length.")]
    public Duration TFaw { get; init; } = new(40_000);

    [Description("tWR: write recovery, from the end of write data to PRECHARGE of the same bank.")]
    public Duration TWr { get; init; } = new(18_000);

    [Description("tWTR: write-to-read turnaround, from the end of write data to the next READ on the channel.")]
    public Duration TWtr { get; init; } = new(10_000);

    [Description("tRTP: READ to PRECHARGE of the same bank (JEDEC BL16 rule: BL/2 + max(tRTP, 8 cycles) - 8).")]
    public Duration TRtp { get; init; } = new(7_500);

    [Description("tDQSCKmax: read DQS output access time, part of the READ-to-WRITE turnaround.")]
    public Duration TDqsckMax { get; init; } = new(3_500);

    [Description("Write preamble tWPRE in clock cycles, part of the READ-to-WRITE turnaround.")]
    public int WritePreamble { get; init; } = 2;

    [Description("tRFCab: all-bank REFRESH to the next valid command of the rank.")]
    public Duration TRfcAb { get; init; } = new(280_000);

    [Description("tREFI: average interval between all-bank REFRESH commands of one rank.")]
    public Duration TRefi { get; init; } = new(3_904_000);

    /// <summary>Clock period tCK in ps: ceil(2·10^12 / dataRate) (two data beats per clock).</summary>
    public ulong ClockPeriodPs => DataRate.TransfersPerSecond == 0 ? 0 : (2_000_000_000_000UL + DataRate.TransfersPerSecond - 1) / DataRate.TransfersPerSecond;

    public void Validate(string path)
    {
        ConfigChecks.Positive(DataRate.TransfersPerSecond, DataRate.ToString(), ConfigChecks.Join(path, "dataRate"));
        if (DataRate.TransfersPerSecond < 1_000_000 || DataRate.TransfersPerSecond > 20_000_000_000)
        {
            throw new ConfigException(ConfigChecks.Join(path, "dataRate"), $"must be in [1MT/s, 20GT/s] (got {DataRate})");
        }

        if (BurstLength != 16 && BurstLength != 32)
        {
            throw new ConfigException(ConfigChecks.Join(path, "burstLength"), $"must be 16 or 32 (LPDDR4x BL16 / BL32) (got {BurstLength})");
        }

        ConfigChecks.InRange(ReadLatency, 1, 1024, ConfigChecks.Join(path, "readLatency"));
        ConfigChecks.InRange(WriteLatency, 1, 1024, ConfigChecks.Join(path, "writeLatency"));
        ConfigChecks.InRange(TCcd, 1, 1024, ConfigChecks.Join(path, "tCcd"));
        ConfigChecks.InRange(WritePreamble, 0, 64, ConfigChecks.Join(path, "writePreamble"));
        NonZero(TRcd, path, "tRcd");
        NonZero(TRp, path, "tRp");
        NonZero(TRpAb, path, "tRpAb");
        NonZero(TRas, path, "tRas");
        NonZero(TRrd, path, "tRrd");
        NonZero(TFaw, path, "tFaw");
        NonZero(TWr, path, "tWr");
        NonZero(TWtr, path, "tWtr");
        NonZero(TRtp, path, "tRtp");
        NonZero(TRfcAb, path, "tRfcAb");
        NonZero(TRefi, path, "tRefi");
        if (TRefi.Picoseconds > 1_000_000_000)
        {
            throw new ConfigException(ConfigChecks.Join(path, "tRefi"), $"must be <= 1ms (got {TRefi})");
        }

        if (TRfcAb.Picoseconds + TRpAb.Picoseconds + TRas.Picoseconds >= TRefi.Picoseconds)
        {
            throw new ConfigException(ConfigChecks.Join(path, "tRfcAb"),
                $"tRfcAb + tRpAb + tRas ({TRfcAb} + {TRpAb} + {TRas}) must be shorter than tRefi ({TRefi}), or the rank never leaves refresh");
        }
    }

    private static void NonZero(Duration d, string path, string key)
    {
        ConfigChecks.Positive(d.Picoseconds, d.ToString(), ConfigChecks.Join(path, key));
        if (d.Picoseconds > 1_000_000_000)
        {
            throw new ConfigException(ConfigChecks.Join(path, key), $"must be <= 1ms (got {d})");
        }
    }
}

/// <summary>How one DDR interface is organised: channels, ranks, banks, pages, and how addresses map onto them.</summary>
public sealed record DramOrganisationConfig
{
    [Description("Independent LPDDR4x channels per DDR interface (each has its own command and data bus).")]
    public int ChannelsPerInterface { get; init; } = 2;

    [Description("Data bus width of one channel in bits (16 for LPDDR4x).")]
    public int ChannelWidth { get; init; } = 16;

    [Description("Ranks per channel (share the channel's buses; refreshed together).")]
    public int Ranks { get; init; } = 1;

    [Description("Banks per rank (8 for LPDDR4x).")]
    public int Banks { get; init; } = 8;

    [Description("Page (row) size of one bank of one channel: the bytes one ACTIVATE opens.")]
    public ByteSize PageSize { get; init; } = new(2048);

    [Description("Rows per bank (used by the address mapping when the row field is not the most significant).")]
    public int RowsPerBank { get; init; } = 65536;

    [Description("Address mapping, fields from most to least significant above the byte-in-burst offset: Ro (row), Ra (rank, may be omitted when ranks = 1), Ba (bank), Ch (channel), Co (column burst), e.g. RoBaRaCoCh.")]
    public string AddressMapping { get; init; } = "RoBaRaCoCh";

    /// <summary>Bytes per burst on one channel for burst length <paramref name="burstLength"/>: BL x width / 8.</summary>
    public int BurstBytes(int burstLength) => burstLength * ChannelWidth / 8;

    public void Validate(string path, int burstLength)
    {
        PowerOfTwo(ChannelsPerInterface, 1, 64, path, "channelsPerInterface");
        if (ChannelWidth != 8 && ChannelWidth != 16 && ChannelWidth != 32 && ChannelWidth != 64)
        {
            throw new ConfigException(ConfigChecks.Join(path, "channelWidth"), $"must be 8, 16, 32 or 64 bits (got {ChannelWidth})");
        }

        PowerOfTwo(Ranks, 1, 16, path, "ranks");
        PowerOfTwo(Banks, 1, 64, path, "banks");
        PowerOfTwo(RowsPerBank, 1, 1 << 24, path, "rowsPerBank");
        ulong page = PageSize.Bytes;
        if (page == 0 || (page & (page - 1)) != 0 || page > 1 << 20)
        {
            throw new ConfigException(ConfigChecks.Join(path, "pageSize"), $"must be a power of two bytes, at most 1MiB (got {PageSize})");
        }

        if ((ulong)BurstBytes(burstLength) > page)
        {
            throw new ConfigException(ConfigChecks.Join(path, "pageSize"), $"must hold at least one burst of {BurstBytes(burstLength)} B (got {PageSize})");
        }

        if (!DramAddressMapping.TryParse(AddressMapping, Ranks, out _, out string problem))
        {
            throw new ConfigException(ConfigChecks.Join(path, "addressMapping"), problem);
        }
    }

    private static void PowerOfTwo(int value, int min, int max, string path, string key)
    {
        ConfigChecks.InRange(value, min, max, ConfigChecks.Join(path, key));
        if ((value & (value - 1)) != 0)
        {
            throw new ConfigException(ConfigChecks.Join(path, key), $"must be a power of two (got {value})");
        }
    }
}

/// <summary>Fields of a DRAM address mapping, in order from least to most significant.</summary>
public enum DramField
{
    Column,
    Channel,
    Bank,
    Rank,
    Row,
}

/// <summary>A parsed address mapping name such as "RoBaRaCoCh": the fields from least to most significant.</summary>
public static class DramAddressMapping
{
    /// <summary>Parses <paramref name="name"/> into fields ordered least significant first. Each of Ro, Ba, Ch, Co must
    /// appear once; Ra once, or not at all when <paramref name="ranks"/> is 1.</summary>
    public static bool TryParse(string name, int ranks, out DramField[] lsbFirst, out string problem)
    {
        lsbFirst = [];
        problem = string.Empty;
        if (string.IsNullOrEmpty(name) || name.Length % 2 != 0)
        {
            problem = $"must be two-letter fields Ro, Ra, Ba, Ch, Co from most to least significant, e.g. RoBaRaCoCh (got \"{name}\")";
            return false;
        }

        int n = name.Length / 2;
        var fields = new DramField[n];
        int seen = 0;
        for (int i = 0; i < n; i++)
        {
            string token = name.Substring(2 * i, 2);
            DramField f;
            switch (token)
            {
                case "Ro":
                    f = DramField.Row;
                    break;
                case "Ra":
                    f = DramField.Rank;
                    break;
                case "Ba":
                    f = DramField.Bank;
                    break;
                case "Ch":
                    f = DramField.Channel;
                    break;
                case "Co":
                    f = DramField.Column;
                    break;
                default:
                    problem = $"unknown field \"{token}\" in \"{name}\"; fields are Ro, Ra, Ba, Ch, Co";
                    return false;
            }

            int bit = 1 << (int)f;
            if ((seen & bit) != 0)
            {
                problem = $"field \"{token}\" appears twice in \"{name}\"";
                return false;
            }

            seen |= bit;
            fields[n - 1 - i] = f;
        }

        foreach (DramField required in new[] { DramField.Row, DramField.Bank, DramField.Channel, DramField.Column })
        {
            if ((seen & (1 << (int)required)) == 0)
            {
                problem = $"\"{name}\" lacks the {required} field";
                return false;
            }
        }

        if ((seen & (1 << (int)DramField.Rank)) == 0 && ranks != 1)
        {
            problem = $"\"{name}\" lacks the Ra field, needed with {ranks} ranks";
            return false;
        }

        lsbFirst = fields;
        return true;
    }
}

/// <summary>Names of the DRAM request schedulers (<c>chip.dram.scheduler</c>); the model's registry implements each.</summary>
public static class DramSchedulerNames
{
    public const string Fcfs = "FCFS";

    public const string FrFcfs = "FRFCFS";

    /// <summary>Every accepted name.</summary>
    public static readonly string[] All = [Fcfs, FrFcfs];
}
