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

        var trace = TraceFile.Read(Path.Combine(traced, "trace.json"));
        Assert.That(trace.Aggregation, Does.Contain("spans per engine"));
        Assert.That(trace.Spans, Has.Count.GreaterThan(4), "a track per engine");
        Assert.That(trace.CounterNames, Is.EquivalentTo(new[] { "bandwidth GB/s", "busy fraction", "power W" }));
        Assert.That(trace.Counters, Is.GreaterThan(0));
        trace.AssertNoOverlap();

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

        var trace = TraceFile.Read(Path.Combine(traced, "trace.json"));
        Assert.That(trace.Spans, Has.Count.GreaterThan(1), "a track per MAC array that ran");
        Assert.That(trace.SpanNames, Does.Contain("matmul"));
        trace.AssertNoOverlap();

        foreach (string f in new[] { "blocks.csv", "timeline.csv", "power.csv" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(traced, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(plain, f))), f);
        }
    }

    private static string[] WithoutCommandLine(string path) =>
        File.ReadAllLines(path).Where(l => !l.Contains("antoum run", StringComparison.Ordinal)).ToArray();
}
