using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Antoum.Sim.Config;

namespace Antoum.Sim.Sweep;

/// <summary>One point of a sweep: its canonical index, workload, SKU, batch, partition mode and parameter values
/// (in the spec's parameter order; one value per parameter name).</summary>
public sealed record SweepPoint(int Index, string Workload, string Sku, int Batch, string? Mode, IReadOnlyList<string> Values);

/// <summary>
/// A sweep: the points to run, expanded in canonical order from a grid, an explicit list or seeded sampling, over
/// one or more workloads, SKUs, batches and modes. Built from a JSON file (<see cref="Load"/>) or from the command
/// line (<see cref="FromCommandLine"/>). The spec hash covers everything that decides the points and their results,
/// so a journal written for one spec is never resumed with another.
/// </summary>
/// <remarks>
/// Canonical order: workloads (outermost), then SKUs, batches, modes, then the points of the parameter space (for a
/// grid, the last parameter varies fastest). Parameter names are configuration keys as for <c>--set</c> (the
/// <c>chip.</c> prefix may be left out) and three sweep parameters: <c>spu.array</c> (RxC: sets spu.rows and
/// spu.cols), <c>workload.sparsity</c> (weight sparsity of the network's sparse layers, "87.5%" or a ratio "8x")
/// and <c>workload.format</c> (dense, nofm, bitmap, csr, blockcsr).
/// </remarks>
public sealed class SweepSpec
{
    /// <summary>Format tag of spec files and of the canonical spec written beside the results.</summary>
    public const string Format = "antoumsim.sweep-spec/1";

    /// <summary>The default area weight: SRAM bytes with the area of one INT8 MAC (assumed; docs/sweeps.md).</summary>
    public const double DefaultSramBytesPerMac = 32;

    private static readonly string[] s_specKeys = ["format", "name", "description", "method", "workloads", "skus", "batch", "modes", "set", "grid", "points", "sample", "areaProxy", "maxEvents"];

    public required string Name { get; init; }

    public string Description { get; init; } = string.Empty;

    public required IReadOnlyList<string> Workloads { get; init; }

    public required IReadOnlyList<string> Skus { get; init; }

    public required IReadOnlyList<int> Batches { get; init; }

    /// <summary>Partition modes; a null entry means the compiler's choice.</summary>
    public required IReadOnlyList<string?> Modes { get; init; }

    /// <summary>Overrides applied to every point before the point's own values (path, value).</summary>
    public required IReadOnlyList<KeyValuePair<string, string>> Fixed { get; init; }

    /// <summary>The swept parameter names, in column order.</summary>
    public required IReadOnlyList<string> Parameters { get; init; }

    /// <summary>The parameter-space points (one value per parameter), before crossing with workloads, SKUs, batches and modes.</summary>
    public required IReadOnlyList<IReadOnlyList<string>> Space { get; init; }

    /// <summary>How the space was made: grid, points, random or latinHypercube (with seed).</summary>
    public required string Method { get; init; }

    /// <summary>SRAM bytes that count as much area as one MAC unit in the area proxy.</summary>
    public double SramBytesPerMac { get; init; } = DefaultSramBytesPerMac;

    /// <summary>Per-point event limit (a runaway point is recorded as infeasible); 0 = no limit.</summary>
    public ulong MaxEvents { get; init; }

    private IReadOnlyList<SweepPoint>? _points;
    private string? _hash;

    /// <summary>Every point in canonical order.</summary>
    public IReadOnlyList<SweepPoint> Points => _points ??= Expand();

