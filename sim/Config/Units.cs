using System.ComponentModel;
using System.Globalization;

namespace Antoum.Sim.Config;

/// <summary>
/// The one helper that parses and prints every physical quantity in the configuration. Quantities are strings with
/// units, e.g. "900MHz", "30ns", "1.8MB", "82GB/s", "8GT/s", "70W". Prefixes are strict: SI k, M, G, T mean 10^3,
/// 10^6, 10^9, 10^12 and IEC Ki, Mi, Gi, Ti mean 2^10, 2^20, 2^30, 2^40; they are never mixed, and the ambiguous
/// capital "K" (as in "KB") is rejected. Units are case-sensitive. Values are stored as unsigned integers in a base
/// unit (Hz, ps, B, B/s, T/s, mW); a value that is not a whole number of base units is an error. Always invariant culture.
/// </summary>
public static class Units
{
    internal static UnitFamily FrequencyUnits { get; } = new(
        "frequency", "900MHz", "hertz",
        [new("Hz", 1m, false), new("kHz", 1e3m, false), new("MHz", 1e6m, false), new("GHz", 1e9m, false)]);

    internal static UnitFamily DurationUnits { get; } = new(
        "duration", "30ns", "picoseconds",
        [new("ps", 1m, false), new("ns", 1e3m, false), new("us", 1e6m, false), new("ms", 1e9m, false), new("s", 1e12m, false)]);

    internal static UnitFamily ByteSizeUnits { get; } = new(
        "byte size", "1.8MB", "bytes", BinaryFamily(string.Empty));

    internal static UnitFamily BandwidthUnits { get; } = new(
        "bandwidth", "82GB/s", "bytes per second", BinaryFamily("/s"));

    internal static UnitFamily TransferRateUnits { get; } = new(
        "transfer rate", "8GT/s", "transfers per second",
        [new("T/s", 1m, false), new("kT/s", 1e3m, false), new("MT/s", 1e6m, false), new("GT/s", 1e9m, false)]);

    internal static UnitFamily PowerUnits { get; } = new(
        "power", "70W", "milliwatts",
        [new("mW", 1m, false), new("W", 1e3m, false), new("kW", 1e6m, false)]);

    private static readonly UnitFamily[] s_allFamilies =
        [FrequencyUnits, DurationUnits, ByteSizeUnits, BandwidthUnits, TransferRateUnits, PowerUnits];

    private const string DecimalFormat = "0.############################";

