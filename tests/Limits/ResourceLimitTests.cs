using System.Diagnostics;
using Antoum.Tests.Cli;
using NUnit.Framework;

namespace Antoum.Tests.Limits;

/// <summary>
/// Runs that would be huge or endless stop at the limits the user gives (--max-events, --max-cycles, --max-time)
/// with exit code 2, a report that starts with one clear line, no output folder and a bounded wall time. Inputs that
/// cannot run at all (sizes that overflow, batches that do not fit DRAM, zero bandwidths, absurd arrays) are
/// cases of the bad-input corpus (tests/bad-inputs/manifest.json, "limits: ..." and the huge-* files).
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Limits")]
public class ResourceLimitTests : CliTestBase
{
    private const string InfiniteLoop = ".engine cpu\n    loop 4294967295\n    nop\n    endloop\n    end\n";

    [TestCase("--max-events", "200000", "antoum: error: run did not finish: the event limit (200000 events) was reached")]
    [TestCase("--max-time", "20us", "antoum: error: run did not finish: the simulated-time limit (20000000 ps) was reached")]
    public void HugeBuiltInBatchStopsAtTheLimit(string option, string value, string firstLine)
    {
        AssertStops(firstLine, "run", "--workload", "gemm-small", "--batch", "40000000", option, value, "--out", Path.Combine(Dir, "out"));
    }

    [TestCase("--max-cycles", "5000", "antoum: error: watchdog: the run reached --max-cycles 5000 ")]
    [TestCase("--max-time", "10us", "antoum: error: watchdog: the run reached --max-time 10us (9000 core cycles) ")]
    [TestCase("--max-events", "1000", "antoum: error: the run reached --max-events 1000 ")]
    public void NetworkRunStopsAtTheLimit(string option, string value, string firstLine)
    {
        AssertStops(firstLine, "run", "--workload", "resnet50", "--batch", "2000", option, value, "--out", Path.Combine(Dir, "out"));
    }

    [TestCase("--max-cycles", "1000000", "antoum: error: watchdog: the run reached --max-cycles 1000000 ")]
    [TestCase("--max-time", "1ms", "antoum: error: watchdog: the run reached --max-time 1ms (900000 core cycles) ")]
    public void EndlessProgramStopsAtTheWatchdog(string option, string value, string firstLine)
    {
        string program = Write("endless.s", InfiniteLoop);
        AssertStops(firstLine, "run", "--program", program, option, value, "--out", Path.Combine(Dir, "out"));
    }

    [Test]
    public void SmallestArrayRunsToTheEnd()
    {
        // A 1x1 systolic array: every fold is tiny, the run is long in simulated time but not in events.
        var clock = Stopwatch.StartNew();
        (int code, _, string stderr) = Run("run", "--set", "chip.spu.rows=1", "--set", "chip.spu.cols=1", "--workload", "mobilenet-v2", "--out", Path.Combine(Dir, "out"), "-q");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(60));
    }

    private void AssertStops(string firstLine, params string[] args)
    {
        var clock = Stopwatch.StartNew();
        (int code, string stdout, string stderr) = Run(args);
        clock.Stop();
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr, Does.StartWith(firstLine));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(Directory.GetFileSystemEntries(Dir).Where(e => !e.EndsWith(".s", StringComparison.Ordinal)), Is.Empty, "no output folder is left behind");
        Assert.That(clock.Elapsed.TotalSeconds, Is.LessThan(60), "the limit bounds the wall time");
    }
}
