using System.Globalization;

namespace Antoum.Isa;

// Operand value types of the Antoum ISA: engine ids, memory references, tokens and the enums that instructions name.
// Every type packs losslessly into one 64-bit operand slot and has one canonical text form.

/// <summary>Kind of engine that executes an instruction stream.</summary>
public enum EngineKind : byte
{
    Cpu,
    Dma,
    Spu,
    Vpu,
    Sfa,
    Codec,
}

/// <summary>Architectural limits the ISA checks operands against (the largest card: 3 chips).</summary>
public static class IsaLimits
{
    public const int MaxChips = 3;
    public const int ClustersPerChip = 4;
    public const int SpusPerCluster = 8;

    /// <summary>DMA channels a cluster may have (engine ids dma.K.C); the card's config sets how many exist.</summary>
    public const int MaxDmaChannels = 16;
    public const int MaxTokens = 4096;
    public const int MaxBarriers = 256;
    public const int MaxLoopDepth = 16;
    public const ulong MaxOffset = (1UL << 48) - 1;
}

/// <summary>
/// One engine instance. Text: "cpu", "dma.K" (channel 0) or "dma.K.C" (DMA channel C), "spu.K.S", "vpu.K", "sfa.K",
/// "codec.K", optionally prefixed "cN:" (chip N, default 0). The cpu has cluster 0 and unit 0; single-instance engines
/// have unit 0; a DMA engine's unit is its channel.
/// </summary>
public readonly record struct EngineId(EngineKind Kind, int Chip, int Cluster, int Unit)
{
    private static readonly string[] s_names = ["cpu", "dma", "spu", "vpu", "sfa", "codec"];

    public override string ToString()
    {
        string prefix = Chip == 0 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"c{Chip}:");
        string name = s_names[(int)Kind];
        return Kind switch
        {
            EngineKind.Cpu => prefix + name,
            EngineKind.Spu => string.Create(CultureInfo.InvariantCulture, $"{prefix}{name}.{Cluster}.{Unit}"),
            EngineKind.Dma when Unit > 0 => string.Create(CultureInfo.InvariantCulture, $"{prefix}{name}.{Cluster}.{Unit}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{prefix}{name}.{Cluster}"),
        };
    }

    /// <summary>Parses the text form; throws <see cref="FormatException"/> naming what was expected.</summary>
    public static EngineId Parse(string text)
    {
        if (TryParse(text, out EngineId id, out string? error))
        {
            return id;
        }

        throw new FormatException(error);
    }

    public static bool TryParse(string text, out EngineId id, out string? error)
    {
        id = default;
        error = null;
        string s = text.Trim();
        int chip = 0;
        int colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!TryChipPrefix(s[..colon], out chip))
            {
                error = $"expected a chip prefix c0..c{IsaLimits.MaxChips - 1} before ':' in an engine id, got '{text}'";
                return false;
            }

            s = s[(colon + 1)..];
        }

        string[] parts = s.Split('.');
        int kindIndex = Array.IndexOf(s_names, parts[0].ToLowerInvariant());
        if (kindIndex < 0)
        {
            error = $"expected an engine id (cpu, dma.K, dma.K.C, spu.K.S, vpu.K, sfa.K or codec.K, optionally prefixed cN:), got '{text}'";
            return false;
        }

        var kind = (EngineKind)kindIndex;
        int expectedParts = kind switch { EngineKind.Cpu => 1, EngineKind.Spu => 3, _ => 2 };
        if (parts.Length != expectedParts && !(kind == EngineKind.Dma && parts.Length == 3))
        {
            string form = kind switch { EngineKind.Cpu => "cpu", EngineKind.Spu => "spu.K.S", EngineKind.Dma => "dma.K' or 'dma.K.C", _ => s_names[kindIndex] + ".K" };
            error = $"expected an engine id of the form '{form}', got '{text}'";
            return false;
        }

        int cluster = 0;
        int unit = 0;
        if (parts.Length >= 2 && !TryIndex(parts[1], IsaLimits.ClustersPerChip, out cluster))
        {
            error = $"expected a cluster index in 0..{IsaLimits.ClustersPerChip - 1} in an engine id, got '{text}'";
            return false;
        }

        if (parts.Length == 3 && kind == EngineKind.Dma && !TryIndex(parts[2], IsaLimits.MaxDmaChannels, out unit))
        {
            error = $"expected a DMA channel index in 0..{IsaLimits.MaxDmaChannels - 1} in an engine id, got '{text}'";
            return false;
        }

        if (parts.Length == 3 && kind == EngineKind.Spu && !TryIndex(parts[2], IsaLimits.SpusPerCluster, out unit))
        {
            error = $"expected an SPU index in 0..{IsaLimits.SpusPerCluster - 1} in an engine id, got '{text}'";
            return false;
        }

        id = new EngineId(kind, chip, cluster, unit);
        return true;
    }

    /// <summary>Packs into a long: kind bits 0-7, chip 8-15, cluster 16-23, unit 24-31.</summary>
    public long Pack()
    {
        return (long)(byte)Kind | ((long)(byte)Chip << 8) | ((long)(byte)Cluster << 16) | ((long)(byte)Unit << 24);
    }

    public static EngineId Unpack(long packed)
    {
        return new EngineId((EngineKind)(byte)packed, (byte)(packed >> 8), (byte)(packed >> 16), (byte)(packed >> 24));
    }

    /// <summary>Null when <paramref name="packed"/> is a valid packed engine id, else what is wrong.</summary>
    public static string? Check(long packed)
    {
        if ((packed & ~0xFFFF_FFFFL) != 0)
        {
            return "engine id has bits set above bit 31";
        }

        EngineId id = Unpack(packed);
        if ((byte)id.Kind > (byte)EngineKind.Codec)
        {
            return $"engine kind {(byte)id.Kind} is not defined";
        }

        if (id.Chip >= IsaLimits.MaxChips || id.Cluster >= IsaLimits.ClustersPerChip)
        {
            return "engine chip or cluster out of range";
        }

        bool unitOk = id.Kind switch
        {
            EngineKind.Spu => id.Unit < IsaLimits.SpusPerCluster,
            EngineKind.Dma => id.Unit < IsaLimits.MaxDmaChannels,
            _ => id.Unit == 0,
        };
        if (!unitOk || (id.Kind == EngineKind.Cpu && id.Cluster != 0))
        {
            return "engine unit out of range for its kind";
        }

        return null;
    }

    internal static bool TryChipPrefix(string s, out int chip)
    {
        chip = 0;
        return s.Length >= 2 && (s[0] == 'c' || s[0] == 'C') && TryIndex(s[1..], IsaLimits.MaxChips, out chip);
    }

    internal static bool TryIndex(string s, int limit, out int value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > 3)
        {
            return false;
        }

        foreach (char c in s)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }

        value = int.Parse(s, CultureInfo.InvariantCulture);
        return value < limit;
    }
}

