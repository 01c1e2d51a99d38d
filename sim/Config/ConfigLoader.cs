using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Antoum.Sim.Config;

/// <summary>
/// Loads a SKU configuration: reads the JSON file (and the files it includes), strips the inline provenance objects,
/// applies <c>--set</c> overrides, rejects unknown keys, binds the record tree with
/// Microsoft.Extensions.Configuration.Binder and validates it. Every user error is a <see cref="ConfigException"/>
/// naming the file and the dotted key.
/// </summary>
/// <remarks>
/// File format: a JSON object whose keys follow the record tree (camelCase, matched case-insensitively). A leaf is
/// either a plain value or <c>{ "value": "900MHz", "assumed": "why" }</c> with exactly one label of
/// <see cref="ProvenanceLabels.FileLabels"/>. A top-level <c>"include": "antoum.json"</c> (or a list of names) reads
/// those files first, relative to the including file; the including file's values win.
/// </remarks>
public static partial class ConfigLoader
{
    /// <summary>Environment variable that overrides the folder SKU names are looked up in.</summary>
    public const string ConfigsDirEnvVar = "ANTOUM_CONFIGS";

    private const string IncludeKey = "include";
    private const string ValueKey = "value";
    private const string SetFile = "--set";

    /// <summary>The folder SKU names are looked up in: <c>$ANTOUM_CONFIGS</c> when set, else <c>configs/</c> beside
    /// the program (<see cref="AppContext.BaseDirectory"/>).</summary>
    public static string DefaultConfigsDirectory()
    {
        string? env = Environment.GetEnvironmentVariable(ConfigsDirEnvVar);
        return string.IsNullOrWhiteSpace(env) ? Path.Combine(AppContext.BaseDirectory, "configs") : env;
    }