    /// <summary>Parses <paramref name="text"/> as a quantity of the given family into base units.</summary>
    /// <exception cref="FormatException">The text is empty, negative, has no unit, a unit of another kind, an
    /// ambiguous or unknown unit, or is not a whole number of base units. The message says what was expected.</exception>
    internal static ulong Parse(string? text, UnitFamily family)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException($"empty value: expected a {family.Kind} with a unit, e.g. \"{family.Example}\"");
        }

        string s = text.Trim();
        if (s[0] == '-')
        {
            throw new FormatException($"\"{text}\" is negative: expected a {family.Kind} >= 0, e.g. \"{family.Example}\"");
        }

        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
        {
            i++;
        }

        string numberPart = s[..i];
        string unitPart = s[i..].Trim();
        if (numberPart.Length == 0 ||
            !decimal.TryParse(numberPart, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal number))
        {
            throw new FormatException(
                $"\"{text}\" is not a {family.Kind}: expected a number followed by a unit, e.g. \"{family.Example}\" (units: {family.UnitList})");
        }

        if (unitPart.Length == 0)
        {
            throw new FormatException(
                $"\"{text}\" has no unit: expected a {family.Kind} such as \"{family.Example}\" (units: {family.UnitList})");
        }

        UnitDef unit = family.Find(unitPart) ?? throw new FormatException(UnknownUnitMessage(text, unitPart, family));
        decimal result;
        try
        {
            result = number * unit.Scale;
        }
        catch (OverflowException)
        {
            throw new FormatException($"\"{text}\" is too large for a {family.Kind}");
        }

        if (result > ulong.MaxValue)
        {
            throw new FormatException($"\"{text}\" is too large for a {family.Kind}");
        }

        if (result != decimal.Truncate(result))
        {
            throw new FormatException(
                $"\"{text}\" is not a whole number of {family.BaseName} ({result.ToString(DecimalFormat, CultureInfo.InvariantCulture)}); use a smaller unit or fewer decimals");
        }

        return (ulong)result;
    }

    /// <summary>Prints a value in base units as the shortest exact string in the family (SI preferred on ties);
    /// the result parses back to the same value. Zero is printed in the base unit ("0B", "0Hz") unless that unit
    /// starts with a letter that reads as a prefix ("0T/s" looks like tera): then in the unit of the family's example
    /// ("0GT/s").</summary>
    internal static string Format(ulong value, UnitFamily family)
    {
        if (value == 0 && family.Units[0].Symbol[0] is 'k' or 'M' or 'G' or 'T')
        {
            return "0" + family.Example.TrimStart('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.');
        }

        string? best = null;
        foreach (bool iec in new[] { false, true })
        {
            string? candidate = Candidate(value, family, iec);
            if (candidate is not null && (best is null || candidate.Length < best.Length))
            {
                best = candidate;
            }
        }

        return best ?? value.ToString(CultureInfo.InvariantCulture) + family.Units[0].Symbol;
    }

    private static string? Candidate(ulong value, UnitFamily family, bool iec)
    {
        UnitDef? chosen = null;
        foreach (UnitDef u in family.Units)
        {
            bool inGroup = u.Scale == 1m || u.Iec == iec;
            if (inGroup && (chosen is null || (u.Scale <= value && u.Scale > chosen.Value.Scale)))
            {
                chosen = u;
            }
        }

        if (chosen is null)
        {
            return null;
        }

        decimal q = value / chosen.Value.Scale;
        string text = q.ToString(DecimalFormat, CultureInfo.InvariantCulture) + chosen.Value.Symbol;
        try
        {
            return Parse(text, family) == value ? text : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static string UnknownUnitMessage(string text, string unit, UnitFamily family)
    {
        if (unit[0] == 'K' && !unit.StartsWith("Ki", StringComparison.Ordinal))
        {
            string rest = unit[1..];
            string si = "k" + rest;
            string iec = "Ki" + rest;
            if (family.Find(si) is not null && family.Find(iec) is not null)
            {
                return $"\"{text}\": unit \"{unit}\" is ambiguous: use {si} (10^3) or {iec} (2^10)";
            }

            if (family.Find(si) is not null)
            {
                return $"\"{text}\": unit \"{unit}\" is ambiguous: use {si} (10^3)";
            }

            return $"\"{text}\": unit \"{unit}\" is ambiguous: use kB (10^3) or KiB (2^10)";
        }

        foreach (UnitFamily other in s_allFamilies)
        {
            if (!ReferenceEquals(other, family) && other.Find(unit) is not null)
            {
                return $"\"{text}\" is a {other.Kind}, but a {family.Kind} is expected here, e.g. \"{family.Example}\"";
            }
        }

        foreach (UnitDef u in family.Units)
        {
            if (string.Equals(u.Symbol, unit, StringComparison.OrdinalIgnoreCase))
            {
                return $"\"{text}\": unknown unit \"{unit}\" (units are case-sensitive; did you mean \"{u.Symbol}\"?)";
            }
        }

        return $"\"{text}\": unknown unit \"{unit}\": expected a {family.Kind} such as \"{family.Example}\" (units: {family.UnitList})";
    }

    private static UnitDef[] BinaryFamily(string suffix)
    {
        return
        [
            new("B" + suffix, 1m, false),
            new("kB" + suffix, 1e3m, false),
            new("MB" + suffix, 1e6m, false),
            new("GB" + suffix, 1e9m, false),
            new("TB" + suffix, 1e12m, false),
            new("KiB" + suffix, 1024m, true),
            new("MiB" + suffix, 1024m * 1024m, true),
            new("GiB" + suffix, 1024m * 1024m * 1024m, true),
            new("TiB" + suffix, 1024m * 1024m * 1024m * 1024m, true),
        ];
    }
}

/// <summary>One unit: its symbol, how many base units it is, and whether it is an IEC (power of two) unit.</summary>
internal readonly record struct UnitDef(string Symbol, decimal Scale, bool Iec);

/// <summary>The units accepted for one kind of quantity.</summary>
internal sealed class UnitFamily
{
    public UnitFamily(string kind, string example, string baseName, UnitDef[] units)
    {
        Kind = kind;
        Example = example;
        BaseName = baseName;
        Units = units;
        UnitList = string.Join(", ", units.Select(u => u.Symbol));
    }

    public string Kind { get; }

    public string Example { get; }

    public string BaseName { get; }

    public UnitDef[] Units { get; }

    public string UnitList { get; }

    public UnitDef? Find(string symbol)
    {
        foreach (UnitDef u in Units)
        {
            if (string.Equals(u.Symbol, symbol, StringComparison.Ordinal))
            {
                return u;
            }
        }

        return null;
    }
}

/// <summary>A quantity type that parses from a unit string; used by <see cref="QuantityConverter{T}"/>.</summary>
public interface IQuantity<TSelf>
    where TSelf : struct, IQuantity<TSelf>
{
    /// <summary>Parses a unit string. Throws <see cref="FormatException"/> with a message naming what was expected.</summary>
    static abstract TSelf Parse(string text);

    /// <summary>Kind and unit list for documentation, e.g. "frequency (Hz, kHz, MHz, GHz)".</summary>
    static abstract string UnitDescription { get; }
}

/// <summary>Lets Microsoft.Extensions.Configuration.Binder convert unit strings to quantity structs.</summary>
public sealed class QuantityConverter<T> : TypeConverter
    where T : struct, IQuantity<T>
{
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType)
    {
        return sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);
    }

    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value)
    {
        return value is string s ? T.Parse(s) : base.ConvertFrom(context, culture, value);
    }

    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType)
    {
        return destinationType == typeof(string) || base.CanConvertTo(context, destinationType);
    }

    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType)
    {
        return destinationType == typeof(string) && value is T q ? q.ToString() : base.ConvertTo(context, culture, value, destinationType);
    }
}

