using Antoum.Sim.Power;
using Antoum.Sim.Stats;
using NUnit.Framework;

namespace Antoum.Tests.Energy;

[TestFixture]
[Category("Quick")]
[Category("Power")]
public class PowerModelTests
{
    private const ulong Microsecond = 1_000_000UL;

    private static string EnergyFile => Path.Combine(AppContext.BaseDirectory, "configs", "energy", EnergyTable.DefaultFileName);

    /// <summary>One SPU that issued a known matmul, one DMA copy through DRAM and L2, one SPU block busy half the time.</summary>
    private static StatRegistry KnownRun(ulong elapsedPs)
    {
        var reg = new StatRegistry();
        reg.Counter("chip0.cluster0.spu0.issuedMacs", "MAC", "slots").Value = 64 * 64 * 64;
        reg.Counter("chip0.cluster0.spu0.l1.bank0.bytes", "B", "l1").Value = 3 * 64 * 64;
        reg.Counter("chip0.cluster0.l2.bank0.bytes", "B", "l2").Value = 8192;
        reg.Counter("chip0.cluster0.dram.device.bytesRead", "B", "read").Value = 4096;
        reg.Counter("chip0.cluster0.dram.device.bytesWritten", "B", "written").Value = 4096;
        reg.Counter("chip0.cluster0.dram.bytes", "B", "interface bytes, not counted twice").Value = 8192;
        reg.Counter("chip0.noc.ring0to1.bytes", "B", "hop").Value = 1000;
        reg.Counter("chip0.pcieLink.up.bytes", "B", "pcie").Value = 100;
        reg.Counter("chip0.cluster0.vpu.busyCycles", "cycles", "vpu").Value = 10;
        reg.Block(new BlockActivity("chip0.cluster0.spu0", "spu", 900_000_000, () => elapsedPs / 2, () => 0, () => 0, () => 0));
        return reg;
    }

    [Test]
    public void EnergyOfAKnownRunIsTheTableTimesTheCounts()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile);
        ulong elapsed = 10 * Microsecond;
        PowerReport r = PowerModel.Estimate(KnownRun(elapsed), elapsed, chips: 1, vpuLanes: 448, tdpMilliwatts: 70_000, samples: 2, t);

        double pj = 1e-12;
        double macs = 64.0 * 64 * 64;
        double expectedDynamic =
            (macs * t.Int8MacPj)
            + (macs / t.MacGroupSize * t.SparseDecodePerGroupPj)
            + (3 * 64 * 64 * t.L1ReadPerBytePj)
            + (8192 * t.L2ReadPerBytePj)
            + (8192 * t.DramPerBytePj)
            + (1000 * t.NocPerByteHopPj)
            + (100 * t.PciePerBytePj)
            + (10 * 448 * t.VpuPerElementOpPj)
            + (t.ClockMilliwatts["spu"] * 1e-3 * ((elapsed / 2) + (t.GatedResidualFraction * (elapsed / 2))));
        Assert.That(r.DynamicJoules, Is.EqualTo(expectedDynamic * pj).Within(1e-9).Percent);
        Assert.That(r.Items.Single(i => i.Category == "dram").Joules, Is.EqualTo(8192 * t.DramPerBytePj * pj).Within(1e-9).Percent);
        Assert.That(r.JoulesPerSample, Is.EqualTo(r.TotalJoules / 2).Within(1e-9).Percent);
        Assert.That(r.ByBlockClass().Sum(b => b.Joules), Is.EqualTo(r.TotalJoules).Within(1e-9).Percent);
    }

    [Test]
    public void StaticEnergyIsLeakagePowerTimesTime()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile);
        ulong elapsed = 1_000 * Microsecond;
        PowerReport r = PowerModel.Estimate(new StatRegistry(), elapsed, chips: 3, vpuLanes: 448, tdpMilliwatts: 250_000, samples: 1, t);
        Assert.That(r.StaticJoules, Is.EqualTo(3 * t.ChipLeakageMilliwatts * 1e-3 * 1e-3).Within(1e-9).Percent);
        Assert.That(r.StaticWatts, Is.EqualTo(3 * t.ChipLeakageMilliwatts * 1e-3).Within(1e-9).Percent);
        Assert.That(r.DynamicJoules, Is.Zero);
    }

    [Test]
    public void TdpFlagFlipsWhenTheEnergyTableMakesPowerExceedTdp()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile);
        ulong elapsed = 10 * Microsecond;
        PowerReport low = PowerModel.Estimate(KnownRun(elapsed), elapsed, 1, 448, 70_000, 1, t);
        Assert.That(low.ExceedsTdp, Is.False);
        Assert.That(low.ToConsoleLine(), Does.Contain("[TDP 70 W]"));

        EnergyTable hot = t with { DramPerBytePj = 1e8 };
        PowerReport high = PowerModel.Estimate(KnownRun(elapsed), elapsed, 1, 448, 70_000, 1, hot);
        Assert.That(high.AverageWatts, Is.GreaterThan(70));
        Assert.That(high.ExceedsTdp, Is.True);
        Assert.That(high.ToConsoleLine(), Does.Contain("EXCEEDED"));
    }

    [Test]
    public void EveryFigureInTheEnergyFileHasAProvenanceLabel()
    {
        List<(string Path, string? Label)> leaves = EnergyTable.Provenance(File.ReadAllText(EnergyFile));
        Assert.That(leaves, Has.Count.GreaterThan(15));
        Assert.That(leaves.Where(l => l.Label is null).Select(l => l.Path), Is.Empty);
    }

    [Test]
    public void CsvSharesSumToOneAndUseInvariantNumbers()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile);
        ulong elapsed = 10 * Microsecond;
        string csv = PowerModel.Estimate(KnownRun(elapsed), elapsed, 1, 448, 70_000, 1, t).ToCsv();
        string[] rows = csv.TrimEnd('\n').Split('\n');
        Assert.That(rows[0], Is.EqualTo("category,block_class,energy_j,share"));
        double shares = rows.Skip(1).Sum(r => double.Parse(r.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(shares, Is.EqualTo(1.0).Within(1e-4));
    }
}

[TestFixture]
[Category("Quick")]
[Category("Power")]
public class PowerCliTests : Antoum.Tests.Cli.CliTestBase
{
    [Test]
    public void GemmRunWritesPowerCsvSummaryAndConsoleLine()
    {
        string outDir = Path.Combine(Dir, "out");
        (int code, string stdout, string _) = Run("run", "--sku", "S4", "--workload", "mlp", "--out", outDir);
        Assert.That(code, Is.Zero);
        Assert.That(stdout, Does.Match(@"power +[0-9.]+ W average \([0-9.]+ W dynamic \+ [0-9.]+ W static\), [0-9.]+ mJ per sample, [0-9.]+ samples/s/W \[TDP 70 W\]"));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "power.csv")), Does.StartWith("category,block_class,energy_j,share\n"));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        System.Text.Json.JsonElement power = doc.RootElement.GetProperty("power");
        Assert.That(power.GetProperty("averageWatts").GetDouble(), Is.GreaterThan(0));
        Assert.That(power.GetProperty("exceedsTdp").GetBoolean(), Is.False);
    }
}
