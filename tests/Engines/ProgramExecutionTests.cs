using System.Numerics;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Engines;

[TestFixture]
[Category("Quick")]
[Category("Engines")]
public class ProgramExecutionTests
{
    private const ulong Ps = 1_000_000_000_000;

    // The shipped S4 numbers, restated here so the expected values are computed independently of the code.
    // The fabric tests model a DRAM interface as its bandwidth plus latency; DramDeviceTests cover the LPDDR4x path.
    private static CardParameters S4() => CardParameters.FromConfig(ConfigLoader.Load("S4", Antoum.Sim.Validation.Validator.Neutral()).Config) with { DramDevice = null };

    private static ulong Edge(ulong n, ulong f) => (ulong)(((BigInteger)n * Ps + f - 1) / f);

    private static ulong CycleAtOrAfter(ulong t, ulong f) => t == 0 ? 0 : (ulong)(((BigInteger)(t - 1) * f / Ps) + 1);

    private static ulong Ser(ulong bytes, ulong bw) => (ulong)(((BigInteger)bytes * Ps + bw - 1) / bw);

    private static ProgramSummary Run(string text, CardParameters? p = null, ulong maxCycles = ulong.MaxValue)
    {
        AkpProgram program = Assembler.Assemble(text, "test.s");
        ProgramModel model = ProgramRunner.Build(p ?? S4(), program, "test.s");
        return ProgramRunner.Run(model, maxCycles, ulong.MaxValue);
    }

    private static ulong Start(CardParameters p) => CycleAtOrAfter(p.LaunchOverheadPs, p.ClockHz);

    [Test]
    public void SparseMatmulTakesTheFoldFormulaOnTheReducedDepth()
    {
        // The binomial imbalance model (the shipped bitmap format is balanced since issue 6; this pins the binomial formula).
        // ws pinned (the shipped dataflow is os): the expected count below restates the ws mapping.
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4", [.. Antoum.Sim.Validation.Validator.Neutral(), "chip.spu.formats.bitmap.imbalance=binomial", "chip.spu.dataflow=ws"]).Config) with { DramDevice = null };
        ProgramSummary s = Run(".engine spu.0.0\n matmul 64, 64, 128, l1[0x0], l1[0x2000], l1[0x4000], int8, fmt=bitmap:4\n end\n", p);

        // Bitmap at 4x is unstructured: the 32 columns run in lockstep, so the reduction length is the expected
        // maximum of 32 Binomial(128, 1/4) counts: 32 + sqrt(128 * 1/4 * 3/4) * sqrt(2 ln 32) = 44.9 -> 45.
        // ws maps Sr = 45 (3 row folds of 16), Sc = N = 64 (2 column folds of 32), T = M = 64: 6 folds of
        // 2*16 + 32 + 64 - 2 = 126 cycles plus 2 bitmap decode cycles each, plus the pipeline latency.
        Assert.That(p.SpuDataflow, Is.EqualTo(Antoum.Sim.Blocks.Spu.SpuDataflow.Ws));
        Assert.That(Math.Ceiling(32 + (Math.Sqrt(24.0) * Math.Sqrt(2 * Math.Log(32)))), Is.EqualTo(45));
        ulong cycles = (6 * (126 + 2)) + (ulong)p.SpuPipelineLatency;
        Assert.That(p.SpuRows, Is.EqualTo(16));
        Assert.That(p.SpuCols, Is.EqualTo(32));
        Assert.That(s.SimulatedPs, Is.EqualTo(Edge(Start(p) + cycles, p.ClockHz)));
        Assert.That(s.Engines.Single().BusyCycles, Is.EqualTo((long)cycles));
    }

    [Test]
    public void Bf16MatmulRunsAtTheConfiguredFractionOfTheInt8Rate()
    {
        CardParameters p = S4();
        ProgramSummary int8 = Run(".engine spu.0.0\n matmul 32, 32, 64, l1[0x0], l1[0x1000], l1[0x2000], int8, fmt=dense\n");
        ProgramSummary bf16 = Run(".engine spu.0.0\n matmul 32, 32, 64, l1[0x0], l1[0x1000], l1[0x2000], bf16, fmt=dense\n");
        Assert.That(bf16.Engines[0].BusyCycles, Is.EqualTo(int8.Engines[0].BusyCycles * p.Bf16RateDivisor));
    }

    [Test]
    public void CountedLoopCostsOneCyclePerControlInstruction()
    {
        CardParameters p = S4();
        ProgramSummary s = Run(".engine vpu.1\n loop 10\n nop\n endloop\n end\n");

        // loop (1) + 10 x (nop 1 + endloop 1) = 21 cycles.
        Assert.That(s.SimulatedPs, Is.EqualTo(Edge(Start(p) + 21, p.ClockHz)));
        Assert.That(s.Engines[0].Instructions, Is.EqualTo(1 + (10 * 2) + 1));
    }

