using System.Text.Json;
using Antoum.Isa;
using Antoum.Sim.Reporting;
using Antoum.Tests.Cli;
using NUnit.Framework;

namespace Antoum.Tests.Reporting;

[TestFixture]
[Category("Quick")]
[Category("Reporting")]
public class TraceTests : CliTestBase
{
    [Test]
    public void TrackMergesPairwiseAndThenGroupsEvenly()
    {
        var t = new TraceTrack("spu", new EngineId(EngineKind.Spu, 0, 0, 0), capacity: 8);
        for (int i = 0; i < 100; i++)
        {
            t.Add((ulong)(i * 10), (ulong)((i * 10) + 5), i % 3 == 0 ? Opcode.Matmul : Opcode.Conv);
        }

        t.Flush();
        Assert.That(t.Count, Is.LessThanOrEqualTo(8).And.GreaterThanOrEqualTo(4));
        Assert.That(t.Instructions, Is.EqualTo(100));
        long sum = 0;
        for (int i = 0; i < t.Count; i++)
        {
            sum += t.InstructionCount(i);
            if (i > 0)
            {
                Assert.That(t.Start(i), Is.GreaterThanOrEqualTo(t.End(i - 1)));
            }

            if (i < t.Count - 1)
            {
                Assert.That(t.InstructionCount(i), Is.EqualTo(1 << t.Merges), "every span but the last holds 2^merges instructions");
            }
        }

        Assert.That(sum, Is.EqualTo(100));
        Assert.That(t.Start(0), Is.Zero);
        Assert.That(t.End(t.Count - 1), Is.EqualTo(995));
    }

    [Test]
    public void TraceParsesSpansPerEngineDoNotOverlapAndOtherOutputsAreUnchanged()
    {
        string plain = Path.Combine(Dir, "plain");
        string traced = Path.Combine(Dir, "traced");
        (int code, _, string err) = Run("run", "-w", "resnet50", "--quiet", "--out", plain);
        Assert.That(code, Is.Zero, err);
        (code, _, err) = Run("run", "-w", "resnet50", "--quiet", "--trace", "--out", traced);
        Assert.That(code, Is.Zero, err);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(traced, "trace.json")));
        Assert.That(doc.RootElement.GetProperty("metadata").GetProperty("aggregation").GetString(), Does.Contain("spans per engine"));
        var spans = new Dictionary<(int, int), List<(double Ts, double Dur)>>();
        int counters = 0;
        var counterNames = new HashSet<string>();
        foreach (JsonElement e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            string ph = e.GetProperty("ph").GetString()!;
            if (ph == "X")
            {
                var key = (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32());
                if (!spans.TryGetValue(key, out List<(double, double)>? list))
                {
                    spans[key] = list = new List<(double, double)>();
                }

                list.Add((e.GetProperty("ts").GetDouble(), e.GetProperty("dur").GetDouble()));
            }
            else if (ph == "C")
            {
                counters++;
                counterNames.Add(e.GetProperty("name").GetString()!);
            }
        }

        Assert.That(spans, Has.Count.GreaterThan(4), "a track per engine");
        Assert.That(counterNames, Is.EquivalentTo(new[] { "bandwidth GB/s", "busy fraction", "power W" }));
        Assert.That(counters, Is.GreaterThan(0));
        foreach (((int pid, int tid), List<(double Ts, double Dur)> list) in spans)
        {
            for (int i = 1; i < list.Count; i++)
            {
                Assert.That(list[i].Ts, Is.GreaterThanOrEqualTo(list[i - 1].Ts + list[i - 1].Dur - 1e-6), $"track {pid}/{tid} span {i} overlaps the one before");
            }
        }

        foreach (string f in new[] { "blocks.csv", "layers.csv", "timeline.csv", "power.csv", "compile-report.txt" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(traced, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(plain, f))), f);
        }

        foreach (string f in new[] { "summary.json", "stats.txt" })
        {
            // Only the recorded command line differs (it has --trace).
            Assert.That(WithoutCommandLine(Path.Combine(traced, f)), Is.EqualTo(WithoutCommandLine(Path.Combine(plain, f))), f);
        }
    }

    [Test]
    public void GemmRunWritesATraceWithATrackPerMacArrayAndNoOverlap()
    {
        string plain = Path.Combine(Dir, "gemm-plain");
        string traced = Path.Combine(Dir, "gemm-traced");
        (int code, _, string err) = Run("run", "-w", "gemm-small", "--quiet", "--out", plain);
        Assert.That(code, Is.Zero, err);
        (code, _, err) = Run("run", "-w", "gemm-small", "--quiet", "--trace", "--out", traced);
        Assert.That(code, Is.Zero, err);
        Assert.That(File.Exists(Path.Combine(plain, "trace.json")), Is.False);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(traced, "trace.json")));
        var spans = new Dictionary<(int, int), List<(double Ts, double Dur)>>();
        var names = new HashSet<string>();
        foreach (JsonElement e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            if (e.GetProperty("ph").GetString() == "X")
            {
                var key = (e.GetProperty("pid").GetInt32(), e.GetProperty("tid").GetInt32());
                if (!spans.TryGetValue(key, out List<(double, double)>? list))
                {
                    spans[key] = list = new List<(double, double)>();
                }

                list.Add((e.GetProperty("ts").GetDouble(), e.GetProperty("dur").GetDouble()));
                names.Add(e.GetProperty("name").GetString()!);
            }
        }

        Assert.That(spans, Has.Count.GreaterThan(1), "a track per MAC array that ran");
        Assert.That(names, Does.Contain("matmul"));
        foreach (((int pid, int tid), List<(double Ts, double Dur)> list) in spans)
        {
            for (int i = 1; i < list.Count; i++)
            {
                Assert.That(list[i].Ts, Is.GreaterThanOrEqualTo(list[i - 1].Ts + list[i - 1].Dur - 1e-6), $"track {pid}/{tid} span {i} overlaps the one before");
            }
        }

        foreach (string f in new[] { "blocks.csv", "timeline.csv", "power.csv" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(traced, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(plain, f))), f);
        }
    }

    private static string[] WithoutCommandLine(string path) =>
        File.ReadAllLines(path).Where(l => !l.Contains("antoum run", StringComparison.Ordinal)).ToArray();
}
