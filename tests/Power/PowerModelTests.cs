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

    /// <summary>One SPU that issued a known INT8 and BF16 matmul (part on N:M weights), DMA copies through DRAM, L2 and L1, SFA exps, one SPU block busy half the time.</summary>
    private static StatRegistry KnownRun(ulong elapsedPs)
    {
        var reg = new StatRegistry();
        reg.Counter("chip0.cluster0.spu0.issuedMacs", "MAC", "slots (not charged: the per-precision counters are)").Value = 64 * 64 * 64;
        reg.Counter("chip0.cluster0.spu0.issuedMacsInt8", "MAC", "int8").Value = 64 * 64 * 64;
        reg.Counter("chip0.cluster0.spu0.issuedMacsBf16", "MAC", "bf16").Value = 1000;
        reg.Counter("chip0.cluster0.spu0.issuedMacsNofm", "MAC", "nofm").Value = 3200;
        reg.Counter("chip0.cluster0.spu0.l1.bank0.bytes", "B", "bank bytes (not charged: the read/write counters are)").Value = 3 * 64 * 64;
        reg.Counter("chip0.cluster0.spu0.l1.bytesWritten", "B", "l1 written").Value = 2 * 64 * 64;
        reg.Counter("chip0.cluster0.spu0.l1OperandReadBytes", "B", "l1 read").Value = 5000;
        reg.Counter("chip0.cluster0.l2.bytesRead", "B", "l2 read").Value = 8192;
        reg.Counter("chip0.cluster0.l2.bytesWritten", "B", "l2 written").Value = 1024;
        reg.Counter("chip0.cluster0.dram.device.bytesRead", "B", "device read (not charged: the interface counts)").Value = 4096;
        reg.Counter("chip0.cluster0.dram.bytes", "B", "interface bytes").Value = 8192;
        reg.Counter("chip0.noc.ring0to1.bytes", "B", "hop").Value = 1000;
        reg.Counter("chip0.pcieLink.up.bytes", "B", "pcie").Value = 100;
        reg.Counter("chip0.cluster0.vpu.busyCycles", "cycles", "vpu busy (not charged: the element-op counters are)").Value = 10;
        reg.Counter("chip0.cluster0.vpu.elementOps.add.int8", "count", "vpu").Value = 4480;
        reg.Counter("chip0.cluster0.vpu.elementOps.mul.bf16", "count", "vpu").Value = 300;
        reg.Counter("chip0.cluster0.vpu.elementOps.max.bf16", "count", "vpu").Value = 70;
        reg.Counter("chip0.cluster0.vpu.elementOps.gather", "count", "vpu").Value = 9;
        reg.Counter("chip0.cluster0.sfa.elements.exp", "count", "exp").Value = 700;
        reg.Block(new BlockActivity("chip0.cluster0.spu0", "spu", 900_000_000, () => elapsedPs / 2, () => 0, () => 0, () => 0));
        return reg;
    }

    private static PowerContext Ctx(int chips = 1, int drams = 4, ulong tdp = 70_000) => new(chips, drams, 448, tdp);

    [Test]
    public void EnergyOfAKnownRunIsTheTableTimesTheCounts()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile) with { DynamicOverheadFactor = 1.0 };
        ulong elapsed = 10 * Microsecond;
        PowerReport r = PowerModel.Estimate(KnownRun(elapsed), elapsed, Ctx(), samples: 2, t);

        double pj = 1e-12;
        double macs = 64.0 * 64 * 64;
        double expectedDynamic =
            (macs * t.Int8MacPj)
            + (1000 * t.Bf16MacPj)
            + (3200 / t.MacGroupSize * t.SparseDecodePerGroupPj["nofm"])
            + (2 * 64 * 64 * t.L1WritePerBytePj) + (5000 * t.L1ReadPerBytePj)
            + (8192 * t.L2ReadPerBytePj) + (1024 * t.L2WritePerBytePj)
            + (8192 * t.DramPerBytePj)
            + (1000 * t.NocPerByteHopPj)
            + (100 * t.PciePerBytePj)
            + (4480 * t.VpuPerElementPj["int8"]["add"]) + (300 * t.VpuPerElementPj["bf16"]["mul"]) + (70 * t.VpuPerElementPj["bf16"]["max"])
            + (9 * t.VpuGatherPerElementPj)
            + (700 * t.SfaPerElementPj["exp"])
            + (t.ClockMilliwatts["spu"] * 1e-3 * ((elapsed / 2) + (t.GatedResidualFraction * (elapsed / 2))));
        double expectedStatic = ((t.ChipLeakageMilliwatts + (4 * t.DramBackgroundPerInterfaceMilliwatts)) * 1e-3 * elapsed);
        Assert.That(r.DynamicJoules, Is.EqualTo(expectedDynamic * pj).Within(1e-9).Percent);
        Assert.That(r.StaticJoules, Is.EqualTo(expectedStatic * pj).Within(1e-9).Percent);
        Assert.That(r.OnBoardJoules, Is.EqualTo((expectedDynamic + expectedStatic) * pj).Within(1e-9).Percent);
        Assert.That(r.TotalJoules, Is.EqualTo((expectedDynamic + expectedStatic) * pj / t.BoardEfficiency).Within(1e-9).Percent);
        Assert.That(r.Items.Single(i => i.Category == "dram").Joules, Is.EqualTo(8192 * t.DramPerBytePj * pj).Within(1e-9).Percent);
        Assert.That(r.Items.Single(i => i.Category == "mac.bf16").Joules, Is.EqualTo(1000 * t.Bf16MacPj * pj).Within(1e-9).Percent);
        Assert.That(r.Items.Single(i => i.Category == "decode.bitmap").Joules, Is.Zero);
        Assert.That(r.Items.Single(i => i.Category == "vpu.mul.bf16").Joules, Is.EqualTo(300 * t.VpuPerElementPj["bf16"]["mul"] * pj).Within(1e-9).Percent);
        Assert.That(r.Items.Single(i => i.Category == "vpu.add.int8").Joules, Is.EqualTo(4480 * t.VpuPerElementPj["int8"]["add"] * pj).Within(1e-9).Percent);
        Assert.That(r.JoulesPerSample, Is.EqualTo(r.TotalJoules / 2).Within(1e-9).Percent);
    }

    [Test]
    public void PerBlockEnergiesSumToTheTotal()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile);
        ulong elapsed = 10 * Microsecond;
        PowerReport r = PowerModel.Estimate(KnownRun(elapsed), elapsed, Ctx(), samples: 2, t);
        Assert.That(r.ByBlockClass().Sum(b => b.Joules), Is.EqualTo(r.TotalJoules).Within(1e-9).Percent);
        Assert.That(r.Items.Sum(i => i.Joules), Is.EqualTo(r.TotalJoules).Within(1e-9).Percent);
        Assert.That(r.BoardJoules, Is.EqualTo(r.OnBoardJoules * ((1 / t.BoardEfficiency) - 1)).Within(1e-9).Percent);
    }

    [Test]
    public void ClosedFormWorkloadOfMacsAndDramBytesIsTheTableArithmetic()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile);
        var reg = new StatRegistry();
        const long N = 1_000_000_000, M = 50_000_000;
        reg.Counter("chip0.cluster1.spu2.issuedMacsInt8", "MAC", "n").Value = N;
        reg.Counter("chip0.cluster1.dram.bytesRead", "B", "m").Value = M;
        PowerReport r = PowerModel.Estimate(reg, 0, Ctx(drams: 0), samples: 1, t);
        Assert.That(r.TotalJoules, Is.EqualTo(((N * t.Int8MacPj * t.DynamicOverheadFactor) + (M * t.DramPerBytePj)) * 1e-12 / t.BoardEfficiency).Within(1e-9).Percent);
        Assert.That(r.UncalibratedJoules, Is.EqualTo(((N * t.Int8MacPj) + (M * t.DramPerBytePj)) * 1e-12 / t.BoardEfficiency).Within(1e-9).Percent);
    }

    [Test]
    public void PowerOfAnIdleChipEqualsTheStaticFigure()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile);
        ulong elapsed = 1_000 * Microsecond;
        var reg = new StatRegistry();
        reg.Block(new BlockActivity("chip0.cluster0.spu0", "spu", 900_000_000, () => 0, () => 0, () => 0, () => 0));
        reg.Block(new BlockActivity("chip0.cluster0.dma0", "dma", 900_000_000, () => 0, () => 0, () => 0, () => 0));
        PowerReport r = PowerModel.Estimate(reg, elapsed, Ctx(chips: 3, drams: 12, tdp: 250_000), samples: 1, t);
        double staticMw = (3 * t.ChipLeakageMilliwatts) + (12 * t.DramBackgroundPerInterfaceMilliwatts)
            + ((t.ClockMilliwatts["spu"] + t.ClockMilliwatts["dma"]) * t.GatedResidualFraction);
        Assert.That(r.AverageWatts, Is.EqualTo(staticMw * 1e-3 / t.BoardEfficiency).Within(1e-9).Percent);
        Assert.That(r.IdleWatts, Is.EqualTo(r.AverageWatts).Within(1e-9).Percent);
        Assert.That(r.PeakWatts, Is.EqualTo(r.AverageWatts).Within(1e-9).Percent);
    }

    [Test]
    public void TdpFlagFlipsWhenTheEnergyTableMakesPowerExceedTdp()
    {
        EnergyTable t = EnergyTable.Load(EnergyFile);
        ulong elapsed = 10 * Microsecond;
        PowerReport low = PowerModel.Estimate(KnownRun(elapsed), elapsed, Ctx(), 1, t);
        Assert.That(low.ExceedsTdp, Is.False);
        Assert.That(low.ToConsoleLine(), Does.Contain("[TDP 70 W]"));

        EnergyTable hot = t with { DramPerBytePj = 1e8 };
        PowerReport high = PowerModel.Estimate(KnownRun(elapsed), elapsed, Ctx(), 1, hot);
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
        string csv = PowerModel.Estimate(KnownRun(elapsed), elapsed, Ctx(), 1, t).ToCsv();
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
        Assert.That(stdout, Does.Match(@"power +[0-9.]+ W average, [0-9.]+ W peak per bin \([0-9.]+ W dynamic \+ [0-9.]+ W static on board, / board efficiency 0.88; [0-9.]+ W uncalibrated, on-chip dynamic x [0-9.]+ calibration\), [0-9.]+ mJ per sample, [0-9.]+ samples/s/W \[TDP 70 W\]"));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "power.csv")), Does.StartWith("category,block_class,energy_j,share\n"));
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        System.Text.Json.JsonElement power = doc.RootElement.GetProperty("power");
        Assert.That(power.GetProperty("averageWatts").GetDouble(), Is.GreaterThan(0));
        Assert.That(power.GetProperty("exceedsTdp").GetBoolean(), Is.False);
    }
}

