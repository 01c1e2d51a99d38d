using System.Globalization;
using System.Text;
using Antoum.Isa;
using Antoum.Sim.Config;

namespace Antoum.Sim.Sweep;

/// <summary>
/// The append-only record of finished points that makes a sweep resumable. Line 1 names the spec hash and the shard;
/// every further line is one finished point: <c>CRC32 CSV-ROW</c>, written with one write call and fsync'd before the
/// point counts as done. On open, a line that is incomplete (no line end: the process died while writing it), fails
/// its CRC, does not parse or does not belong to the shard is dropped, and the journal is rewritten (atomically) with
/// the good lines only, so new records never follow a torn one.
/// </summary>
public sealed class SweepJournal : IDisposable
{
    public const string FileName = "sweep.journal";
    private const string Magic = "antoumsim.sweep-journal/1";

    private readonly FileStream _stream;
    private readonly Lock _lock = new();
    private readonly Dictionary<int, string> _done;

    private SweepJournal(FileStream stream, Dictionary<int, string> done, int dropped)
    {
        _stream = stream;
        _done = done;
        Dropped = dropped;
    }

    /// <summary>Lines found unusable when the journal was opened (a torn last line after a kill counts here).</summary>
    public int Dropped { get; }

    /// <summary>Finished points: canonical index → CSV row (no line end).</summary>
    public IReadOnlyDictionary<int, string> Done
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<int, string>(_done);
            }
        }
    }

    /// <summary>Opens (or creates) the journal of a sweep; refuses a journal written for another spec or shard.</summary>
    /// <param name="path">The journal file.</param>
    /// <param name="specHash">The spec's hash (a journal of another spec is refused).</param>
    /// <param name="shard">The shard, "i/n".</param>
    /// <param name="configs">Fingerprint of the configs/ folder (a journal written with other config files is refused).</param>
    /// <param name="belongs">Whether a canonical point index is part of this run (its shard).</param>
    /// <param name="columns">Fields every row has.</param>
    public static SweepJournal Open(string path, string specHash, string shard, string configs, Func<int, bool> belongs, int columns)
    {
        string header = $"{Magic} spec {specHash} shard {shard} configs {configs}";
        var done = new Dictionary<int, string>();
        int dropped = 0;
        bool rewrite = true;
        if (File.Exists(path))
        {
            string text = Encoding.UTF8.GetString(File.ReadAllBytes(path));
            string[] lines = text.Split('\n');
            // The last element follows the last '\n': empty for a clean file, a torn record otherwise.
            if (lines.Length > 1)
            {
                if (lines[0] != header)
                {
                    string[] parts = lines[0].Split(' ');
                    if (parts.Length < 5 || parts[0] != Magic)
                    {
                        throw new UserInputException($"{path}: not a sweep journal (first line \"{Trim(lines[0])}\"); use another --out folder");
                    }

                    if (parts[2] != specHash)
                    {
                        throw new UserInputException($"{path}: this folder holds a sweep of another spec (spec hash {Short(parts[2])}, this spec {Short(specHash)}); resume only with the same spec, or use another --out folder");
                    }

                    if (parts[4] != shard)
                    {
                        throw new UserInputException($"{path}: this folder holds shard {parts[4]} of the sweep, not shard {shard}; use another --out folder per shard");
                    }

                    throw new UserInputException($"{path}: the configs/ files changed since this sweep started (fingerprint {(parts.Length > 6 ? Short(parts[6]) : "none")}, now {Short(configs)}); its rows would mix two configurations: use another --out folder");
                }

                for (int i = 1; i < lines.Length - 1; i++)
                {
                    if (TryParse(lines[i], columns, out int index, out string row) && belongs(index) && !done.ContainsKey(index))
                    {
                        done[index] = row;
                    }
                    else
                    {
                        dropped++;
                    }
                }

                dropped += lines[^1].Length > 0 ? 1 : 0;
                rewrite = dropped > 0;
            }
        }

        if (rewrite)
        {
            var sb = new StringBuilder(header).Append('\n');
            foreach (KeyValuePair<int, string> kv in done.OrderBy(kv => kv.Key))
            {
                sb.Append(Record(kv.Value));
            }

            AtomicFile.Write(path, sb.ToString());
        }

        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 1, FileOptions.None);
        return new SweepJournal(stream, done, dropped);
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    private static string Trim(string s) => s.Length > 60 ? s[..60] + "..." : s;

    private static string Record(string row)
    {
        uint crc = Crc32.Compute(Encoding.UTF8.GetBytes(row));
        return crc.ToString("x8", CultureInfo.InvariantCulture) + " " + row + "\n";
    }

    private static bool TryParse(string line, int columns, out int index, out string row)
    {
        index = -1;
        row = string.Empty;
        if (line.Length < 10 || line[8] != ' ' || !uint.TryParse(line.AsSpan(0, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint crc))
        {
            return false;
        }

        row = line[9..];
        if (Crc32.Compute(Encoding.UTF8.GetBytes(row)) != crc)
        {
            return false;
        }

        List<string>? fields = SweepCsv.Split(row);
        return fields is not null && fields.Count == columns &&
            int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    /// <summary>Appends one finished point and fsyncs; thread-safe.</summary>
    public void Append(int index, string row)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(Record(row));
        lock (_lock)
        {
            _stream.Write(bytes);
            _stream.Flush(flushToDisk: true);
            _done[index] = row;
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
    }
}

/// <summary>Whole-file writes that are never seen half-done: a temporary file beside the target, fsync'd, then renamed.</summary>
public static class AtomicFile
{
    public static void Write(string path, string content)
    {
        string full = Path.GetFullPath(path);
        string tmp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Environment.CurrentManagedThreadId.ToString(CultureInfo.InvariantCulture));
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(new UTF8Encoding(false).GetBytes(content));
            fs.Flush(flushToDisk: true);
        }

        File.Move(tmp, full, overwrite: true);
    }
}