    /// <summary>SKU names available in the configs folder (every <c>*.json</c> except the shared chip file
    /// <c>antoum.json</c>), upper-case, in natural order: S4, S10, S30.</summary>
    public static IReadOnlyList<string> KnownSkus(string? configsDir = null)
    {
        string dir = configsDir ?? DefaultConfigsDirectory();
        if (!Directory.Exists(dir))
        {
            return [];
        }

        return Directory.GetFiles(dir, "*.json")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(n => !string.Equals(n, "antoum", StringComparison.OrdinalIgnoreCase))
            .Select(n => n.ToUpperInvariant())
            .OrderBy(n => n.Length)
            .ThenBy(n => n, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>
    /// Loads a configuration. <paramref name="skuOrPath"/> is a SKU name (S4, S10, S30; case-insensitive; read from
    /// <c>&lt;configsDir&gt;/&lt;lower-case name&gt;.json</c>) or a path to a JSON file (anything ending in .json or
    /// containing a directory separator). <paramref name="setOverrides"/> are <c>path=value</c> strings from
    /// <c>--set</c>; a path not found from the root is tried under <c>chip.</c>.
    /// </summary>
    /// <exception cref="ConfigException">Any problem with the files, keys, values or overrides.</exception>
    public static ResolvedConfig Load(string skuOrPath, IReadOnlyList<string>? setOverrides = null, string? configsDir = null)
    {
        ArgumentNullException.ThrowIfNull(skuOrPath);
        string fullPath;
        string display;
        if (LooksLikePath(skuOrPath))
        {
            fullPath = Path.GetFullPath(skuOrPath);
            display = skuOrPath;
        }
        else
        {
            string dir = configsDir ?? DefaultConfigsDirectory();
            string fileName = skuOrPath.Trim().ToLowerInvariant() + ".json";
            fullPath = Path.Combine(dir, fileName);
            display = "configs/" + fileName;
            IReadOnlyList<string> known = KnownSkus(dir);
            if (!File.Exists(fullPath) || string.Equals(fileName, "antoum.json", StringComparison.Ordinal))
            {
                string list = known.Count == 0 ? $"none (no SKU files in the configs folder; set {ConfigsDirEnvVar})" : string.Join(", ", known);
                throw new ConfigException(null, string.Empty,
                    $"unknown SKU \"{skuOrPath}\": known SKUs are {list}; or give a path to a .json file");
            }
        }

        var values = new Dictionary<string, LeafValue>(StringComparer.Ordinal);
        var files = new List<string>();
        ReadFile(fullPath, display, null, values, files, []);
        ApplyOverrides(setOverrides ?? [], values);
        SimConfig config = Bind(values);
        try
        {
            config.Validate(string.Empty);
        }
        catch (ConfigException ex) when (ex.File is null)
        {
            throw new ConfigException(FileOf(values, ex.JsonPath), ex.JsonPath, ex.Problem);
        }

        var entries = new List<ConfigEntry>();
        foreach (SchemaNode leaf in ConfigSchema.Leaves)
        {
            string value = ConfigSchema.FormatValue(ConfigSchema.GetValue(config, leaf));
            entries.Add(values.TryGetValue(leaf.Path, out LeafValue? v)
                ? new ConfigEntry(leaf.Path, value, v.Label, v.Text, v.File)
                : new ConfigEntry(leaf.Path, value, ProvenanceLabels.Default, string.Empty, string.Empty));
        }

        return new ResolvedConfig(skuOrPath, config, entries, files);
    }

    private static bool LooksLikePath(string s)
    {
        return s.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ||
            s.Contains('/', StringComparison.Ordinal) || s.Contains('\\', StringComparison.Ordinal);
    }

    private static void ReadFile(string fullPath, string display, string? includedFrom, Dictionary<string, LeafValue> values,
        List<string> files, List<(string Full, string Display)> stack)
    {
        if (stack.Any(s => string.Equals(s.Full, fullPath, StringComparison.Ordinal)))
        {
            throw new ConfigException(includedFrom, IncludeKey, $"include cycle: {string.Join(" -> ", stack.Select(s => s.Display))} -> {display}");
        }

        if (Directory.Exists(fullPath))
        {
            throw new ConfigException(null, string.Empty, $"{display}: is a folder; expected a configuration JSON file{(includedFrom is null ? string.Empty : $" (included from {includedFrom})")}");
        }

        if (!File.Exists(fullPath))
        {
            string from = includedFrom is null ? string.Empty : $" (included from {includedFrom})";
            throw new ConfigException(null, string.Empty, $"file not found: {display}{from}");
        }

        byte[] bytes = File.ReadAllBytes(fullPath);
        CheckJson(bytes, display);
        IEnumerable<KeyValuePair<string, string?>> flat;
        try
        {
            IConfigurationRoot root = new ConfigurationBuilder().AddJsonStream(new MemoryStream(bytes)).Build();
            flat = root.AsEnumerable().Where(kv => kv.Value is not null).ToList();
        }
        catch (FormatException ex)
        {
            throw new ConfigException(display, string.Empty, ex.Message);
        }
        catch (InvalidDataException ex)
        {
            throw new ConfigException(display, string.Empty, ex.Message);
        }

        files.Add(display);
        stack.Add((fullPath, display));

        // Includes first, in the order written, so this file's own values override them.
        var includes = flat.Where(kv => string.Equals(kv.Key.Split(':')[0], IncludeKey, StringComparison.OrdinalIgnoreCase))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToList();
        foreach (KeyValuePair<string, string?> inc in includes)
        {
            string name = inc.Value!;
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ConfigException(display, IncludeKey, "must name a JSON file, e.g. \"antoum.json\"");
            }

            string incFull = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(fullPath)!, name));
            string incDisplay = CombineDisplay(display, name);
            ReadFile(incFull, incDisplay, display, values, files, stack);
        }

