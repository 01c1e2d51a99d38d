using System.Xml;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Power;
using Antoum.Sim.Reporting;
using Antoum.Tests.Cli;
using NUnit.Framework;

namespace Antoum.Tests.Reporting;

/// <summary>Checks that a written chart is a valid image.</summary>
public static class PlotAssert
{
    public static void IsSvg(string path)
    {
        var doc = new XmlDocument { XmlResolver = null };
        using (var reader = XmlReader.Create(path, new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }))
        {
            doc.Load(reader);
        }

        Assert.That(doc.DocumentElement!.LocalName, Is.EqualTo("svg"), path);
    }

    public static void IsPng(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(bytes.AsSpan(0, 8).ToArray(), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), path);
        using SkiaSharp.SKBitmap? bitmap = SkiaSharp.SKBitmap.Decode(bytes);
        Assert.That(bitmap, Is.Not.Null, path + " does not decode");
        Assert.That((bitmap!.Width, bitmap.Height), Is.EqualTo((Plots.Width, Plots.Height)), path);
    }
}

[TestFixture]
[Category("Quick")]
[Category("Reporting")]
public class PlotsReportTests : CliTestBase
{
    private const string Timeline = "# hand-written\nstart_ps,end_ps,util_spu,util_dma,dram_bytes_per_s,power_w\n0,1000000,0.5,0.25,1000000000,20\n1000000,2000000,1,0.5,2000000000,30.5\n";
    private const string PowerCsv = "category,block_class,energy_j,share\nmac.int8,spu,0.001,0.5\nstatic,chip,0.001,0.5\n";

    private static string LayersCsvText => LayersCsv.Header + "\nconv1,0,1000000,900,800,100,0,0,1000000,20000,spu\nfc,1000000,2000000,900,10,800,0,0,500,0,dma\n";

    private const string Summary = "{\"format\":\"antoumsim.summary/1\",\"provenance\":{\"workload\":\"<no such workload>\"},\"results\":{\"clockHz\":900000000,\"roofs\":{\"peakOpsPerSecond\":1e13,\"dramBytesPerSecond\":8e10}},\"power\":{\"averageWatts\":25,\"tdpWatts\":70}}\n";

    [Test]
    public void PlotRedrawsAHandWrittenFolderWithoutSimulating()
    {
        // The folder holds no configuration, program or known workload: 'antoum plot' can only read its files.
        Write("timeline.csv", Timeline);
        Write("layers.csv", LayersCsvText);
        Write("power.csv", PowerCsv);
        Write("summary.json", Summary);
        (int code, string stdout, string err) = Run("plot", Dir);
        Assert.That(code, Is.Zero, err);
        foreach (string c in new[] { "utilization", "bandwidth", "power", "power-breakdown", "layers", "roofline" })
        {
            PlotAssert.IsSvg(Path.Combine(Dir, "plots", c + ".svg"));
            PlotAssert.IsPng(Path.Combine(Dir, "plots", c + ".png"));
        }

        Assert.That(stdout, Does.Contain("report.html"));
        Assert.That(Directory.GetFiles(Dir).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Is.EqualTo(new[] { "layers.csv", "power.csv", "report.html", "summary.json", "timeline.csv" }), "no other output (no stats.txt: nothing was simulated)");
    }

    [Test]
    public void ReportIsSelfContainedAndHasTheTablesAndCharts()
    {
        var input = new PlotInputs(Timeline, LayersCsvText, PowerCsv, Summary);
        string html = System.Text.Encoding.UTF8.GetString(Plots.RenderFolder(input)["report.html"]);
        Assert.That(html, Does.StartWith("<!DOCTYPE html>"));
        Assert.That(html, Does.Not.Contain("http://").And.Not.Contain("https://").And.Not.Contain("<script"));
        Assert.That(System.Text.RegularExpressions.Regex.Count(html, "data:image/svg\\+xml;base64,"), Is.EqualTo(6));
        Assert.That(html, Does.Contain("<td>conv1</td>").And.Contain("<td>mac.int8</td>").And.Contain("&lt;no such workload&gt;"));
        int i = html.IndexOf("base64,", StringComparison.Ordinal) + "base64,".Length;
        string svg = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(html[i..html.IndexOf('"', i)]));
        var doc = new XmlDocument { XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(svg), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
        doc.Load(reader);
        Assert.That(doc.DocumentElement!.LocalName, Is.EqualTo("svg"));
    }

    [Test]
    public void GemmStreamRunWritesTimelineWithPowerAndPlots()
    {
        string outDir = Path.Combine(Dir, "gemm");
        (int code, _, string err) = Run("run", "--sku", "S4", "-w", "gemm-small", "--plots", "--quiet", "--out", outDir);
        Assert.That(code, Is.Zero, err);
        TimelineTable t = TimelineCsv.Parse(File.ReadAllText(Path.Combine(outDir, "timeline.csv")), "timeline.csv");
        Assert.That(t.Columns, Does.Contain("util_spu").And.Contain("power_w").And.Contain("dram_bytes_per_s"));
        PlotAssert.IsPng(Path.Combine(outDir, "plots", "power.png"));
        Assert.That(File.Exists(Path.Combine(outDir, "report.html")), Is.True);
    }

    [Test]
    public void PerBinActionsSumToTheRunTotalsAndPeakIsTheHighestBin()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4").Config);
        NetworkRunResult r = NetworkRun.Run(p, Antoum.Firmware.Workloads.Networks.All[0], 1, null, ulong.MaxValue, ulong.MaxValue, null, timeline: true);
        TimelineSampler t = r.Model.Timeline!;
        EnergyCounters counters = EnergyCounters.From(r.Model.Sim.Stats);
        for (int c = 0; c < EnergyCounters.Count; c++)
        {
            long sum = 0;
            for (int bin = 0; bin < t.BinCount; bin++)
            {
                sum += t.Actions(bin, c);
            }

            Assert.That(sum, Is.EqualTo(counters.Total(c)), EnergyCounters.Name(c));
        }

        var ctx = new PowerContext(p.Chips, p.Chips * p.Clusters, p.VpuLanes, p.TdpMilliwatts);
        PowerReport report = PowerModel.Estimate(r.Model.Sim.Stats, r.Summary.SimulatedPs, ctx, 1, EnergyTable.Load(), t);
        Assert.That(report.BinWatts, Has.Count.EqualTo(t.BinCount));
        Assert.That(report.PeakWatts, Is.EqualTo(report.BinWatts.Max()));
        Assert.That(report.PeakWatts, Is.GreaterThanOrEqualTo(report.IdleWatts));
        Assert.That(report.BinWatts.Min(), Is.GreaterThanOrEqualTo(report.IdleWatts * 0.999));
    }
}