/// <summary>Memory space of a <see cref="MemRef"/>.</summary>
public enum MemSpace : byte
{
    Dram,
    L2,
    L1,
    Host,
}

/// <summary>
/// A memory operand. <see cref="Local"/> (-1) in Chip, Cluster or Unit means "the executing engine's own".
/// Text: "dram[0x1000]", "dram.K[..]", "l2[..]", "l2.K[..]", "l1[..]" (the executing SPU's own L1), "l1.S[..]" (SPU S of
/// the engine's cluster), "l1.K.S[..]", "host[..]"; dram/l2/l1 may be prefixed "cN:" (chip N). Host takes no qualifier.
/// Packed: offset bits 0-47, space 48-49, chip+1 50-53, cluster+1 54-57, unit+1 58-61, bits 62-63 zero.
/// </summary>
public readonly record struct MemRef(MemSpace Space, int Chip, int Cluster, int Unit, ulong Offset)
{
    public const int Local = -1;

    private static readonly string[] s_names = ["dram", "l2", "l1", "host"];

    public static MemRef Of(MemSpace space, ulong offset)
    {
        return new MemRef(space, Local, Local, Local, offset);
    }

    public long Pack()
    {
        return (long)(Offset & IsaLimits.MaxOffset)
            | ((long)Space << 48)
            | ((long)((Chip + 1) & 0xF) << 50)
            | ((long)((Cluster + 1) & 0xF) << 54)
            | ((long)((Unit + 1) & 0xF) << 58);
    }

    public static MemRef Unpack(long packed)
    {
        return new MemRef(
            (MemSpace)((packed >> 48) & 3),
            (int)((packed >> 50) & 0xF) - 1,
            (int)((packed >> 54) & 0xF) - 1,
            (int)((packed >> 58) & 0xF) - 1,
            (ulong)packed & IsaLimits.MaxOffset);
    }

    /// <summary>Null when <paramref name="packed"/> is a valid packed MemRef, else what is wrong.</summary>
    public static string? Check(long packed)
    {
        if ((packed >> 62) != 0)
        {
            return "memory reference has reserved bits 62-63 set";
        }

        return Unpack(packed).Check();
    }

    /// <summary>Null when the fields are in range and Pack/Unpack round-trip, else what is wrong.</summary>
    public string? Check()
    {
        if ((byte)Space > (byte)MemSpace.Host)
        {
            return "memory space not defined";
        }

        if (Offset > IsaLimits.MaxOffset)
        {
            return $"offset above 0x{IsaLimits.MaxOffset:x}";
        }

        if (Chip < Local || Chip >= IsaLimits.MaxChips)
        {
            return $"chip must be 0..{IsaLimits.MaxChips - 1}";
        }

        if (Cluster < Local || Cluster >= IsaLimits.ClustersPerChip)
        {
            return $"cluster must be 0..{IsaLimits.ClustersPerChip - 1}";
        }

        if (Unit < Local || Unit >= IsaLimits.SpusPerCluster)
        {
            return $"L1 unit must be 0..{IsaLimits.SpusPerCluster - 1}";
        }

        if (Space == MemSpace.Host && (Chip != Local || Cluster != Local || Unit != Local))
        {
            return "host memory takes no chip, cluster or unit qualifier";
        }

        if (Space != MemSpace.L1 && Unit != Local)
        {
            return "only l1 takes an SPU unit qualifier";
        }

        if (Space == MemSpace.L1 && Cluster != Local && Unit == Local)
        {
            return "l1 qualified by cluster must also name the SPU (l1.K.S)";
        }

        return null;
    }

    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        if (Chip != Local)
        {
            sb.Append(CultureInfo.InvariantCulture, $"c{Chip}:");
        }

        sb.Append(s_names[(int)Space & 3]);
        if (Cluster != Local)
        {
            sb.Append(CultureInfo.InvariantCulture, $".{Cluster}");
        }

        if (Unit != Local)
        {
            sb.Append(CultureInfo.InvariantCulture, $".{Unit}");
        }

        sb.Append(CultureInfo.InvariantCulture, $"[0x{Offset:x}]");
        return sb.ToString();
    }

    /// <summary>
    /// Parses the qualifier part (everything before '['); the offset is supplied separately so that the assembler can
    /// evaluate an expression there. Returns null on success, else what was expected.
    /// </summary>
    public static string? TryParseHead(string head, out MemSpace space, out int chip, out int cluster, out int unit)
    {
        space = MemSpace.Dram;
        chip = Local;
        cluster = Local;
        unit = Local;
        string s = head.Trim();
        int colon = s.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            if (!EngineId.TryChipPrefix(s[..colon], out chip))
            {
                return $"expected a chip prefix c0..c{IsaLimits.MaxChips - 1}";
            }

            s = s[(colon + 1)..];
        }

        string[] parts = s.Split('.');
        int index = Array.IndexOf(s_names, parts[0].ToLowerInvariant());
        if (index < 0)
        {
            return "expected a memory reference (dram[..], l2[..], l1[..], l1.S[..], host[..])";
        }

        space = (MemSpace)index;
        switch (space)
        {
            case MemSpace.Host:
                if (parts.Length != 1 || chip != Local)
                {
                    return "expected host memory without qualifiers, 'host[OFFSET]'";
                }

                break;
            case MemSpace.L1:
                if (parts.Length == 2)
                {
                    if (!EngineId.TryIndex(parts[1], IsaLimits.SpusPerCluster, out unit))
                    {
                        return $"expected an SPU index 0..{IsaLimits.SpusPerCluster - 1} in 'l1.S[..]'";
                    }
                }
                else if (parts.Length == 3)
                {
                    if (!EngineId.TryIndex(parts[1], IsaLimits.ClustersPerChip, out cluster)
                        || !EngineId.TryIndex(parts[2], IsaLimits.SpusPerCluster, out unit))
                    {
                        return "expected cluster 0..3 and SPU 0..7 in 'l1.K.S[..]'";
                    }
                }
                else if (parts.Length != 1)
                {
                    return "expected 'l1[..]', 'l1.S[..]' or 'l1.K.S[..]'";
                }

                break;
            default:
                if (parts.Length == 2)
                {
                    if (!EngineId.TryIndex(parts[1], IsaLimits.ClustersPerChip, out cluster))
                    {
                        return $"expected a cluster index 0..{IsaLimits.ClustersPerChip - 1} in '{s_names[index]}.K[..]'";
                    }
                }
                else if (parts.Length != 1)
                {
                    return $"expected '{s_names[index]}[..]' or '{s_names[index]}.K[..]'";
                }

                break;
        }

        return null;
    }
}