        var partial = new Dictionary<string, PartialLeaf>(StringComparer.Ordinal);
        foreach (KeyValuePair<string, string?> kv in flat)
        {
            string[] segments = kv.Key.Split(':');
            if (string.Equals(segments[0], IncludeKey, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            (SchemaNode leaf, string? part) = Resolve(segments, display);
            if (!partial.TryGetValue(leaf.Path, out PartialLeaf? p))
            {
                p = new PartialLeaf();
                partial[leaf.Path] = p;
            }

            if (part is null)
            {
                p.Plain = kv.Value;
            }
            else if (part == ValueKey)
            {
                p.Value = kv.Value;
            }
            else
            {
                p.Labels.Add((part, kv.Value!));
            }
        }

        foreach ((string path, PartialLeaf p) in partial)
        {
            string labels = string.Join(", ", ProvenanceLabels.FileLabels);
            if (p.Plain is not null)
            {
                values[path] = new LeafValue(p.Plain, ProvenanceLabels.Unlabelled, string.Empty, display);
                continue;
            }

            if (p.Value is null)
            {
                throw new ConfigException(display, path, $"has a provenance label but no \"value\"; write {{ \"value\": ..., \"assumed\": \"why\" }}");
            }

            if (p.Labels.Count != 1)
            {
                string problem = p.Labels.Count == 0
                    ? $"missing provenance label: add exactly one of {labels} beside \"value\""
                    : $"has {p.Labels.Count} provenance labels ({string.Join(", ", p.Labels.Select(l => l.Label))}); give exactly one of {labels}";
                throw new ConfigException(display, path, problem);
            }

            values[path] = new LeafValue(p.Value, p.Labels[0].Label, p.Labels[0].Text, display);
        }

        stack.RemoveAt(stack.Count - 1);
    }

    private static string CombineDisplay(string includerDisplay, string name)
    {
        if (Path.IsPathRooted(name))
        {
            return name;
        }

        string dir = Path.GetDirectoryName(includerDisplay) ?? string.Empty;
        string combined = dir.Length == 0 ? name : dir + "/" + name;
        return combined.Replace('\\', '/');
    }

    /// <summary>Maps a flattened key to its leaf and the part of the provenance object (null for a plain value,
    /// "value", or a label).</summary>
    private static (SchemaNode Leaf, string? Part) Resolve(string[] segments, string display)
    {
        SchemaNode node = ConfigSchema.Root;
        int i = 0;
        while (i < segments.Length && node.IsSection)
        {
            SchemaNode? child = node.FindChild(segments[i]);
            if (child is null)
            {
                string path = ConfigChecks.Join(node.Path, segments[i]);
                string where = node.Path.Length == 0 ? "the top level" : node.Path;
                throw new ConfigException(display, path,
                    $"unknown key \"{segments[i]}\"; valid keys at {where}: {node.ChildList()}{NearestHint(segments[i], node.Children.Select(c => c.Name))}");
            }

            node = child;
            i++;
        }

        if (node.IsSection)
        {
            throw new ConfigException(display, node.Path, $"is a section, not a value; its keys are: {node.ChildList()}");
        }

        int rest = segments.Length - i;
        if (rest == 0)
        {
            return (node, null);
        }

        if (rest == 1)
        {
            string part = segments[i];
            if (string.Equals(part, ValueKey, StringComparison.OrdinalIgnoreCase))
            {
                return (node, ValueKey);
            }

            string? label = ProvenanceLabels.FileLabels.FirstOrDefault(l => string.Equals(l, part, StringComparison.OrdinalIgnoreCase));
            if (label is not null)
            {
                return (node, label);
            }
        }

        throw new ConfigException(display, node.Path + "." + string.Join(".", segments[i..]),
            $"unexpected key under the value {node.Path}: a value is written plainly (\"900MHz\") or as " +
            $"{{ \"value\": \"900MHz\", \"assumed\": \"why\" }} with one label of {string.Join(", ", ProvenanceLabels.FileLabels)}");
    }

    /// <summary>A configuration file must be UTF-8 (the JSON reader would fail later, deep inside, with no position).</summary>
    private static void RejectInvalidUtf8(byte[] bytes, string display)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return;
        }

        int line = 1, column = 1, at = 0;
        ReadOnlySpan<byte> rest = bytes;
        while (System.Text.Rune.DecodeFromUtf8(rest, out System.Text.Rune rune, out int used) == System.Buffers.OperationStatus.Done)
        {
            if (rune.Value == '\n')
            {
                line++;
                column = 0;
            }

            column++;
            at += used;
            rest = rest[used..];
        }

