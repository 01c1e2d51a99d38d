using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Antoum.Sim.Config;

namespace Antoum.Sim.Sweep;

/// <summary>How to run a sweep.</summary>
public sealed record SweepRunOptions
{
    /// <summary>Points run at once (threads in this process).</summary>
    public int Jobs { get; init; } = Environment.ProcessorCount;

    /// <summary>This run's shard: points whose index % <see cref="ShardCount"/> == <see cref="ShardIndex"/>.</summary>
    public int ShardIndex { get; init; }

    public int ShardCount { get; init; } = 1;

    /// <summary>Reuse compiled programs between points with equal compiler inputs (<see cref="CompileCache"/>).</summary>
    public bool CompileCache { get; init; } = true;

    /// <summary>Where progress goes (null: nowhere).</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>A line written to <see cref="Progress"/> once the options, names and output folder are checked (so a bad input prints only its error).</summary>
    public string? Header { get; init; }

    /// <summary>Redraw one progress bar line in place (a terminal) instead of printing plain lines.</summary>
    public bool Interactive { get; init; }

    /// <summary>Stop after this many newly finished points (tests use it to stop a sweep half-way); 0 = no limit.</summary>
    public int StopAfter { get; init; }
}

/// <summary>What a sweep run did.</summary>
public sealed record SweepOutcome(int Points, int Resumed, int Ran, int Infeasible, int Dropped, double Seconds, long CompileHits, long CompileMisses, bool Complete);

/// <summary>
/// Runs a sweep into an output folder: <c>spec.json</c> (the canonical spec), <c>sweep.journal</c> (one fsync'd line
/// per finished point), and at the end <c>sweep.csv</c> (rows in canonical point order, written atomically) and
/// <c>sweep.json</c> (spec hash, shard, counts). Restarted on the same folder it runs only the points the journal
/// does not have; the final files do not depend on completion order, <c>--jobs</c>, or how often it was restarted.
/// </summary>
public static class SweepRunner
{
    public const string CsvName = "sweep.csv";
    public const string MetaName = "sweep.json";
    public const string SpecName = "spec.json";