/// <summary>A clock frequency in whole hertz, e.g. "900MHz".</summary>
[TypeConverter(typeof(QuantityConverter<Frequency>))]
public readonly record struct Frequency(ulong Hertz) : IQuantity<Frequency>
{
    public static string UnitDescription => "frequency (" + Units.FrequencyUnits.UnitList + ")";

    public static Frequency Parse(string text)
    {
        return new Frequency(Units.Parse(text, Units.FrequencyUnits));
    }

    public override string ToString()
    {
        return Units.Format(Hertz, Units.FrequencyUnits);
    }
}

/// <summary>A time span in whole picoseconds, e.g. "30ns".</summary>
[TypeConverter(typeof(QuantityConverter<Duration>))]
public readonly record struct Duration(ulong Picoseconds) : IQuantity<Duration>
{
    public static string UnitDescription => "duration (" + Units.DurationUnits.UnitList + ")";

    public static Duration Parse(string text)
    {
        return new Duration(Units.Parse(text, Units.DurationUnits));
    }

    public override string ToString()
    {
        return Units.Format(Picoseconds, Units.DurationUnits);
    }
}

/// <summary>A memory size in whole bytes, e.g. "1.8MB" (1,800,000 B) or "2MiB" (2,097,152 B).</summary>
[TypeConverter(typeof(QuantityConverter<ByteSize>))]
public readonly record struct ByteSize(ulong Bytes) : IQuantity<ByteSize>
{
    public static string UnitDescription => "byte size (" + Units.ByteSizeUnits.UnitList + ")";

    public static ByteSize Parse(string text)
    {
        return new ByteSize(Units.Parse(text, Units.ByteSizeUnits));
    }

    public override string ToString()
    {
        return Units.Format(Bytes, Units.ByteSizeUnits);
    }
}

