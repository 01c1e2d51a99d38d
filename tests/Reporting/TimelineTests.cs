using System.Xml;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using Antoum.Sim.Stats;
using Antoum.Tests.Cli;
using NUnit.Framework;

namespace Antoum.Tests.Reporting;

[TestFixture]
[Category("Quick")]
[Category("Reporting")]
public class TimelineTests : CliTestBase
{
    private const string Kernel = ".const N = 65536\n.engine dma.0\n copy l2[0], dram[0], N\n signal t0\n.engine vpu.0\n wait t0\n vop relu, l2[0x20000], l2[0], l2[0], N, int8\n";

    private static CardParameters S4() => CardParameters.FromConfig(ConfigLoader.Load("S4").Config);

    private static NetworkRunResult Network(bool timeline, int batch = 1) =>
        NetworkRun.Run(S4(), Antoum.Firmware.Workloads.Networks.All[0], batch, null, ulong.MaxValue, ulong.MaxValue, null, timeline);

    [Test]
    public void BinsSumToTheCountersAndBusyTotals()
    {
        NetworkRunResult r = Network(timeline: true);
        TimelineSampler t = r.Model.Timeline!;
        Assert.That(t.BinCount, Is.GreaterThan(0).And.LessThanOrEqualTo(TimelineSampler.MaxBins));
        for (int l = 0; l < t.Levels.Count; l++)
        {
            long sum = 0;
            for (int bin = 0; bin < t.BinCount; bin++)
            {
                sum += t.Bytes(bin, l);
            }

            long total = 0;
            foreach (Counter c in t.LevelCounters[l])
            {
                total += c.Value;
            }

            Assert.That(sum, Is.EqualTo(total), t.Levels[l]);
        }

        for (int b = 0; b < t.Blocks.Count; b++)
        {
            Assert.That(TimelineCsv.BusyTotal(t, b), Is.EqualTo(t.Blocks[b].BusyPs()), t.Blocks[b].Name);
        }

        Assert.That(t.Levels, Does.Contain("dram").And.Contain("pcie"));
    }

    [Test]
    public void ALongRunEndsWithAtMost400BinsOfEqualWidth()
    {
        // Batch 8 (two samples per cluster, ~0.7 ms): longer than 400 initial bins of 1 us, so the bins must widen
        // (batch 1 takes 0.39 ms since weight prefetch).
        TimelineSampler t = Network(timeline: true, batch: 8).Model.Timeline!;
        Assert.That(t.BinPs, Is.GreaterThan(TimelineSampler.InitialBinPs));
        Assert.That(t.BinCount, Is.LessThanOrEqualTo(TimelineSampler.MaxBins));
        Assert.That(t.BinStart(0), Is.Zero);
        for (int bin = 0; bin < t.BinCount; bin++)
        {
            Assert.That(t.BinEnd(bin) - t.BinStart(bin), bin == t.BinCount - 1 ? Is.LessThanOrEqualTo(t.BinPs) : Is.EqualTo(t.BinPs));
            Assert.That(bin == 0 || t.BinStart(bin) == t.BinEnd(bin - 1), Is.True);
        }

        string csv = TimelineCsv.Format(t);
        TimelineTable table = TimelineCsv.Parse(csv, "timeline.csv");
        foreach (double[] row in table.Values)
        {
            for (int i = 0; i < table.Columns.Count; i++)
            {
                if (table.Columns[i].StartsWith("util_", StringComparison.Ordinal))
                {
                    Assert.That(row[i], Is.InRange(0.0, 1.0));
                }
            }
        }
    }

