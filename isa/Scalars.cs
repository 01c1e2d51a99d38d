using System.Globalization;

namespace Antoum.Isa;

/// <summary>BF16 conversions and the scalar-immediate encoding (bit 63 set, value in bits 0-15).</summary>
public static class Scalars
{
    public const long ImmediateBit = long.MinValue;

    public static bool IsImmediate(long scalar)
    {
        return scalar < 0;
    }

    public static bool IsFiniteBf16(ushort bits)
    {
        return (bits & 0x7F80) != 0x7F80;
    }

    public static float Bf16ToFloat(ushort bits)
    {
        return BitConverter.Int32BitsToSingle(bits << 16);
    }

    /// <summary>Round-to-nearest-even float to BF16 (NaN stays NaN).</summary>
    public static ushort FloatToBf16(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((u >> 16) | 0x40);
        }

        uint rounding = 0x7FFF + ((u >> 16) & 1);
        return (ushort)((u + rounding) >> 16);
    }

    public static long Int8Immediate(int value)
    {
        return ImmediateBit | (byte)(sbyte)value;
    }

    public static long Bf16Immediate(ushort bits)
    {
        return ImmediateBit | bits;
    }

    /// <summary>Text of an immediate: INT8 as a signed integer, BF16 as the shortest float that round-trips.</summary>
    public static string FormatImmediate(long scalar, Precision precision)
    {
        if (precision == Precision.Int8)
        {
            return ((sbyte)(byte)scalar).ToString(CultureInfo.InvariantCulture);
        }

        float f = Bf16ToFloat((ushort)scalar);
        string s = f.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.', StringComparison.Ordinal) || s.Contains('E', StringComparison.Ordinal) ? s : s + ".0";
    }
}