/// <summary>A data rate in whole bytes per second, e.g. "82GB/s".</summary>
[TypeConverter(typeof(QuantityConverter<Bandwidth>))]
public readonly record struct Bandwidth(ulong BytesPerSecond) : IQuantity<Bandwidth>
{
    public static string UnitDescription => "bandwidth (" + Units.BandwidthUnits.UnitList + ")";

    public static Bandwidth Parse(string text)
    {
        return new Bandwidth(Units.Parse(text, Units.BandwidthUnits));
    }

    public override string ToString()
    {
        return Units.Format(BytesPerSecond, Units.BandwidthUnits);
    }
}

/// <summary>A signalling rate in whole transfers per second, e.g. "8GT/s" for a PCIe 3.0 lane.</summary>
[TypeConverter(typeof(QuantityConverter<TransferRate>))]
public readonly record struct TransferRate(ulong TransfersPerSecond) : IQuantity<TransferRate>
{
    public static string UnitDescription => "transfer rate (" + Units.TransferRateUnits.UnitList + ")";

    public static TransferRate Parse(string text)
    {
        return new TransferRate(Units.Parse(text, Units.TransferRateUnits));
    }

    public override string ToString()
    {
        return Units.Format(TransfersPerSecond, Units.TransferRateUnits);
    }
}

/// <summary>A power in whole milliwatts, e.g. "70W".</summary>
[TypeConverter(typeof(QuantityConverter<Power>))]
public readonly record struct Power(ulong Milliwatts) : IQuantity<Power>
{
    public static string UnitDescription => "power (" + Units.PowerUnits.UnitList + ")";

    public static Power Parse(string text)
    {
        return new Power(Units.Parse(text, Units.PowerUnits));
    }

    public override string ToString()
    {
        return Units.Format(Milliwatts, Units.PowerUnits);
    }
}

/// <summary>An exact ratio, written "128/130" or as a decimal "0.985" (stored as 985/1000).</summary>
[TypeConverter(typeof(QuantityConverter<Ratio>))]
public readonly record struct Ratio(ulong Numerator, ulong Denominator) : IQuantity<Ratio>
{
    public static string UnitDescription => "ratio (\"a/b\" or a decimal)";

    /// <summary>The ratio as a double; only for reporting, never for time arithmetic.</summary>
    public double Value => Denominator == 0 ? double.NaN : (double)Numerator / Denominator;

    public static Ratio Parse(string text)
    {
        const string Expected = "expected a ratio such as \"128/130\" or \"0.985\"";
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("empty value: " + Expected);
        }

        string s = text.Trim();
        int slash = s.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!ulong.TryParse(s[..slash].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) ||
                !ulong.TryParse(s[(slash + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out ulong d))
            {
                throw new FormatException($"\"{text}\" is not a ratio: " + Expected);
            }

            if (d == 0)
            {
                throw new FormatException($"\"{text}\" has a zero denominator: " + Expected);
            }

            return new Ratio(n, d);
        }

        if (!decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
        {
            throw new FormatException($"\"{text}\" is not a ratio: " + Expected);
        }

        ulong denominator = 1;
        while (value != decimal.Truncate(value))
        {
            if (denominator > 1_000_000_000_000_000)
            {
                throw new FormatException($"\"{text}\" has too many decimals: " + Expected);
            }

            value *= 10;
            denominator *= 10;
        }

        return new Ratio((ulong)value, denominator);
    }

    public override string ToString()
    {
        return Numerator.ToString(CultureInfo.InvariantCulture) + "/" + Denominator.ToString(CultureInfo.InvariantCulture);
    }
}
