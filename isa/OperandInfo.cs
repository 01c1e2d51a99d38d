using System.Globalization;

namespace Antoum.Isa;

/// <summary>What an operand field holds and how its text is written.</summary>
public enum OperandKind : byte
{
    /// <summary>Unsigned integer with a range (sizes, counts, shape fields).</summary>
    Count,

    /// <summary>Memory reference (<see cref="MemRef"/> packed).</summary>
    Mem,

    /// <summary>Synchronisation token (<see cref="TokenRef"/> packed).</summary>
    Token,

    /// <summary>Engine id (<see cref="EngineId"/> packed).</summary>
    Engine,

    /// <summary>One of a fixed list of names; stored as its index.</summary>
    Enum,

    /// <summary>SPU flags (<see cref="SpuFlags"/> packed).</summary>
    Flags,

    /// <summary>A scalar: a memory reference, or (bit 63 set) an immediate in the instruction's precision.</summary>
    Scalar,

    /// <summary>Instruction index filled in by the assembler (loop/endloop matching); not written in text.</summary>
    Target,
}

/// <summary>How an operand appears in assembly text.</summary>
public enum OperandPresence : byte
{
    /// <summary>Positional, must be written.</summary>
    Required,

    /// <summary>Positional, may be left off at the end of the line; then it takes <see cref="OperandInfo.Default"/>.</summary>
    Optional,

    /// <summary>Written only as name=value, only when the opcode's condition says so (e.g. bias= when FLAGS has bias).</summary>
    Keyword,

    /// <summary>Computed by the assembler, never written.</summary>
    Hidden,
}

/// <summary>One operand field: a bit range of one slot plus its kind, range and text form.</summary>
public sealed class OperandInfo
{
    internal OperandInfo(string name, OperandKind kind, int slot, int shift, int width, long min, long max, string[]? enumNames,
        OperandPresence presence, long defaultValue, string description)
    {
        Name = name;
        Kind = kind;
        Slot = slot;
        Shift = shift;
        Width = width;
        Min = min;
        Max = max;
        EnumNames = enumNames ?? [];
        Presence = presence;
        Default = defaultValue;
        Description = description;
    }

    public string Name { get; }

    public OperandKind Kind { get; }

    /// <summary>Slot index 0..7 (A..H).</summary>
    public int Slot { get; }

    public char SlotLetter => (char)('A' + Slot);

    /// <summary>Lowest bit of the field in its slot.</summary>
    public int Shift { get; }

    /// <summary>Width in bits (64 = the whole slot).</summary>
    public int Width { get; }

    /// <summary>Range of Count fields (inclusive); Enum fields 0..names-1.</summary>
    public long Min { get; }

    public long Max { get; }

    public IReadOnlyList<string> EnumNames { get; }

    public OperandPresence Presence { get; }

    public long Default { get; }

    public string Description { get; }

    /// <summary>Bits of the slot this field occupies.</summary>
    public ulong SlotMask => Width == 64 ? ulong.MaxValue : ((1UL << Width) - 1) << Shift;

    public long Read(in Instruction instruction)
    {
        return Extract(instruction[Slot]);
    }

    public long Extract(long slot)
    {
        return Width == 64 ? slot : (long)(((ulong)slot >> Shift) & ((1UL << Width) - 1));
    }

    public long Insert(long slot, long value)
    {
        if (Width == 64)
        {
            return value;
        }

        return (long)(((ulong)slot & ~SlotMask) | (((ulong)value << Shift) & SlotMask));
    }

    /// <summary>Human description of the accepted values, for messages and docs.</summary>
    public string RangeText => Kind switch
    {
        OperandKind.Count => Min == Max ? Min.ToString(CultureInfo.InvariantCulture) : $"{Num(Min)}..{Num(Max)}",
        OperandKind.Mem => "memory reference",
        OperandKind.Token => "token t0..t4095, g:tN or c:tN",
        OperandKind.Engine => "engine id",
        OperandKind.Enum => string.Join('|', EnumNames),
        OperandKind.Flags => "fmt=F[:R] [acc] [bias] [rq=S:H] [obf16]",
        OperandKind.Scalar => "memory reference or immediate",
        OperandKind.Target => "instruction index (assembler)",
        _ => string.Empty,
    };

    /// <summary>Null when <paramref name="value"/> is valid for this field, else what is wrong.</summary>
    public string? Check(long value)
    {
        switch (Kind)
        {
            case OperandKind.Count:
            case OperandKind.Target:
                return value < Min || value > Max ? $"{Name} must be in {Num(Min)}..{Num(Max)}" : null;
            case OperandKind.Enum:
                return value < 0 || value >= EnumNames.Count ? $"{Name} must be one of {RangeText}" : null;
            case OperandKind.Mem:
                return MemRef.Check(value) is { } m ? $"{Name}: {m}" : null;
            case OperandKind.Token:
                return TokenRef.Check(value) is { } t ? $"{Name}: {t}" : null;
            case OperandKind.Engine:
                return EngineId.Check(value) is { } e ? $"{Name}: {e}" : null;
            case OperandKind.Flags:
                return SpuFlags.Check(value) is { } f ? $"{Name}: {f}" : null;
            case OperandKind.Scalar:
                if (value < 0)
                {
                    return (value & 0x7FFF_FFFF_FFFF_0000L) != 0 ? $"{Name}: immediate has bits set above bit 15" : null;
                }

                return MemRef.Check(value) is { } s ? $"{Name}: {s}" : null;
            default:
                return null;
        }
    }

    internal static string Num(long v)
    {
        if (v >= 1L << 20 && (v & (v - 1)) == 0)
        {
            return $"2^{System.Numerics.BitOperations.Log2((ulong)v)}";
        }

        if (v >= 1L << 20 && ((v + 1) & v) == 0)
        {
            return $"2^{System.Numerics.BitOperations.Log2((ulong)v + 1)}-1";
        }

        return v.ToString(CultureInfo.InvariantCulture);
    }
}
