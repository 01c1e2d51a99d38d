using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using NUnit.Framework;

namespace Antoum.Tests.Reporting;

[TestFixture]
[Category("Quick")]
[Category("Reporting")]
public class LayersCsvTests
{
    [Test]
    public void LayersTakeTheirSpanAndBusyFromTheEnginesSegmentsAndNameTheBottleneck()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4").Config);
        // Layer "load" is DMA work only; layer "compute" is a long matmul the DMA does not take part in.
        string text = ".engine dma.0\n copy l1.0[0], dram[0], 16384\n signal t0\n" +
                      ".engine spu.0.0\n wait t0\n matmul 64, 64, 512, l1[0], l1[0x8000], l1[0x9000], int8, fmt=bitmap:16 rq=1:0\n";
        AkpProgram program = Assembler.Assemble(text, "l.s");
        ProgramModel model = ProgramRunner.Build(p, program, "l.s");
        model.Engines[0].SetSegments([0, 2]); // dma: copy + signal are "load"; the implicit end starts "compute"
        model.Engines[1].SetSegments([0, 1]); // spu: the wait is "load"; the matmul is "compute"
        ProgramSummary s = ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue);
        List<LayerRow> rows = LayersCsv.Rows(["load", "compute"], [0, 64L * 64 * 512 / 16], model.Engines, p.ClockHz);

        Assert.That(rows[0].Bottleneck, Is.EqualTo("dma"));
        Assert.That(rows[1].Bottleneck, Is.EqualTo("spu"));
        Assert.That(rows[0].StartPs, Is.EqualTo(model.Engines[0].SegmentTimes(0).FirstPs));
        Assert.That(rows[1].EndPs, Is.EqualTo(s.SimulatedPs));
        Assert.That(rows[1].SpuBusy, Is.EqualTo(s.Engines[1].BusyCycles));
        Assert.That(rows[0].DmaBusy + rows[1].DmaBusy, Is.EqualTo(s.Engines[0].BusyCycles));
        string csv = LayersCsv.Format(rows);
        Assert.That(csv, Does.StartWith(LayersCsv.Header + "\nload,"));
    }
}
