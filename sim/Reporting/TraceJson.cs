using System.Globalization;
using System.Text;
using System.Text.Json;
using Antoum.Isa;
using Antoum.Sim.Engines;

namespace Antoum.Sim.Reporting;

/// <summary>
/// <c>trace.json</c> in the Chrome trace-event format (opens in Perfetto and chrome://tracing): one process per chip
/// (pid = chip + 1; pid 0 holds the card-wide counters), one thread (track) per engine, a complete event ("X") per
/// instruction span of <see cref="TraceTrack"/>, and counter events ("C") per timeline bin for bandwidth per memory
/// level (GB/s), mean busy fraction per block class and estimated card power (W). Times are microseconds.
/// Size is bounded by aggregation: at most <see cref="SpanBudget"/> spans over all engines (each engine gets an equal
/// share; see <see cref="TraceTrack"/>), and the timeline's at most 400 bins. The choice is stated in the file's
/// <c>metadata</c>.
/// </summary>
public static class TraceJson
{
    /// <summary>Spans kept over all engines.</summary>
    public const int SpanBudget = 100_000;

    /// <summary>Attaches a track to every engine, each with an equal share of <see cref="SpanBudget"/>.</summary>
    public static List<TraceTrack> Attach(IReadOnlyList<EngineCore> engines)
    {
        int capacity = Math.Max(64, SpanBudget / Math.Max(1, engines.Count));
        var tracks = new List<TraceTrack>(engines.Count);
        foreach (EngineCore e in engines)
        {
            var t = new TraceTrack(e.Id.ToString(), e.Id, capacity);
            e.Trace = t;
            tracks.Add(t);
        }

        return tracks;
    }

    /// <summary>Attaches a track to every MAC array of the built-in GEMM path (matmul chunks and operand stalls).</summary>
    public static List<TraceTrack> Attach(IReadOnlyList<(EngineId Id, Blocks.Spu.MacArray Array)> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        int capacity = Math.Max(64, SpanBudget / Math.Max(1, arrays.Count));
        var tracks = new List<TraceTrack>(arrays.Count);
        foreach ((EngineId id, Blocks.Spu.MacArray a) in arrays)
        {
            var t = new TraceTrack(id.ToString(), id, capacity);
            a.Trace = t;
            tracks.Add(t);
        }

        return tracks;
    }

    public static string Format(IReadOnlyList<TraceTrack> tracks, string timelineCsv, string workload, string sku)
    {
        TimelineTable timeline = TimelineCsv.Parse(timelineCsv, "timeline.csv");
        foreach (TraceTrack t in tracks)
        {
            t.Flush();
        }

        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("displayTimeUnit", "ns");
            w.WriteStartObject("metadata");
            w.WriteString("producer", "AntoumSim");
            w.WriteString("workload", workload);
            w.WriteString("sku", sku);
            int merged = 0, capacity = tracks.Count == 0 ? 0 : tracks[0].Capacity;
            foreach (TraceTrack t in tracks)
            {
                merged = Math.Max(merged, t.Merges);
            }

            w.WriteString("aggregation", string.Create(CultureInfo.InvariantCulture,
                $"at most {capacity} spans per engine ({SpanBudget} over all engines): when an engine's track is full, adjacent spans are merged pairwise and afterwards every 2^merges instructions form one span (args.instructions counts the instructions in a span; name 'mixed' when they differ). Deepest merging here: {merged} time(s), i.e. up to {1L << Math.Min(merged, 30)} instructions per span. Counters: one sample per timeline bin (at most 400 bins, equal width)."));
            w.WriteEndObject();
            w.WriteStartArray("traceEvents");
            Meta(w, "process_name", 0, 0, "card counters");
            var chips = new SortedSet<int>();
            foreach (TraceTrack t in tracks)
            {
                if (chips.Add(t.Engine.Chip))
                {
                    Meta(w, "process_name", t.Engine.Chip + 1, 0, "chip" + t.Engine.Chip.ToString(CultureInfo.InvariantCulture));
                }
            }

            for (int i = 0; i < tracks.Count; i++)
            {
                Meta(w, "thread_name", tracks[i].Engine.Chip + 1, i + 1, tracks[i].Name);
            }

            for (int i = 0; i < tracks.Count; i++)
            {
                TraceTrack t = tracks[i];
                for (int s = 0; s < t.Count; s++)
                {
                    w.WriteStartObject();
                    w.WriteString("name", t.Op(s) == TraceTrack.Mixed ? "mixed" : OpcodeTable.Get((Opcode)t.Op(s)).Mnemonic);
                    w.WriteString("ph", "X");
                    w.WriteNumber("pid", t.Engine.Chip + 1);
                    w.WriteNumber("tid", i + 1);
                    w.WriteNumber("ts", Us(t.Start(s)));
                    w.WriteNumber("dur", Us(t.End(s) - t.Start(s)));
                    w.WriteStartObject("args");
                    w.WriteNumber("instructions", t.InstructionCount(s));
                    w.WriteEndObject();
                    w.WriteEndObject();
                }
            }

            Counters(w, timeline, "bandwidth GB/s", "_bytes_per_s", 1e9);
            Counters(w, timeline, "busy fraction", null, 1);
            Counters(w, timeline, "power W", "power_w", 1);
            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private static void Counters(Utf8JsonWriter w, TimelineTable t, string name, string? suffix, double scale)
    {
        var cols = new List<int>();
        for (int c = 0; c < t.Columns.Count; c++)
        {
            string col = t.Columns[c];
            if (suffix is null ? col.StartsWith("util_", StringComparison.Ordinal) : col.EndsWith(suffix, StringComparison.Ordinal))
            {
                cols.Add(c);
            }
        }

        if (cols.Count == 0)
        {
            return;
        }

        for (int row = 0; row < t.Values.Count; row++)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteString("ph", "C");
            w.WriteNumber("pid", 0);
            w.WriteNumber("ts", Us(t.StartPs[row]));
            w.WriteStartObject("args");
            foreach (int c in cols)
            {
                string col = t.Columns[c];
                string key = suffix is null ? col["util_".Length..] : suffix == "power_w" ? "card" : col[..^suffix.Length];
                w.WriteNumber(key, Math.Round(t.Values[row][c] / scale, 6));
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }
    }

    private static void Meta(Utf8JsonWriter w, string what, int pid, int tid, string name)
    {
        w.WriteStartObject();
        w.WriteString("name", what);
        w.WriteString("ph", "M");
        w.WriteNumber("pid", pid);
        w.WriteNumber("tid", tid);
        w.WriteStartObject("args");
        w.WriteString("name", name);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static double Us(ulong ps) => ps / 1e6;
}