    public static SweepOutcome Run(SweepSpec spec, string outDir, SweepRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(options);
        if (options.ShardCount < 1 || options.ShardIndex < 0 || options.ShardIndex >= options.ShardCount)
        {
            throw new UserInputException($"--shard: expected i/n with 0 <= i < n, got {options.ShardIndex}/{options.ShardCount}");
        }

        if (options.Jobs < 1)
        {
            throw new UserInputException($"--jobs: expected at least 1, got {options.Jobs}");
        }

        CheckNames(spec);
        PrepareFolder(outDir);
        if (options.Header is not null)
        {
            options.Progress?.WriteLine(options.Header);
        }

        IReadOnlyList<string> header = SweepEvaluator.Header(spec);
        string shard = ShardText(options.ShardIndex, options.ShardCount);
        var mine = new List<SweepPoint>();
        foreach (SweepPoint p in spec.Points)
        {
            if (p.Index % options.ShardCount == options.ShardIndex)
            {
                mine.Add(p);
            }
        }

        var wall = System.Diagnostics.Stopwatch.StartNew();
        string configs = ConfigsFingerprint();
        using SweepJournal journal = SweepJournal.Open(Path.Combine(outDir, SweepJournal.FileName), spec.Hash, shard, configs,
            i => i >= 0 && i < spec.Points.Count && i % options.ShardCount == options.ShardIndex, header.Count);
        AtomicFile.Write(Path.Combine(outDir, SpecName), spec.CanonicalJson());
        IReadOnlyDictionary<int, string> done = journal.Done;
        var todo = new List<SweepPoint>();
        foreach (SweepPoint p in mine)
        {
            if (!done.ContainsKey(p.Index))
            {
                todo.Add(p);
            }
        }

        CompileCache? cache = options.CompileCache ? new CompileCache() : null;
        var evaluator = new SweepEvaluator(spec, cache);
        using var progress = new SweepProgress(options.Progress, options.Interactive, mine.Count, mine.Count - todo.Count);
        if (journal.Dropped > 0)
        {
            options.Progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sweep: resuming: {done.Count} points already done, {journal.Dropped} incomplete journal line(s) dropped"));
        }
        else if (done.Count > 0)
        {
            options.Progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sweep: resuming: {done.Count} of {mine.Count} points already done"));
        }

        int ran = 0;
        using var stop = new CancellationTokenSource();
        var po = new ParallelOptions { MaxDegreeOfParallelism = options.Jobs, CancellationToken = stop.Token };
        try
        {
            Parallel.ForEach(Partitioner.Create(todo, EnumerablePartitionerOptions.NoBuffering), po, point =>
            {
                IReadOnlyList<string> row = evaluator.Evaluate(point);
                journal.Append(point.Index, SweepCsv.Line(row));
                int n = Interlocked.Increment(ref ran);
                progress.PointDone(row[header.Count - SweepEvaluator.ResultColumns.Count] != "ok");
                if (options.StopAfter > 0 && n >= options.StopAfter)
                {
                    stop.Cancel();
                }
            });
        }
        catch (OperationCanceledException) when (options.StopAfter > 0)
        {
            progress.Finish();
            return new SweepOutcome(mine.Count, mine.Count - todo.Count, ran, 0, journal.Dropped, wall.Elapsed.TotalSeconds, cache?.Hits ?? 0, cache?.Misses ?? 0, false);
        }

        progress.Finish();
        done = journal.Done;
        var csv = new StringBuilder(SweepCsv.Line(header)).Append('\n');
        int infeasible = 0;
        int statusColumn = header.Count - SweepEvaluator.ResultColumns.Count;
        foreach (SweepPoint p in mine)
        {
            string row = done[p.Index];
            csv.Append(row).Append('\n');
            if (SweepCsv.Split(row)![statusColumn] != "ok")
            {
                infeasible++;
            }
        }

        AtomicFile.Write(Path.Combine(outDir, CsvName), csv.ToString());
        AtomicFile.Write(Path.Combine(outDir, MetaName), Meta(spec, configs, shard, mine.Count, infeasible));
        return new SweepOutcome(mine.Count, mine.Count - todo.Count, ran, infeasible, journal.Dropped, wall.Elapsed.TotalSeconds, cache?.Hits ?? 0, cache?.Misses ?? 0, true);
    }

    /// <summary>Workloads, SKUs and modes must exist: a typo there is a spec error, not a sweep of infeasible points.</summary>
    private static void CheckNames(SweepSpec spec)
    {
        foreach (string w in spec.Workloads)
        {
            try
            {
                Cli.CompileCommand.ResolveWorkload(w);
            }
            catch (Exception e) when (e is UserInputException or Antoum.Firmware.Workloads.WorkloadException)
            {
                throw new UserInputException($"sweep workloads: {e.Message}");
            }
        }

        foreach (string sku in spec.Skus)
        {
            try
            {
                ConfigLoader.Load(sku);
            }
            catch (UserInputException e)
            {
                throw new UserInputException($"sweep skus: {e.Message}");
            }
        }

        foreach (string? mode in spec.Modes)
        {
            try
            {
                _ = mode is null ? default : Antoum.Firmware.Compiler.Compiler.ParseMode(mode);
            }
            catch (Antoum.Firmware.Compiler.CompileException e)
            {
                throw new UserInputException($"sweep modes: {e.Message}");
            }
        }
    }

    public static string ShardText(int index, int count) => string.Create(CultureInfo.InvariantCulture, $"{index}/{count}");