        throw new ConfigException(display, string.Empty,
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"not UTF-8 text at line {line}, column {column} (byte {at}): save the file as UTF-8"));
    }

    private static void CheckJson(byte[] bytes, string display)
    {
        RejectInvalidUtf8(bytes, display);
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        try
        {
            using JsonDocument doc = JsonDocument.Parse(bytes, options);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException(display, string.Empty, $"the top level must be a JSON object {{ ... }} (got {doc.RootElement.ValueKind})");
            }

            RejectNulls(doc.RootElement, string.Empty, display);
        }
        catch (JsonException ex)
        {
            long line = (ex.LineNumber ?? 0) + 1;
            long column = (ex.BytePositionInLine ?? 0) + 1;
            string reason = JsonErrorText.Reason(ex);
            throw new ConfigException(display, string.Empty, $"malformed JSON at line {line}, column {column}: {reason}");
        }
    }

    /// <summary>The JSON provider drops nulls silently, which would quietly keep a default; reject them instead.</summary>
    private static void RejectNulls(JsonElement element, string path, string display)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Null:
                throw new ConfigException(display, path, "null is not a value; give a value or remove the key to keep the default");
            case JsonValueKind.Object:
                foreach (JsonProperty p in element.EnumerateObject())
                {
                    RejectNulls(p.Value, ConfigChecks.Join(path, p.Name), display);
                }

                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (JsonElement e in element.EnumerateArray())
                {
                    RejectNulls(e, ConfigChecks.Join(path, i.ToString(System.Globalization.CultureInfo.InvariantCulture)), display);
                    i++;
                }

                break;
            default:
                break;
        }
    }

    private static void ApplyOverrides(IReadOnlyList<string> overrides, Dictionary<string, LeafValue> values)
    {
        foreach (string arg in overrides)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ConfigException(SetFile, string.Empty, $"expected path=value, e.g. --set chip.spu.rows=32 (got \"{arg}\")");
            }

            string path = arg[..eq].Trim();
            string raw = arg[(eq + 1)..].Trim();
            SchemaNode? node = ConfigSchema.Find(path);
            if (node is null && !path.StartsWith("chip.", StringComparison.OrdinalIgnoreCase))
            {
                node = ConfigSchema.Find("chip." + path);
            }

            if (node is null)
            {
                string hint = NearestHint(path, ConfigSchema.Leaves.Select(l => l.Path));
                throw new ConfigException(SetFile, path, $"unknown key{hint}");
            }

            if (node.IsSection)
            {
                throw new ConfigException(SetFile, node.Path, $"is a section, not a value; its keys are: {node.ChildList()}");
            }

            if (!ConfigSchema.TryConvert(node, raw, out _, out string problem))
            {
                throw new ConfigException(SetFile, node.Path, problem);
            }

            values[node.Path] = new LeafValue(raw, ProvenanceLabels.Override, SetFile, SetFile);
        }
    }

    private static SimConfig Bind(Dictionary<string, LeafValue> values)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string path, LeafValue v) in values)
        {
            SchemaNode leaf = ConfigSchema.Find(path)!;
            if (!ConfigSchema.TryConvert(leaf, v.Raw, out _, out string problem))
            {
                throw new ConfigException(v.File, path, problem);
            }

            data[path.Replace('.', ':')] = v.Raw;
        }

        IConfigurationRoot root = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        try
        {
            return root.Get<SimConfig>(o => o.ErrorOnUnknownConfiguration = true) ?? new SimConfig();
        }
        catch (InvalidOperationException ex)
        {
            // Normally unreachable: every value was converted above. Kept so a Binder failure still names the key.
            throw FromBinderError(ex, path => FileOf(values, path));
        }
    }

    /// <summary>Turns the Binder's "Failed to convert configuration value at 'chip:clock' ..." into a
    /// <see cref="ConfigException"/> with the file, the dotted path and the unit problem from the inner exception.</summary>
    internal static ConfigException FromBinderError(InvalidOperationException ex, Func<string, string?> fileOf)
    {
        Match m = BinderPathRegex().Match(ex.Message);
        string path = m.Success ? m.Groups[1].Value.Replace(':', '.') : string.Empty;
        path = ConfigSchema.Find(path)?.Path ?? path;
        return new ConfigException(fileOf(path), path, ex.InnerException?.Message ?? ex.Message);
    }

    private static string? FileOf(Dictionary<string, LeafValue> values, string path)
    {
        foreach ((string p, LeafValue v) in values)
        {
            if (string.Equals(p, path, StringComparison.OrdinalIgnoreCase))
            {
                return v.File;
            }
        }

        return null;
    }

    private static string NearestHint(string key, IEnumerable<string> candidates)
    {
        string[] nearest = candidates
            .Select(c => (Key: c, Distance: Distance(key.ToUpperInvariant(), c.ToUpperInvariant())))
            .OrderBy(c => c.Distance)
            .ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(3)
            .Select(c => c.Key)
            .ToArray();
        return nearest.Length == 0 ? string.Empty : $" (nearest: {string.Join(", ", nearest)})";
    }

    /// <summary>Levenshtein distance, with a suffix match counted as close (so "rows" finds "chip.spu.rows").</summary>
    private static int Distance(string a, string b)
    {
        if (b.EndsWith("." + a, StringComparison.Ordinal))
        {
            return 0;
        }

        const string ChipPrefix = "CHIP.";
        if (b.StartsWith(ChipPrefix, StringComparison.Ordinal) && !a.StartsWith(ChipPrefix, StringComparison.Ordinal))
        {
            return Math.Min(Levenshtein(a, b), Levenshtein(a, b[ChipPrefix.Length..]));
        }

        return Levenshtein(a, b);
    }

    private static int Levenshtein(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
            }
        }

        return d[a.Length, b.Length];
    }

    [GeneratedRegex("at '([^']+)'")]
    private static partial Regex BinderPathRegex();

    private sealed record LeafValue(string? Raw, string Label, string Text, string File);

    private sealed class PartialLeaf
    {
        public string? Plain { get; set; }

        public string? Value { get; set; }

        public List<(string Label, string Text)> Labels { get; } = [];
    }
}
