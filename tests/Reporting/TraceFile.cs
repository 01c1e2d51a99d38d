using System.Text.Json;
using NUnit.Framework;

namespace Antoum.Tests.Reporting;

/// <summary>
/// A parsed Chrome trace-event file as the reporting tests read it: the complete ("X") spans per track (pid, tid)
/// in file order, the span names, and the counter ("C") events. One reader for every trace test.
/// </summary>
internal sealed class TraceFile
{
    private TraceFile(Dictionary<(int Pid, int Tid), List<(double Ts, double Dur)>> spans, HashSet<string> spanNames, HashSet<string> counterNames, int counters, string? aggregation)
    {
        Spans = spans;
        SpanNames = spanNames;
        CounterNames = counterNames;
        Counters = counters;
        Aggregation = aggregation;
    }

    public Dictionary<(int Pid, int Tid), List<(double Ts, double Dur)>> Spans { get; }

    public HashSet<string> SpanNames { get; }

    public HashSet<string> CounterNames { get; }

    public int Counters { get; }

    /// <summary>metadata.aggregation, when the file has it.</summary>
    public string? Aggregation { get; }

    public static TraceFile Read(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var spans = new Dictionary<(int, int), List<(double, double)>>();
        var spanNames = new HashSet<string>(StringComparer.Ordinal);
        var counterNames = new HashSet<string>(StringComparer.Ordinal);
        int counters = 0;
        foreach (JsonElement e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            string ph = e.GetProperty("ph").GetString()!;
            if (ph == "X")
            {
                var key = (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32());
                if (!spans.TryGetValue(key, out List<(double, double)>? list))
                {
                    spans[key] = list = [];
                }

                list.Add((e.GetProperty("ts").GetDouble(), e.GetProperty("dur").GetDouble()));
                spanNames.Add(e.GetProperty("name").GetString()!);
            }
            else if (ph == "C")
            {
                counters++;
                counterNames.Add(e.GetProperty("name").GetString()!);
            }
        }

        string? aggregation = doc.RootElement.TryGetProperty("metadata", out JsonElement meta) && meta.TryGetProperty("aggregation", out JsonElement agg)
            ? agg.GetString()
            : null;
        return new TraceFile(spans, spanNames, counterNames, counters, aggregation);
    }

    /// <summary>Every track's spans follow one another: none starts before the previous one ended.</summary>
    public void AssertNoOverlap()
    {
        foreach (((int pid, int tid), List<(double Ts, double Dur)> list) in Spans)
        {
            for (int i = 1; i < list.Count; i++)
            {
                Assert.That(list[i].Ts, Is.GreaterThanOrEqualTo(list[i - 1].Ts + list[i - 1].Dur - 1e-6), $"track {pid}/{tid} span {i} overlaps the one before");
            }
        }
    }
}