    /// <summary>SHA-256 (hex) of <see cref="CanonicalJson"/>.</summary>
    public string Hash => _hash ??= Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(CanonicalJson())));

    private List<SweepPoint> Expand()
    {
        var list = new List<SweepPoint>();
        foreach (string w in Workloads)
        {
            foreach (string s in Skus)
            {
                foreach (int b in Batches)
                {
                    foreach (string? m in Modes)
                    {
                        foreach (IReadOnlyList<string> values in Space)
                        {
                            list.Add(new SweepPoint(list.Count, w, s, b, m, values));
                        }
                    }
                }
            }
        }

        return list;
    }

    /// <summary>The spec as an explicit point list (the form whose hash identifies the sweep), with name and description.</summary>
    public string CanonicalJson()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", Format);
            w.WriteString("name", Name);
            w.WriteString("description", Description);
            w.WriteString("method", Method);
            WriteStrings(w, "workloads", Workloads);
            WriteStrings(w, "skus", Skus);
            w.WriteStartArray("batch");
            foreach (int b in Batches)
            {
                w.WriteNumberValue(b);
            }

            w.WriteEndArray();
            w.WriteStartArray("modes");
            foreach (string? m in Modes)
            {
                if (m is null)
                {
                    w.WriteNullValue();
                }
                else
                {
                    w.WriteStringValue(m);
                }
            }

            w.WriteEndArray();
            w.WriteStartObject("set");
            foreach (KeyValuePair<string, string> kv in Fixed)
            {
                w.WriteString(kv.Key, kv.Value);
            }

            w.WriteEndObject();
            w.WriteStartObject("areaProxy");
            w.WriteNumber("sramBytesPerMac", SramBytesPerMac);
            w.WriteEndObject();
            w.WriteNumber("maxEvents", MaxEvents);
            w.WriteStartArray("points");
            foreach (IReadOnlyList<string> values in Space)
            {
                w.WriteStartObject();
                for (int i = 0; i < Parameters.Count; i++)
                {
                    w.WriteString(Parameters[i], values[i]);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values)
        {
            w.WriteStringValue(v);
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// A grid from the command line: each <c>--set key=v1,v2,...</c> is one grid dimension (a single value is a fixed
    /// override), <c>--workload</c>/<c>--sku</c>/<c>--batch</c>/<c>--mode</c> take comma-separated lists.
    /// </summary>
    public static SweepSpec FromCommandLine(IReadOnlyList<string> sets, string workloads, string skus, string batches, string? modes)
    {
        var fixedSets = new List<KeyValuePair<string, string>>();
        var parameters = new List<string>();
        var valueLists = new List<IReadOnlyList<string>>();
        foreach (string arg in sets)
        {
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == arg.Length - 1)
            {
                throw new UserInputException($"--set: expected key=value or key=v1,v2,... (got \"{arg}\")");
            }

            string key = arg[..eq].Trim();
            string[] values = SplitList(arg[(eq + 1)..], "--set " + key);
            CheckKey(key, "--set " + key);
            if (parameters.Contains(key, StringComparer.OrdinalIgnoreCase) || fixedSets.Any(f => string.Equals(f.Key, key, StringComparison.OrdinalIgnoreCase)))
            {
                throw new UserInputException($"--set {key}: given twice");
            }

            if (values.Length == 1)
            {
                fixedSets.Add(new(key, values[0]));
            }
            else
            {
                parameters.Add(key);
                valueLists.Add(values);
            }
        }

        var batchList = new List<int>();
        foreach (string b in SplitList(batches, "--batch"))
        {
            batchList.Add(ParseBatch(b, "--batch"));
        }

        return new SweepSpec
        {
            Name = "command-line",
            Workloads = SplitList(workloads, "--workload"),
            Skus = SplitList(skus, "--sku"),
            Batches = batchList,
            Modes = modes is null ? new string?[] { null } : SplitList(modes, "--mode"),
            Fixed = fixedSets,
            Parameters = parameters,
            Space = Grid(valueLists),
            Method = "grid",
        };
    }

    private static string[] SplitList(string text, string what)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
        {
            throw new UserInputException($"{what}: empty value in the list \"{text}\"");
        }

        return parts;
    }

    private static int ParseBatch(string text, string where)
    {
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int b) || b <= 0)
        {
            throw new UserInputException($"{where}: expected a positive number of samples, got \"{text}\"");
        }

        return b;
    }

    /// <summary>The cross product of value lists, last list varying fastest (one empty point when there are no lists).</summary>
    public static List<IReadOnlyList<string>> Grid(IReadOnlyList<IReadOnlyList<string>> lists)
    {
        var result = new List<IReadOnlyList<string>> { Array.Empty<string>() };
        foreach (IReadOnlyList<string> values in lists)
        {
            var next = new List<IReadOnlyList<string>>(result.Count * values.Count);
            foreach (IReadOnlyList<string> prefix in result)
            {
                foreach (string v in values)
                {
                    var p = new string[prefix.Count + 1];
                    for (int i = 0; i < prefix.Count; i++)
                    {
                        p[i] = prefix[i];
                    }

                    p[^1] = v;
                    next.Add(p);
                }
            }

            result = next;
        }

        return result;
    }

    /// <summary>Throws when <paramref name="key"/> is neither a configuration key nor a sweep parameter.</summary>
    public static void CheckKey(string key, string where)
    {
        if (SweepParameters.IsSweepParameter(key))
        {
            return;
        }

        SchemaNode? node = ConfigSchema.Find(key);
        if (node is null && !key.StartsWith("chip.", StringComparison.OrdinalIgnoreCase))
        {
            node = ConfigSchema.Find("chip." + key);
        }

        if (node is null || !node.IsLeaf)
        {
            throw new UserInputException($"{where}: \"{key}\" is not a configuration value (see 'antoum config show') nor a sweep parameter ({string.Join(", ", SweepParameters.Names)})");
        }
    }

    /// <summary>Reads a spec file; every problem names the file and the JSON path.</summary>
    public static SweepSpec Load(string path)
    {
        if (Directory.Exists(path))
        {
            throw new UserInputException($"{path}: is a folder; expected a sweep spec JSON file");
        }

        if (!File.Exists(path))
        {
            throw new UserInputException($"{path}: sweep spec not found");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses spec JSON text; <paramref name="file"/> names it in errors.</summary>
    public static SweepSpec Parse(string json, string file)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new UserInputException($"{file}: line {(e.LineNumber ?? 0) + 1}, column {(e.BytePositionInLine ?? 0) + 1}: malformed JSON: {JsonErrorText.Reason(e)}");
        }

        using (doc)
        {
            return new SpecReader(file).Read(doc.RootElement);
        }
    }

    private sealed class SpecReader(string file)
    {
        private UserInputException Error(string path, string problem) => new($"{file}: {path}: {problem}");

        public SweepSpec Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw Error("$", "expected a JSON object (the sweep spec)");
            }

            foreach (JsonProperty p in root.EnumerateObject())
            {
                if (!s_specKeys.Contains(p.Name, StringComparer.Ordinal))
                {
                    throw Error("$." + p.Name, $"unknown key; expected one of {string.Join(", ", s_specKeys)}");
                }
            }

            if (root.TryGetProperty("format", out JsonElement fmt) && (fmt.ValueKind != JsonValueKind.String || fmt.GetString() != Format))
            {
                throw Error("$.format", $"expected \"{Format}\"");
            }

            string name = root.TryGetProperty("name", out JsonElement n) ? String(n, "$.name") : Path.GetFileNameWithoutExtension(file);
            string description = root.TryGetProperty("description", out JsonElement d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : string.Empty;
            IReadOnlyList<string> workloads = root.TryGetProperty("workloads", out JsonElement wl) ? Strings(wl, "$.workloads") : throw Error("$", "missing \"workloads\" (a list of network names or workload files)");
            IReadOnlyList<string> skus = root.TryGetProperty("skus", out JsonElement sk) ? Strings(sk, "$.skus") : ["S4"];
            var batches = new List<int>();
            if (root.TryGetProperty("batch", out JsonElement bt))
            {
                JsonElement[] items = bt.ValueKind == JsonValueKind.Array ? [.. bt.EnumerateArray()] : [bt];
                for (int i = 0; i < items.Length; i++)
                {
                    string where = bt.ValueKind == JsonValueKind.Array ? $"$.batch[{i}]" : "$.batch";
                    if (items[i].ValueKind != JsonValueKind.Number || !items[i].TryGetInt32(out int b) || b <= 0)
                    {
                        throw Error(where, "expected a positive whole number of samples");
                    }

                    batches.Add(b);
                }

                if (batches.Count == 0)
                {
                    throw Error("$.batch", "expected at least one batch size");
                }
            }
            else
            {
                batches.Add(1);
            }

            IReadOnlyList<string?> modes = root.TryGetProperty("modes", out JsonElement md) ? Modes(md) : [null];
            for (int i = 0; i < modes.Count; i++)
            {
                if (modes[i] is null)
                {
                    continue;
                }

                try
                {
                    Antoum.Firmware.Compiler.Compiler.ParseMode(modes[i]!);
                }
                catch (Exception e) when (e is ArgumentException or FormatException or UserInputException or Antoum.Firmware.Compiler.CompileException)
                {
                    throw Error($"$.modes[{i}]", "expected perCluster, split or broadcast");
                }
            }

            var fixedSets = new List<KeyValuePair<string, string>>();
            if (root.TryGetProperty("set", out JsonElement set))
            {
                if (set.ValueKind != JsonValueKind.Object)
                {
                    throw Error("$.set", "expected an object of key: value overrides applied to every point");
                }

                foreach (JsonProperty p in set.EnumerateObject())
                {
                    Key(p.Name, "$.set");
                    fixedSets.Add(new(p.Name, Scalar(p.Value, "$.set." + p.Name)));
                }
            }

            double sramBytesPerMac = DefaultSramBytesPerMac;
            if (root.TryGetProperty("areaProxy", out JsonElement ap))
            {
                if (ap.ValueKind != JsonValueKind.Object || !ap.TryGetProperty("sramBytesPerMac", out JsonElement sb) || sb.ValueKind != JsonValueKind.Number || !(sb.GetDouble() > 0))
                {
                    throw Error("$.areaProxy", "expected { \"sramBytesPerMac\": a positive number }");
                }

                sramBytesPerMac = sb.GetDouble();
            }

            ulong maxEvents = 0;
            if (root.TryGetProperty("maxEvents", out JsonElement me) && (me.ValueKind != JsonValueKind.Number || !me.TryGetUInt64(out maxEvents)))
            {
                throw Error("$.maxEvents", "expected a whole number of events (0 = no limit)");
            }

            int kinds = (root.TryGetProperty("grid", out _) ? 1 : 0) + (root.TryGetProperty("points", out _) ? 1 : 0) + (root.TryGetProperty("sample", out _) ? 1 : 0);
            if (kinds > 1)
            {
                throw Error("$", "give one of \"grid\", \"points\" or \"sample\", not several");
            }

            var parameters = new List<string>();
            List<IReadOnlyList<string>> space;
            string method;
            if (root.TryGetProperty("grid", out JsonElement grid))
            {
                (parameters, space) = ReadGrid(grid);
                method = "grid";
            }
            else if (root.TryGetProperty("points", out JsonElement pts))
            {
                (parameters, space) = ReadPoints(pts);
                // A canonical spec (spec.json beside the results) lists its points and names how they were made.
                method = root.TryGetProperty("method", out JsonElement mt) ? String(mt, "$.method") : "points";
            }
            else if (root.TryGetProperty("sample", out JsonElement sample))
            {
                (parameters, space, method) = ReadSample(sample);
            }
            else
            {
                space = [Array.Empty<string>()];
                method = "grid";
            }

            foreach (string p in parameters)
            {
                if (fixedSets.Any(f => string.Equals(f.Key, p, StringComparison.OrdinalIgnoreCase)))
                {
                    throw Error("$.set." + p, "is also a swept parameter; remove it from \"set\"");
                }
            }

            return new SweepSpec
            {
                Name = name,
                Description = description,
                Workloads = workloads,
                Skus = skus,
                Batches = batches,
                Modes = modes,
                Fixed = fixedSets,
                Parameters = parameters,
                Space = space,
                Method = method,
                SramBytesPerMac = sramBytesPerMac,
                MaxEvents = maxEvents,
            };
        }

        private (List<string>, List<IReadOnlyList<string>>) ReadGrid(JsonElement grid)
        {
            if (grid.ValueKind != JsonValueKind.Object)
            {
                throw Error("$.grid", "expected an object of parameter: [values]");
            }

            var names = new List<string>();
            var lists = new List<IReadOnlyList<string>>();
            foreach (JsonProperty p in grid.EnumerateObject())
            {
                string where = "$.grid." + p.Name;
                Key(p.Name, "$.grid");
                names.Add(p.Name);
                lists.Add(p.Value.ValueKind == JsonValueKind.Array ? Values(p.Value, where) : [Scalar(p.Value, where)]);
            }

            return (names, Grid(lists));
        }

        private (List<string>, List<IReadOnlyList<string>>) ReadPoints(JsonElement pts)
        {
            if (pts.ValueKind != JsonValueKind.Array || pts.GetArrayLength() == 0)
            {
                throw Error("$.points", "expected a non-empty list of { parameter: value } objects");
            }

            var names = new List<string>();
            int i = 0;
            foreach (JsonElement pt in pts.EnumerateArray())
            {
                if (pt.ValueKind != JsonValueKind.Object)
                {
                    throw Error($"$.points[{i}]", "expected an object of parameter: value");
                }

                foreach (JsonProperty p in pt.EnumerateObject())
                {
                    if (!names.Contains(p.Name, StringComparer.Ordinal))
                    {
                        Key(p.Name, $"$.points[{i}]");
                        names.Add(p.Name);
                    }
                }

                i++;
            }

            var space = new List<IReadOnlyList<string>>();
            i = 0;
            foreach (JsonElement pt in pts.EnumerateArray())
            {
                var values = new string[names.Count];
                for (int k = 0; k < names.Count; k++)
                {
                    values[k] = pt.TryGetProperty(names[k], out JsonElement v)
                        ? Scalar(v, $"$.points[{i}].{names[k]}")
                        : throw Error($"$.points[{i}]", $"missing \"{names[k]}\" (every point must give every parameter)");
                }

                space.Add(values);
                i++;
            }

            return (names, space);
        }

        private (List<string>, List<IReadOnlyList<string>>, string) ReadSample(JsonElement sample)
        {
            if (sample.ValueKind != JsonValueKind.Object)
            {
                throw Error("$.sample", "expected { \"method\": \"random\" | \"latinHypercube\", \"seed\": N, \"count\": N, \"parameters\": {...} }");
            }

            string method = sample.TryGetProperty("method", out JsonElement m) ? String(m, "$.sample.method") : "random";
            if (method is not ("random" or "latinHypercube"))
            {
                throw Error("$.sample.method", $"expected \"random\" or \"latinHypercube\", got \"{method}\"");
            }

            if (!sample.TryGetProperty("seed", out JsonElement s) || s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out int seed))
            {
                throw Error("$.sample.seed", "expected a whole-number seed (sampling is reproducible from it)");
            }

            if (!sample.TryGetProperty("count", out JsonElement c) || c.ValueKind != JsonValueKind.Number || !c.TryGetInt32(out int count) || count <= 0 || count > 1_000_000)
            {
                throw Error("$.sample.count", "expected a number of points between 1 and 1000000");
            }

            if (!sample.TryGetProperty("parameters", out JsonElement ps) || ps.ValueKind != JsonValueKind.Object)
            {
                throw Error("$.sample.parameters", "expected an object of parameter: { \"values\": [...] } or { \"min\": a, \"max\": b, \"unit\": \"GB/s\", \"step\": s }");
            }

            var names = new List<string>();
            var dims = new List<SampleDimension>();
            foreach (JsonProperty p in ps.EnumerateObject())
            {
                string where = "$.sample.parameters." + p.Name;
                Key(p.Name, "$.sample.parameters");
                names.Add(p.Name);
                dims.Add(ReadDimension(p.Value, where));
            }

            var rng = new Random(seed);
            var space = new List<IReadOnlyList<string>>(count);
            int[][] strata = new int[dims.Count][];
            if (method == "latinHypercube")
            {
                for (int d = 0; d < dims.Count; d++)
                {
                    strata[d] = new int[count];
                    for (int i = 0; i < count; i++)
                    {
                        strata[d][i] = i;
                    }

                    // Fisher–Yates with the seeded generator: each dimension gets its own permutation of the strata.
                    for (int i = count - 1; i > 0; i--)
                    {
                        int j = rng.Next(i + 1);
                        (strata[d][i], strata[d][j]) = (strata[d][j], strata[d][i]);
                    }
                }
            }

            for (int i = 0; i < count; i++)
            {
                var values = new string[dims.Count];
                for (int d = 0; d < dims.Count; d++)
                {
                    double u = method == "latinHypercube" ? (strata[d][i] + rng.NextDouble()) / count : rng.NextDouble();
                    values[d] = dims[d].At(u);
                }

                space.Add(values);
            }

            return (names, space, string.Create(CultureInfo.InvariantCulture, $"{method} seed {seed}"));
        }

        private SampleDimension ReadDimension(JsonElement e, string where)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw Error(where, "expected { \"values\": [...] } or { \"min\": a, \"max\": b, \"unit\": \"...\", \"step\": s }");
            }

            if (e.TryGetProperty("values", out JsonElement values))
            {
                return new SampleDimension(Values(values, where + ".values"), 0, 0, string.Empty, 0);
            }

            if (!e.TryGetProperty("min", out JsonElement min) || min.ValueKind != JsonValueKind.Number ||
                !e.TryGetProperty("max", out JsonElement max) || max.ValueKind != JsonValueKind.Number || max.GetDouble() < min.GetDouble())
            {
                throw Error(where, "expected numbers \"min\" <= \"max\" (and optional \"unit\" and \"step\")");
            }

            string unit = e.TryGetProperty("unit", out JsonElement un) ? String(un, where + ".unit") : string.Empty;
            double step = 0;
            if (e.TryGetProperty("step", out JsonElement st) && (st.ValueKind != JsonValueKind.Number || !((step = st.GetDouble()) > 0)))
            {
                throw Error(where + ".step", "expected a positive number");
            }

            return new SampleDimension(null, min.GetDouble(), max.GetDouble(), unit, step);
        }

        private void Key(string key, string where)
        {
            try
            {
                CheckKey(key, where + "." + key);
            }
            catch (UserInputException e)
            {
                throw new UserInputException($"{file}: {e.Message}");
            }
        }

        private string String(JsonElement e, string where) =>
            e.ValueKind == JsonValueKind.String && e.GetString()!.Length > 0 ? e.GetString()! : throw Error(where, "expected a non-empty string");

        private string[] Strings(JsonElement e, string where)
        {
            if (e.ValueKind == JsonValueKind.String)
            {
                return [String(e, where)];
            }

            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0)
            {
                throw Error(where, "expected a non-empty list of strings");
            }

            var list = new List<string>();
            int i = 0;
            foreach (JsonElement item in e.EnumerateArray())
            {
                list.Add(String(item, $"{where}[{i++}]"));
            }

            return [.. list];
        }

        private string?[] Modes(JsonElement e)
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0)
            {
                return Strings(e, "$.modes");
            }

            var list = new List<string?>();
            int i = 0;
            foreach (JsonElement item in e.EnumerateArray())
            {
                list.Add(item.ValueKind == JsonValueKind.Null ? null : String(item, $"$.modes[{i}]"));
                i++;
            }

            return [.. list];
        }

        private string[] Values(JsonElement e, string where)
        {
            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() == 0)
            {
                throw Error(where, "expected a non-empty list of values");
            }

            var list = new List<string>();
            int i = 0;
            foreach (JsonElement item in e.EnumerateArray())
            {
                list.Add(Scalar(item, $"{where}[{i++}]"));
            }

            return [.. list];
        }

        private string Scalar(JsonElement e, string where) => e.ValueKind switch
        {
            JsonValueKind.String when e.GetString()!.Length > 0 && !e.GetString()!.Contains(',', StringComparison.Ordinal) => e.GetString()!,
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => throw Error(where, "expected a value: a string with units such as \"82GB/s\" (no commas), or a number"),
        };
    }

    /// <summary>One sampled dimension: a list of values (uniform over its items) or a numeric range with unit and optional step.</summary>
    private sealed record SampleDimension(IReadOnlyList<string>? Values, double Min, double Max, string Unit, double Step)
    {
        public string At(double u)
        {
            if (Values is not null)
            {
                return Values[Math.Min(Values.Count - 1, (int)(u * Values.Count))];
            }

            double v = Min + (u * (Max - Min));
            if (Step > 0)
            {
                v = Math.Min(Max, Min + (Math.Round((v - Min) / Step) * Step));
            }

            // Six significant digits keep values short and make them the same on every machine.
            return v.ToString("G6", CultureInfo.InvariantCulture) + Unit;
        }
    }
}
