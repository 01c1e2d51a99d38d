using System.Globalization;

namespace Antoum.Sim.Config;

/// <summary>Small validation helpers shared by the config records' <c>Validate</c> methods.</summary>
internal static class ConfigChecks
{
    /// <summary>Joins a parent path and a key into a dotted path ("" + "seed" = "seed").</summary>
    public static string Join(string path, string key)
    {
        return path.Length == 0 ? key : path + "." + key;
    }

    public static void InRange(long value, long min, long max, string path)
    {
        if (value < min || value > max)
        {
            string expected = min == 1 && max == int.MaxValue ? "must be > 0" : $"must be in [{min}, {max}]";
            throw new ConfigException(path, $"{expected} (got {value.ToString(CultureInfo.InvariantCulture)})");
        }
    }

    public static void Positive(ulong value, string shown, string path)
    {
        if (value == 0)
        {
            throw new ConfigException(path, $"must be > 0 (got {shown})");
        }
    }

    public static void OneOf(string value, string path, params string[] allowed)
    {
        if (!allowed.Contains(value, StringComparer.Ordinal))
        {
            throw new ConfigException(path, $"must be one of {string.Join(", ", allowed)} (got \"{value}\")");
        }
    }

    public static void NotEmpty(string value, string path)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ConfigException(path, "must not be empty");
        }
    }
}
