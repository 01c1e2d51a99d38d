using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Antoum.Sim.Config;

/// <summary>Where a value came from. Labels: assumed, stated, derived, calibration (from files), unlabelled (a plain
/// value in a file), override (--set) and default (no file sets it).</summary>
public static class ProvenanceLabels
{
    public const string Assumed = "assumed";
    public const string Stated = "stated";
    public const string Derived = "derived";
    public const string Calibration = "calibration";
    public const string Unlabelled = "unlabelled";
    public const string Override = "override";
    public const string Default = "default";

    /// <summary>The labels a file may put beside <c>"value"</c>.</summary>
    public static IReadOnlyList<string> FileLabels { get; } = [Assumed, Stated, Derived, Calibration];
}

/// <summary>One resolved leaf: dotted path, canonical value, provenance label and text, and the file it came from
/// ("" for defaults, "--set" for overrides).</summary>
public sealed record ConfigEntry(string Path, string Value, string Label, string Text, string File);

/// <summary>A loaded, bound and validated configuration with the provenance of every leaf.</summary>
public sealed class ResolvedConfig
{
    internal ResolvedConfig(string source, SimConfig config, IReadOnlyList<ConfigEntry> entries, IReadOnlyList<string> files)
    {
        Source = source;
        Config = config;
        Entries = entries;
        Files = files;
        Hash = ComputeHash(entries);
    }

    /// <summary>What was asked for: a SKU name or a path, as given.</summary>
    public string Source { get; }

    /// <summary>The bound, validated record tree.</summary>
    public SimConfig Config { get; }

    /// <summary>Every leaf of the record tree, in declaration order.</summary>
    public IReadOnlyList<ConfigEntry> Entries { get; }

    /// <summary>SHA-256 (lower-case hex) of the "path=value\n" lines sorted by ordinal path.</summary>
    public string Hash { get; }

    /// <summary>Files read, as given or relative to the configs folder (never an absolute host path we made up).</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>Finds an entry by dotted path (case-insensitive); null when there is none.</summary>
    public ConfigEntry? Find(string path)
    {
        return Entries.FirstOrDefault(e => string.Equals(e.Path, path, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The canonical "path=value" lines the hash is computed from.</summary>
    public string CanonicalText()
    {
        var sb = new StringBuilder();
        foreach (ConfigEntry e in Entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            sb.Append(e.Path).Append('=').Append(e.Value).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>The resolved tree for <c>antoum config show</c>: one line per value, indented by section, with
    /// its provenance, e.g. <c>clock = 900MHz   [assumed: fits 943.6 TOPS ...]</c>.</summary>
    public string FormatTree()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"# config {Source}: {string.Join(", ", Files)}\n");
        sb.Append(CultureInfo.InvariantCulture, $"# hash {Hash}\n");
        Dictionary<string, ConfigEntry> byPath = Entries.ToDictionary(e => e.Path, StringComparer.Ordinal);
        AppendSection(sb, ConfigSchema.Root, byPath);
        return sb.ToString();
    }

    private static void AppendSection(StringBuilder sb, SchemaNode section, Dictionary<string, ConfigEntry> byPath)
    {
        string indent = new(' ', 2 * section.Depth);
        List<SchemaNode> leaves = section.Children.Where(c => c.IsLeaf).ToList();
        int nameWidth = leaves.Count == 0 ? 0 : leaves.Max(l => l.Name.Length);
        int valueWidth = leaves.Count == 0 ? 0 : leaves.Max(l => byPath[l.Path].Value.Length);
        foreach (SchemaNode child in section.Children)
        {
            if (child.IsLeaf)
            {
                ConfigEntry e = byPath[child.Path];
                string label = e.Text.Length == 0 ? e.Label : e.Label + ": " + e.Text;
                sb.Append(indent).Append(child.Name.PadRight(nameWidth)).Append(" = ").Append(e.Value.PadRight(valueWidth))
                    .Append("   [").Append(label).Append("]\n");
            }
        }

        foreach (SchemaNode child in section.Children)
        {
            if (child.IsSection)
            {
                sb.Append(indent).Append(child.Name).Append('\n');
                AppendSection(sb, child, byPath);
            }
        }
    }

    private static string ComputeHash(IReadOnlyList<ConfigEntry> entries)
    {
        var sb = new StringBuilder();
        foreach (ConfigEntry e in entries.OrderBy(e => e.Path, StringComparer.Ordinal))
        {
            sb.Append(e.Path).Append('=').Append(e.Value).Append('\n');
        }

        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
        return Convert.ToHexStringLower(hash);
    }
}