    /// <summary>Parses <c>i/n</c> (0 ≤ i &lt; n).</summary>
    public static (int Index, int Count) ParseShard(string text)
    {
        string[] parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i) &&
            int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && i < n)
        {
            return (i, n);
        }

        throw new UserInputException($"--shard: expected i/n with 0 <= i < n (e.g. 0/4 .. 3/4), got \"{text}\"");
    }

    private static void PrepareFolder(string outDir)
    {
        if (File.Exists(outDir))
        {
            throw new UserInputException($"--out {outDir}: a file of that name exists; expected a folder");
        }

        if (Directory.Exists(outDir))
        {
            // Temporary files of an atomic write that was killed half-way: never the only copy of anything.
            foreach (string tmp in Directory.EnumerateFiles(outDir, ".*.tmp-*"))
            {
                File.Delete(tmp);
            }
        }

        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() &&
            !File.Exists(Path.Combine(outDir, SweepJournal.FileName)) && !File.Exists(Path.Combine(outDir, MetaName)))
        {
            throw new UserInputException($"--out {outDir}: the folder exists, is not empty and holds no sweep ({SweepJournal.FileName}); choose another folder");
        }

        Directory.CreateDirectory(outDir);
    }

    /// <summary>sweep.json: what the sweep.csv beside it holds.</summary>
    public static string Meta(SweepSpec spec, string configs, string shard, int rows, int infeasible)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return Meta(spec.Name, spec.Hash, configs, spec.Points.Count, shard, rows, infeasible);
    }

    /// <summary>
    /// SHA-256 over every file of the configs folder (relative path and bytes, in ordinal path order): the SKU files
    /// and the energy table the points are computed from. Kept in the journal and sweep.json so a sweep is never
    /// resumed or merged across different configuration files.
    /// </summary>
    public static string ConfigsFingerprint(string? configsDir = null)
    {
        string dir = Path.GetFullPath(configsDir ?? ConfigLoader.DefaultConfigsDirectory());
        using var sha = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        if (Directory.Exists(dir))
        {
            string[] files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories);
            var rel = new List<string>(files.Length);
            foreach (string f in files)
            {
                rel.Add(Path.GetRelativePath(dir, f).Replace('\\', '/'));
            }

            rel.Sort(StringComparer.Ordinal);
            foreach (string r in rel)
            {
                sha.AppendData(Encoding.UTF8.GetBytes(r + "\n"));
                byte[] bytes = File.ReadAllBytes(Path.Combine(dir, r));
                sha.AppendData(Encoding.UTF8.GetBytes(bytes.Length.ToString(CultureInfo.InvariantCulture) + "\n"));
                sha.AppendData(bytes);
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static string Meta(string name, string hash, string configs, int points, string shard, int rows, int infeasible)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("format", "antoumsim.sweep/1");
            w.WriteString("name", name);
            w.WriteString("spec", hash);
            w.WriteString("configs", configs);
            w.WriteNumber("points", points);
            w.WriteString("shard", shard);
            w.WriteNumber("rows", rows);
            w.WriteNumber("infeasible", infeasible);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray()) + "\n";
    }

    /// <summary>
    /// Joins shard folders into <paramref name="outDir"/>: checks they hold finished shards of one spec, all n shards
    /// once, and every point once, then writes sweep.csv, sweep.json and spec.json byte-identical to a single-machine run.
    /// </summary>
    public static int Merge(IReadOnlyList<string> shardDirs, string outDir)
    {
        ArgumentNullException.ThrowIfNull(shardDirs);
        if (shardDirs.Count == 0)
        {
            throw new UserInputException("sweep merge: give the shard output folders to join");
        }

        string? specText = null;
        SweepMeta? meta = null;
        string? firstConfigs = null;
        IReadOnlyList<string>? header = null;
        var shardsSeen = new SortedDictionary<int, string>();
        int shardCount = -1;
        var rows = new SortedDictionary<int, string>();
        foreach (string dir in shardDirs)
        {
            string specPath = Path.Combine(dir, SpecName);
            string csvPath = Path.Combine(dir, CsvName);
            string metaPath = Path.Combine(dir, MetaName);
            foreach (string f in new[] { specPath, csvPath, metaPath })
            {
                if (!File.Exists(f))
                {
                    throw new UserInputException($"{f}: not found (is {dir} a finished sweep shard? a shard still running or killed has no {MetaName}: rerun it to finish)");
                }
            }

            string text = File.ReadAllText(specPath);
            if (specText is null)
            {
                specText = text;
            }
            else if (text != specText)
            {
                throw new UserInputException($"{specPath}: a different sweep spec than {Path.Combine(shardDirs[0], SpecName)}; shards of one sweep share the spec");
            }

            string hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));
            meta = ReadMeta(metaPath, hash);
            (int index, int count) = (meta.ShardIndex, meta.ShardCount);
            if (shardsSeen.Count > 0 && meta.Configs != firstConfigs)
            {
                throw new UserInputException($"{metaPath}: computed with other configs/ files than {shardsSeen.First().Value} (fingerprint {meta.Configs[..Math.Min(12, meta.Configs.Length)]} vs {firstConfigs![..Math.Min(12, firstConfigs!.Length)]}); rerun that shard with the same configuration");
            }

            firstConfigs ??= meta.Configs;
            if (shardCount >= 0 && count != shardCount)
            {
                throw new UserInputException($"{metaPath}: shard {index}/{count}, but {shardsSeen.First().Value} is a shard of {shardCount}");
            }

            shardCount = count;
            if (!shardsSeen.TryAdd(index, dir))
            {
                throw new UserInputException($"{dir}: shard {index}/{count} is also in {shardsSeen[index]}");
            }

            SweepCsv.Table table = SweepCsv.Parse(File.ReadAllText(csvPath), csvPath);
            header ??= table.Header;
            if (!table.Header.SequenceEqual(header))
            {
                throw new UserInputException($"{csvPath}: its columns differ from the first shard's");
            }

            string[] lines = File.ReadAllText(csvPath).Split('\n');
            for (int r = 0; r < table.Rows.Count; r++)
            {
                int point = int.Parse(table.Rows[r][0], NumberStyles.None, CultureInfo.InvariantCulture);
                if (point % count != index || !rows.TryAdd(point, lines[r + 1]))
                {
                    throw new UserInputException($"{csvPath}: line {r + 2}: point {point} does not belong to shard {index}/{count} or appears twice");
                }
            }
        }

        for (int i = 0; i < shardCount; i++)
        {
            if (!shardsSeen.ContainsKey(i))
            {
                throw new UserInputException($"sweep merge: shard {i}/{shardCount} is missing");
            }
        }

        if (rows.Count != meta!.Points)
        {
            throw new UserInputException($"sweep merge: the shards hold {rows.Count} of the spec's {meta.Points} points");
        }

        PrepareFolder(outDir);
        var csv = new StringBuilder(SweepCsv.Line(header!)).Append('\n');
        int infeasible = 0;
        int statusColumn = header!.Count - SweepEvaluator.ResultColumns.Count;
        foreach (string row in rows.Values)
        {
            csv.Append(row).Append('\n');
            if (SweepCsv.Split(row)![statusColumn] != "ok")
            {
                infeasible++;
            }
        }

        AtomicFile.Write(Path.Combine(outDir, SpecName), specText!);
        AtomicFile.Write(Path.Combine(outDir, CsvName), csv.ToString());
        AtomicFile.Write(Path.Combine(outDir, MetaName), Meta(meta.Name, meta.Hash, meta.Configs, meta.Points, ShardText(0, 1), rows.Count, infeasible));
        return rows.Count;
    }

    private sealed record SweepMeta(string Name, string Hash, string Configs, int Points, int ShardIndex, int ShardCount);

    private static SweepMeta ReadMeta(string metaPath, string specHash)
    {
        try
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(metaPath));
            JsonElement root = doc.RootElement;
            if (root.GetProperty("spec").GetString() != specHash)
            {
                throw new UserInputException($"{metaPath}: its spec hash is not the hash of the spec.json beside it");
            }

            (int i, int n) = ParseShard(root.GetProperty("shard").GetString()!);
            return new SweepMeta(root.GetProperty("name").GetString()!, specHash, root.GetProperty("configs").GetString()!, root.GetProperty("points").GetInt32(), i, n);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new UserInputException($"{metaPath}: not a sweep result file ({e.Message})");
        }
    }
}