    [Test]
    public void VectorAndSpecialFunctionTimesMatchTheirRules()
    {
        CardParameters p = S4();
        const int Add = 0, Max = 3;
        ProgramSummary v = Run(".engine vpu.0\n vop add, l2[0], l2[0x10000], l2[0x20000], 10000, int8\n");
        Assert.That(v.Engines[0].BusyCycles, Is.EqualTo((((10000 + p.VpuLanes - 1) / p.VpuLanes) * p.VpuOpCycles[Add]) + p.VpuPipelineLatency));
        ProgramSummary r = Run(".engine vpu.0\n vreduce max, l2[0], l2[0x100], 4096, bf16\n");
        int group = p.VpuLanes / p.VpuBf16Factor;
        int log2 = (int)Math.Ceiling(Math.Log2(group));
        Assert.That(r.Engines[0].BusyCycles, Is.EqualTo((((4096 + group - 1) / group) * p.VpuOpCycles[Max]) + log2 + p.VpuPipelineLatency));
        ProgramSummary f = Run(".engine sfa.2\n sfa exp, l2[0], l2[0x8000], 5000, bf16\n");
        (int rate, int latency) = (p.SfaFunctions[0].ElementsPerCycle, p.SfaFunctions[0].Latency);
        Assert.That(f.Engines[0].BusyCycles, Is.EqualTo(((5000 + rate - 1) / rate) + latency));
    }