    [Test]
    public void TheSamplerDoesNotChangeTheRun()
    {
        NetworkRunResult with = Network(timeline: true);
        NetworkRunResult without = Network(timeline: false);
        Assert.That(with.Model.Sim.BackgroundEventsExecuted, Is.GreaterThan(0UL));
        Assert.That(with.Summary.SimulatedPs, Is.EqualTo(without.Summary.SimulatedPs));
        Assert.That(with.Summary.Events, Is.EqualTo(without.Summary.Events));
        Assert.That(with.Summary.Engines, Is.EqualTo(without.Summary.Engines));
        Assert.That(with.Model.Sim.Now, Is.EqualTo(without.Model.Sim.Now));
        Assert.That(with.Model.Sim.Stats.FormatText(with.Model.Sim.Now), Is.EqualTo(without.Model.Sim.Stats.FormatText(without.Model.Sim.Now)));

        AkpProgram program = Assembler.Assemble(Kernel, "k.s");
        ProgramSummary a = ProgramRunner.Run(ProgramRunner.Build(S4(), program, "k.s", timeline: true), ulong.MaxValue, ulong.MaxValue);
        ProgramSummary b = ProgramRunner.Run(ProgramRunner.Build(S4(), program, "k.s"), ulong.MaxValue, ulong.MaxValue);
        Assert.That(a.SimulatedPs, Is.EqualTo(b.SimulatedPs));
        Assert.That(a.Events, Is.EqualTo(b.Events));
        Assert.That(a.Engines, Is.EqualTo(b.Engines));
    }

    [Test]
    public void ADeadlockIsStillReportedWithTheSampler()
    {
        AkpProgram program = Assembler.Assemble(".engine dma.0\n copy l2[0], dram[0], 65536\n.engine spu.1.2\n wait t9\n", "dead.s");
        string Message(bool timeline)
        {
            ProgramModel model = ProgramRunner.Build(S4(), program, "dead.s", timeline);
            var e = Assert.Throws<SimulationStoppedException>(() => ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue))!;
            Assert.That(model.Sim.PendingEvents, Is.Zero);
            return e.Message;
        }

        string with = Message(true);
        Assert.That(with, Does.Contain("deadlock"));
        Assert.That(with, Is.EqualTo(Message(false)));
    }

    [Test]
    public void TheTimelineIsDeterministic()
    {
        Assert.That(TimelineCsv.Format(Network(true).Model.Timeline!), Is.EqualTo(TimelineCsv.Format(Network(true).Model.Timeline!)));
    }

    [Test]
    public void RunPlotsWritesSvgPngAndReportAndPlotRedrawsThemIdentically()
    {
        string outDir = Path.Combine(Dir, "out");
        (int code, _, string err) = Run("run", "-w", "resnet50", "--plots", "--quiet", "--out", outDir);
        Assert.That(code, Is.Zero, err);
        Assert.That(File.Exists(Path.Combine(outDir, "timeline.csv")), Is.True);
        string[] charts = ["bandwidth", "layers", "power", "power-breakdown", "roofline", "utilization"];
        var names = new List<string> { "report.html" };
        foreach (string c in charts)
        {
            names.Add("plots/" + c + ".svg");
            names.Add("plots/" + c + ".png");
        }

        var first = new Dictionary<string, byte[]>();
        foreach (string n in names)
        {
            string path = Path.Combine(outDir, n);
            if (n.EndsWith(".svg", StringComparison.Ordinal))
            {
                PlotAssert.IsSvg(path);
            }
            else if (n.EndsWith(".png", StringComparison.Ordinal))
            {
                PlotAssert.IsPng(path);
            }

            first[n] = File.ReadAllBytes(path);
        }

        Directory.Delete(Path.Combine(outDir, "plots"), true);
        File.Delete(Path.Combine(outDir, "report.html"));
        (code, _, err) = Run("plot", outDir);
        Assert.That(code, Is.Zero, err);
        foreach (string n in names)
        {
            Assert.That(File.ReadAllBytes(Path.Combine(outDir, n)), Is.EqualTo(first[n]), n);
        }
    }

    [Test]
    public void PlotNamesTheFileAndLineOfAMalformedCsv()
    {
        Write("timeline.csv", "# c\nstart_ps,end_ps,util_spu\n0,1000,0.5\n1000,2000,abc\n");
        (int code, _, string err) = Run("plot", Dir);
        Assert.That(code, Is.Not.Zero);
        Assert.That(err, Does.Contain("timeline.csv:4"));
        (code, _, err) = Run("plot", Path.Combine(Dir, "missing"));
        Assert.That(code, Is.Not.Zero);
        Assert.That(err, Does.Contain("timeline.csv"));
    }
}