/// <summary>
/// A synchronisation token: t0..t4095, chip-scoped unless global ("g:t5", card-wide) or cluster-local ("c:t5": a
/// token of the issuing engine's own cluster, served by that cluster's sync unit). Packed: id bits 0-11, global bit
/// 12, cluster bit 13.
/// </summary>
public readonly record struct TokenRef(int Id, bool Global)
{
    /// <summary>Cluster-local: the token lives in the issuing engine's cluster (only engines of a cluster can use it).</summary>
    public bool Cluster { get; init; }

    public long Pack()
    {
        return (long)(Id & 0xFFF) | (Global ? 1L << 12 : 0L) | (Cluster ? 1L << 13 : 0L);
    }

    public static TokenRef Unpack(long packed)
    {
        return new TokenRef((int)(packed & 0xFFF), (packed & (1L << 12)) != 0) { Cluster = (packed & (1L << 13)) != 0 };
    }

    public static string? Check(long packed)
    {
        if ((packed & ~0x3FFFL) != 0)
        {
            return "token has bits set above bit 13";
        }

        return (packed & (3L << 12)) == (3L << 12) ? "token is both card-wide (g:) and cluster-local (c:)" : null;
    }

    public override string ToString()
    {
        return string.Create(CultureInfo.InvariantCulture, $"{(Global ? "g:" : Cluster ? "c:" : string.Empty)}t{Id}");
    }

    public static bool TryParse(string text, out TokenRef token)
    {
        token = default;
        string s = text.Trim();
        bool global = false, cluster = false;
        if (s.StartsWith("g:", StringComparison.OrdinalIgnoreCase))
        {
            global = true;
            s = s[2..];
        }
        else if (s.StartsWith("c:", StringComparison.OrdinalIgnoreCase))
        {
            cluster = true;
            s = s[2..];
        }

        if (s.Length < 2 || s.Length > 5 || (s[0] != 't' && s[0] != 'T') || !s[1..].All(char.IsAsciiDigit)
            || !int.TryParse(s[1..], NumberStyles.None, CultureInfo.InvariantCulture, out int id) || id >= IsaLimits.MaxTokens)
        {
            return false;
        }

        if (s.Length > 2 && s[1] == '0')
        {
            return false;
        }

        token = new TokenRef(id, global) { Cluster = cluster };
        return true;
    }
}

public enum Precision : byte
{
    Int8,
    Bf16,
}

public enum SparseFormat : byte
{
    Dense,
    NofM,
    Bitmap,
    Csr,
    BlockCsr,
}

public enum VpuOp : byte
{
    Add,
    Sub,
    Mul,
    Max,
    Min,
    Relu,
    Copy,
    Scale,
}

public enum ReduceOp : byte
{
    Sum,
    Max,
    Min,
}

public enum SfaFunc : byte
{
    Exp,
    Rsqrt,
    Recip,
    Gelu,
    Sigmoid,
    Tanh,
    MaxPool,
    AvgPool,
    Resize,
}

/// <summary>Video codec of a <c>vdec</c> (named VideoCodec so it does not clash with <see cref="EngineKind.Codec"/>).</summary>
public enum VideoCodec : byte
{
    H264,
    H265,
}

public enum JpegSampling : byte
{
    S420,
    S422,
    S444,
}