    [Test]
    public void OpCostAndFunctionTablesComeFromTheConfiguration()
    {
        // A table where every op class and function differs, so a wrong index shows.
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4", setOverrides:
        [
            "chip.vpu.opCosts.mul=3", "chip.vpu.opCosts.scale=5", "chip.vpu.opCosts.bf16Factor=4",
            "chip.sfa.functions.gelu.elementsPerCycle=7", "chip.sfa.functions.gelu.latency=41",
            "chip.sfa.functions.resize.elementsPerCycle=9", "chip.sfa.functions.resize.latency=3",
        ]).Config);
        int lanes = p.VpuLanes;
        int bf16Group = lanes / 4;
        ProgramSummary mul = Run(".engine vpu.0\n vop mul, l2[0], l2[0x10000], l2[0x20000], 10000, int8\n", p);
        Assert.That(mul.Engines[0].BusyCycles, Is.EqualTo((((10000 + lanes - 1) / lanes) * 3) + p.VpuPipelineLatency));
        ProgramSummary scale = Run(".engine vpu.0\n vop scale, l2[0], l2[0x10000], l2[0x20000], 10000, bf16\n", p);
        Assert.That(scale.Engines[0].BusyCycles, Is.EqualTo((((10000 + bf16Group - 1) / bf16Group) * 5) + p.VpuPipelineLatency));
        ProgramSummary ax = Run(".engine vpu.0\n spaxpy l2[0], 2, l2[0x8000], 100, 300, int8\n", p);
        Assert.That(ax.Engines[0].BusyCycles, Is.EqualTo((((100 + 600 + lanes - 1) / lanes) * 3) + p.VpuPipelineLatency));
        ProgramSummary gelu = Run(".engine sfa.0\n sfa gelu, l2[0], l2[0x8000], 1000, int8\n", p);
        Assert.That(gelu.Engines[0].BusyCycles, Is.EqualTo(((1000 + 6) / 7) + 41));
        ProgramSummary resize = Run(".engine sfa.0\n sfa resize, l2[0], l2[0x8000], 1000, int8\n", p);
        Assert.That(resize.Engines[0].BusyCycles, Is.EqualTo(((1000 + 8) / 9) + 3));
    }

    [Test]
    public void DmaCopyMatchesBurstsThroughTheFabric()
    {
        CardParameters p = S4();
        ProgramSummary s = Run(".engine dma.0\n copy l1.0[0x0], dram[0x0], 8192\n end\n");

        // Two 4 KiB bursts, both offered after the setup cycles. The request link (0 latency, crossbar bandwidth)
        // serialises their 16-byte descriptors; the DRAM interface serialises the data (slower than the crossbar port
        // and the L1 banks); each lands after the DRAM, crossbar and L1 latencies; the 8-byte answer crosses the
        // response link.
        ulong t0 = Edge(Start(p) + (ulong)p.DmaSetupCycles, p.ClockHz);
        ulong dram = Ser(4096, p.DramBytesPerSecondPerInterface);
        ulong l1Latency = Edge((ulong)p.L1LatencyCycles, p.ClockHz);
        ulong first = t0 + Ser(16, p.CrossbarBytesPerSecond);
        ulong secondStart = Math.Max(t0 + Ser(32, p.CrossbarBytesPerSecond), first + dram);
        ulong landed = secondStart + dram + p.DramLatencyPs + p.CrossbarLatencyPs + l1Latency;
        Assert.That(s.SimulatedPs, Is.EqualTo(landed + Ser(8, p.CrossbarBytesPerSecond)));
    }

    [Test]
    public void DeadlockIsReportedWithEveryWaitingEngineAndItsToken()
    {
        string text = ".engine spu.0.0\n wait t7\n end\n.engine vpu.0\n barrier 3, 2\n end\n.engine sfa.0\n signal t1\n end\n";
        var e = Assert.Throws<SimulationStoppedException>(() => Run(text))!;
        Assert.That(e.Message, Does.StartWith("deadlock at t = "));
        Assert.That(e.Message, Does.Contain("spu.0.0 waits for token t7 (needs 1, has 0) at instruction 0"));
        Assert.That(e.Message, Does.Contain("vpu.0 waits for barrier 3 (1 of 2 arrived)"));
        Assert.That(e.Message, Does.Not.Contain("sfa.0"));
    }

    [Test]
    public void RunawayLoopIsStoppedByTheWatchdog()
    {
        var e = Assert.Throws<SimulationStoppedException>(() => Run(".engine spu.0.0\n loop 4000000000\n nop\n endloop\n", maxCycles: 50_000))!;
        Assert.That(e.Message, Does.Contain("watchdog"));
        Assert.That(e.Message, Does.Contain("--max-cycles 50000"));
        Assert.That(e.Message, Does.Contain("spu.0.0 still running"));
    }

    [Test]
    public void SignalAndWaitOrderEnginesAcrossTheSyncLatency()
    {
        CardParameters p = S4();
        ProgramSummary s = Run(".engine spu.0.0\n matmul 16, 32, 64, l1[0], l1[0x1000], l1[0x2000], int8, fmt=dense\n signal t0\n end\n" +
                               ".engine spu.0.1\n wait t0\n end\n");
        ulong producerDone = s.Engines[0].FinishPs;
        ulong consumerDone = s.Engines[1].FinishPs;

        // The signal is sent when the signal instruction starts (when the matmul ends, one cycle before the producer
        // finishes); the consumer's grant needs the signal's trip to the sync unit and the grant's trip back.
        Assert.That(consumerDone, Is.GreaterThanOrEqualTo(producerDone - Edge(1, p.ClockHz) + (2 * p.SyncLatencyPs)));
        Assert.That(s.Engines[1].WaitPs, Is.GreaterThan(0UL));
    }

    [Test]
    public void CpuLaunchesStreamsThatOtherwiseNeverStart()
    {
        ProgramSummary s = Run(".engine cpu\n launch spu.0.0\n wait t1\n end\n.engine spu.0.0\n nop\n signal t1\n end\n");
        Assert.That(s.Engines.Select(e => e.Engine), Is.EqualTo(new[] { "cpu", "spu.0.0" }));
        Assert.That(s.Engines[0].FinishPs, Is.GreaterThan(s.Engines[1].FinishPs));
    }

    [Test]
    public void BufferOverflowIsAnErrorNamingTheBuffer()
    {
        var e = Assert.Throws<UserInputException>(() => Run(".engine spu.0.3\n matmul 256, 256, 256, l1[0x0], l1[0x0], l1[0x0], int8, fmt=dense\n"))!;
        Assert.That(e.Message, Does.Contain("L1 of c0:spu.0.3"));
        Assert.That(e.Message, Does.Contain("overflow"));
        Assert.That(e.Message, Does.Contain("instruction 0 (matmul)"));
    }

    [Test]
    public void EnginesThatTheSkuLacksAreRejected()
    {
        var e = Assert.Throws<UserInputException>(() => Run(".engine c2:spu.0.0\n nop\n"))!;
        Assert.That(e.Message, Does.Contain("c2:spu.0.0 does not exist on the S4"));
        CardParameters s30 = CardParameters.FromConfig(ConfigLoader.Load("S30").Config);
        ProgramSummary ok = Run(".engine c2:spu.0.0\n nop\n.engine dma.1\n copy c2:dram[0], dram[0], 4096\n", s30);
        Assert.That(ok.Chips, Is.EqualTo(3));
    }

    [Test]
    public void LaunchOfAnEngineWithoutAStreamIsRejected()
    {
        var e = Assert.Throws<UserInputException>(() => Run(".engine cpu\n launch vpu.2\n"))!;
        Assert.That(e.Message, Does.Contain("vpu.2, which has no stream"));
    }

    [Test]
    public void ShippedKernelsRunToCompletion()
    {
        string dir = Path.Combine(Antoum.Tests.Isa.KernelTests.RepoRoot() ?? throw new InvalidOperationException("repository root (AntoumSim.sln) not found above the test binary"), "firmware", "kernels");
        string[] kernels = Directory.GetFiles(dir, "*.s");
        Assert.That(kernels, Has.Length.GreaterThanOrEqualTo(3));
        foreach (string k in kernels)
        {
            ProgramSummary s = Run(File.ReadAllText(k));
            Assert.That(s.SimulatedPs, Is.GreaterThan(0UL), k);
        }
    }

    [Test]
    public void SegmentsAttributeTimeAndBusyCyclesToInstructionRanges()
    {
        CardParameters p = S4();
        AkpProgram program = Assembler.Assemble(".engine vpu.0\n nop\n nop\n loop 3\n vop add, l2[0], l2[0x8000], l2[0x10000], 4480, int8\n endloop\n", "seg.s");
        ProgramModel model = ProgramRunner.Build(p, program, "seg.s");
        model.Engines[0].SetSegments([0, 2]);
        ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue);

        ulong start = Start(p);
        long vop = ((4480 + p.VpuLanes - 1) / p.VpuLanes) + p.VpuPipelineLatency;
        (ulong first0, ulong last0, long busy0, _) = model.Engines[0].SegmentTimes(0);
        (ulong first1, ulong last1, long busy1, _) = model.Engines[0].SegmentTimes(1);
        Assert.That((first0, last0, busy0), Is.EqualTo((Edge(start, p.ClockHz), Edge(start + 2, p.ClockHz), 0L)));

        // loop (1) + 3 x (vop + endloop 1)
        Assert.That(first1, Is.EqualTo(Edge(start + 2, p.ClockHz)));
        Assert.That(last1, Is.EqualTo(Edge(start + 2 + 1 + (ulong)(3 * (vop + 1)), p.ClockHz)));
        Assert.That(busy1, Is.EqualTo(3 * vop));
    }

    [Test]
    public void SegmentActiveTimeSumsEveryVisitOfALoopedSegment()
    {
        CardParameters p = S4();
        AkpProgram program = Assembler.Assemble(".engine vpu.0\n loop 3\n nop\n vop add, l2[0], l2[0x8000], l2[0x10000], 4480, int8\n endloop\n", "visits.s");
        ProgramModel model = ProgramRunner.Build(p, program, "visits.s");
        model.Engines[0].SetSegments([0, 2]); // segment 0: loop, nop; segment 1: vop, endloop
        ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue);

        ulong v = (ulong)(((4480 + p.VpuLanes - 1) / p.VpuLanes) + p.VpuPipelineLatency);
        ulong c = Start(p);
        ulong active0 = 0;
        ulong active1 = 0;
        for (int visit = 0; visit < 3; visit++)
        {
            ulong zero = visit == 0 ? 2UL : 1UL; // the first visit also runs the loop instruction
            active0 += Edge(c + zero, p.ClockHz) - Edge(c, p.ClockHz);
            c += zero;
            active1 += Edge(c + v + 1, p.ClockHz) - Edge(c, p.ClockHz);
            c += v + 1;
        }

        Assert.That(model.Engines[0].SegmentActivePs(0), Is.EqualTo(active0));
        Assert.That(model.Engines[0].SegmentActivePs(1), Is.EqualTo(active1));
    }

    [Test]
    public void RunningInProgressSlicesGivesTheSameResult()
    {
        string text = ".engine vpu.0\n loop 700000\n nop\n endloop\n.engine sfa.1\n loop 300000\n sfa exp, l2[0], l2[0x4000], 640, bf16\n endloop\n";
        ProgramSummary plain = Run(text);
        AkpProgram program = Assembler.Assemble(text, "slices.s");
        ProgramModel model = ProgramRunner.Build(S4(), program, "slices.s");
        ProgramSummary sliced = ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue, new StringWriter());
        Assert.That(sliced.Events, Is.GreaterThan(1_000_000UL), "the run spans several slices");
        Assert.That(sliced.SimulatedPs, Is.EqualTo(plain.SimulatedPs));
        Assert.That(sliced.Events, Is.EqualTo(plain.Events));
        Assert.That(sliced.Engines.Select(e => e.FinishPs), Is.EqualTo(plain.Engines.Select(e => e.FinishPs)));
    }
}
