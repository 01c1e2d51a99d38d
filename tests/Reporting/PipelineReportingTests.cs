using System.Text.Json;
using Antoum.Sim.Reporting;
using Antoum.Tests.Cli;
using NUnit.Framework;

namespace Antoum.Tests.Reporting;

[TestFixture]
[Category("Quick")]
[Category("Reporting")]
public class PipelineReportingTests : CliTestBase
{
    [TestCase("video-analytics", "--streams", "2", "--duration", "100ms")]
    [TestCase("jpeg-classify", "--frames", "8")]
    public void PipelineRunWritesTimelinePlotsAndReportWithBinsSummingToTheTotal(string workload, params string[] extra)
    {
        string outDir = Path.Combine(Dir, workload);
        (int code, _, string err) = Run(["run", "--sku", "S4", "-w", workload, .. extra, "--plots", "--quiet", "--out", outDir]);
        Assert.That(code, Is.Zero, err);

        TimelineTable t = TimelineCsv.Parse(File.ReadAllText(Path.Combine(outDir, "timeline.csv")), "timeline.csv");
        Assert.That(t.Columns, Does.Contain("util_codec").And.Contain("util_classifier").And.Contain("power_w"));
        Assert.That(t.Values, Is.Not.Empty);
        int pw = t.Columns.ToList().IndexOf("power_w");
        double binJoules = 0;
        for (int i = 0; i < t.Values.Count; i++)
        {
            binJoules += t.Values[i][pw] * (t.EndPs[i] - t.StartPs[i]) * 1e-12;
            foreach (string col in t.Columns.Where(c => c.StartsWith("util_", StringComparison.Ordinal)))
            {
                double u = t.Values[i][t.Columns.ToList().IndexOf(col)];
                Assert.That(u, Is.InRange(0.0, 1.0), col);
            }
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        JsonElement power = doc.RootElement.GetProperty("power");
        // timeline.csv rounds watts to 4 decimals; the bins hold the classifier's replayed energy as well.
        Assert.That(binJoules, Is.EqualTo(power.GetProperty("totalJoules").GetDouble()).Within(0.01).Percent);
        Assert.That(power.GetProperty("peakWatts").GetDouble(), Is.GreaterThanOrEqualTo(power.GetProperty("averageWatts").GetDouble()));

        foreach (string chart in new[] { "utilization", "power", "power-breakdown" })
        {
            PlotAssert.IsSvg(Path.Combine(outDir, "plots", chart + ".svg"));
            PlotAssert.IsPng(Path.Combine(outDir, "plots", chart + ".png"));
        }

        string html = File.ReadAllText(Path.Combine(outDir, "report.html"));
        Assert.That(html, Does.StartWith("<!DOCTYPE html>").IgnoreCase.And.Contain("src=\"data:image/svg+xml;base64,"));
        Assert.That(html, Does.Not.Contain("src=\"http"), "self-contained");

        // antoum plot redraws from the folder without simulating.
        string before = File.ReadAllText(Path.Combine(outDir, "plots", "power.svg"));
        (code, _, err) = Run("plot", outDir);
        Assert.That(code, Is.Zero, err);
        Assert.That(File.ReadAllText(Path.Combine(outDir, "plots", "power.svg")), Is.EqualTo(before));
    }

    [Test]
    public void PipelineTraceHasAStageTrackPerUnitWithoutOverlapAndLeavesOtherOutputsUnchanged()
    {
        string plain = Path.Combine(Dir, "va-plain");
        string traced = Path.Combine(Dir, "va-traced");
        (int code, _, string err) = Run("run", "--sku", "S4", "-w", "video-analytics", "--streams", "3", "--duration", "100ms", "--quiet", "--out", plain);
        Assert.That(code, Is.Zero, err);
        (code, _, err) = Run("run", "--sku", "S4", "-w", "video-analytics", "--streams", "3", "--duration", "100ms", "--quiet", "--trace", "--out", traced);
        Assert.That(code, Is.Zero, err);

        var trace = TraceFile.Read(Path.Combine(traced, "trace.json"));
        Assert.That(trace.SpanNames, Is.EquivalentTo(new[] { "vdec", "vop", "matmul" }));
        Assert.That(trace.Spans, Has.Count.GreaterThanOrEqualTo(3 + 1 + 1), "three decoder units, a preprocess and the classifier");
        trace.AssertNoOverlap();

        foreach (string f in new[] { "frames.csv", "streams.csv", "blocks.csv", "timeline.csv", "power.csv" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(traced, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(plain, f))), f);
        }
    }
}
