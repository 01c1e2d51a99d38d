using Antoum.Tests.Cli;
using NUnit.Framework;

namespace Antoum.Tests.Reporting;

[TestFixture]
[Category("Quick")]
[Category("Reporting")]
public class DiffTests : CliTestBase
{
    [Test]
    public void DiffNamesTheChangedKeyAndTheMetricChangesAndWritesAChart()
    {
        string a = Path.Combine(Dir, "a"), b = Path.Combine(Dir, "b"), chart = Path.Combine(Dir, "chart");
        Assert.That(Run("run", "-w", "gemm-small", "--quiet", "--out", a).Code, Is.Zero);
        Assert.That(Run("run", "-w", "gemm-small", "--set", "chip.spu.rows=32", "--quiet", "--out", b).Code, Is.Zero);
        (int code, string stdout, string err) = Run("diff", a, b, "--chart", chart);
        Assert.That(code, Is.Zero, err);
        Assert.That(stdout, Does.Contain("configuration: 1 key(s) changed").And.Match(@"chip\.spu\.rows +16 -> 32"));
        Assert.That(stdout, Does.Match(@"results\.samplesPerSecond +[0-9.e+]+ +[0-9.e+]+ +[+-][0-9.]+%"));
        Assert.That(stdout, Does.Contain("utilization.spu").And.Contain("power.averageWatts").And.Contain("results.dramBandwidthBytesPerSecond"));
        PlotAssert.IsSvg(chart + ".svg");
        PlotAssert.IsPng(chart + ".png");

        (code, stdout, _) = Run("diff", a, a, "--chart", chart);
        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Contain("configuration: no key changed"));
    }

    [Test]
    public void DiffOfAFolderWithoutSummaryIsAUserError()
    {
        (int code, _, string err) = Run("diff", Dir, Dir, "--chart", Path.Combine(Dir, "c"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("summary.json: not found"));
    }

    [TestCase(100.0, 100.0, "0%")]
    [TestCase(100.0, 99.99, "0.0%")]
    [TestCase(100.0, 100.01, "0.0%")]
    [TestCase(100.0, 99.9, "-0.1%")]
    [TestCase(100.0, 112.34, "+12.3%")]
    [TestCase(-50.0, -25.0, "+50.0%")]
    [TestCase(0.0, 3.0, "new")]
    public void ChangeColumnHasOneSignAndRoundsTinyChangesToZero(double a, double b, string expected)
    {
        Assert.That(Antoum.Sim.Cli.DiffCommand.Change(a, b), Is.EqualTo(expected));
    }
}