[TestFixture]
[Category("Quick")]
[Category("Power")]
public class VpuEnergyTests : Antoum.Tests.Cli.CliTestBase
{
    [Test]
    public void SoftmaxKernelChargesEachVpuOpClassAtItsBf16Energy()
    {
        // softmax_vpu.s: vreduce max, vop sub, vreduce sum (an add), vop scale, each over LEN = 4096 BF16 elements.
        string root = Antoum.Tests.Isa.KernelTests.RepoRoot() ?? throw new InvalidOperationException("repository root (AntoumSim.sln) not found");
        string outDir = Path.Combine(Dir, "softmax");
        (int code, _, string err) = Run("run", "--sku", "S4", "--program", Path.Combine(root, "firmware", "kernels", "softmax_vpu.s"), "--quiet", "--out", outDir);
        Assert.That(code, Is.Zero, err);
        EnergyTable t = EnergyTable.Load();
        var joules = new Dictionary<string, double>();
        foreach (string row in File.ReadAllText(Path.Combine(outDir, "power.csv")).TrimEnd('\n').Split('\n').Skip(1))
        {
            string[] cells = row.Split(',');
            joules[cells[0]] = double.Parse(cells[2], System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (string op in new[] { "max", "sub", "add", "scale" })
        {
            double expected = 4096 * t.VpuPerElementPj["bf16"][op] * t.DynamicOverheadFactor * 1e-12;
            Assert.That(joules["vpu." + op + ".bf16"], Is.EqualTo(expected).Within(1e-6).Percent, op);
        }

        foreach (string op in new[] { "mul", "min", "relu", "copy" })
        {
            Assert.That(joules["vpu." + op + ".bf16"], Is.Zero, op);
            Assert.That(joules["vpu." + op + ".int8"], Is.Zero, op);
        }
    }
}
