using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class CompilerTests
{
    private static CardParameters Card(string sku) => CardParameters.FromConfig(ConfigLoader.Load(sku).Config) with { DramDevice = null };

    private static IEnumerable<TestCaseData> Cases()
    {
        foreach (string sku in new[] { "S4", "S30" })
        {
            foreach (string graph in new[] { "mlp", "convnet", "attention" })
            {
                foreach (PartitionMode mode in new[] { PartitionMode.PerCluster, PartitionMode.Split, PartitionMode.Broadcast })
                {
                    yield return new TestCaseData(sku, graph, mode, 5);
                }
            }
        }
    }

    /// <summary>Executed MACs of every matmul in the program, loops expanded: M·N·K per instruction.</summary>
    private static long ExecutedMacs(AkpProgram p)
    {
        long total = 0;
        foreach (EngineStream s in p.Streams)
        {
            var mult = new Stack<long>();
            long m = 1;
            foreach (Instruction i in s.Code)
            {
                switch (i.Op)
                {
                    case Opcode.Loop:
                        mult.Push(m);
                        m *= i.A;
                        break;
                    case Opcode.EndLoop:
                        m = mult.Pop();
                        break;
                    case Opcode.Matmul:
                        total += m * i.A * i.B * i.C;
                        break;
                    case Opcode.Conv:
                        {
                            // The implicit GEMM of the conv (a strip: N·ROWS·Q output pixels), restated from docs/isa.md.
                            long n = i.A & 0xFFFF, h = (i.A >> 16) & 0xFFFF, w = (i.A >> 32) & 0xFFFF, c = (i.A >> 48) & 0xFFFF;
                            long k = i.B & 0xFFFF, r = (i.B >> 16) & 0xFF, sw = (i.B >> 24) & 0xFF, st = (i.B >> 32) & 0xFF, pad = (i.B >> 40) & 0xFF;
                            long rows = i.F & 0xFFFF;
                            long pOut = ((h + (2 * pad) - r) / st) + 1, qOut = ((w + (2 * pad) - sw) / st) + 1;
                            total += m * n * (rows == 0 ? pOut : rows) * qOut * k * r * sw * c;
                            break;
                        }
                }
            }
        }

        return total;
    }

    [TestCaseSource(nameof(Cases))]
    public void CompiledProgramPassesChecksRunsAndCoversEveryOutputOnce(string sku, string graphName, PartitionMode mode, int batch)
    {
        CardParameters card = Card(sku);
        WorkloadGraph graph = SyntheticGraphs.TryGet(graphName)!;
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(graph, batch, CompilerTarget.From(card), new CompileOptions { Mode = mode });
        long graphMacs = Lowering.Macs(graph) * batch;
        Assert.That(ExecutedMacs(r.Program), Is.EqualTo(graphMacs));
        Assert.That(r.Report.TotalMacs, Is.EqualTo(graphMacs));

        // Round trip through the container, checks and a run to completion (a deadlock throws).
        AkpProgram program = AkpContainer.Read(AkpContainer.Write(r.Program), "c.akp");
        ProgramChecks.Check(card, program, "c.akp");
        ProgramModel model = ProgramRunner.Build(card, program, "c.akp");
        ProgramSummary s = ProgramRunner.Run(model, ulong.MaxValue, 50_000_000);
        Assert.That(s.SimulatedPs, Is.GreaterThan(0UL));

        // Two operand buffers and two output buffers fit every SPU's L1.
        foreach (LayerReport l in r.Report.Layers)
        {
            Assert.That(l.L1Used, Is.LessThanOrEqualTo((long)card.L1Bytes), l.Name);
        }

        // Every stream's layer spans lie inside the stream and cover each layer that has work on it.
        foreach (LayerSpan span in r.Layers.Spans)
        {
            EngineStream st = r.Program.StreamOf(span.Engine)!;
            Assert.That(span.Start, Is.LessThan(span.End));
            Assert.That(span.End, Is.LessThanOrEqualTo(st.Code.Length));
        }

        Assert.That(r.Layers.Of(0).Any(), Is.True);
        Assert.That(r.Report.ToText(), Does.Contain(graph.Layers[0].Name));
        Assert.That(r.Report.ToCsv().Split('\n')[0], Is.EqualTo(CompileReport.CsvHeader));
    }

    [Test]
    public void S30SplitsTheBatchOverThreeChips()
    {
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(SyntheticGraphs.ConvNet(), 6, CompilerTarget.From(Card("S30")));
        int[] chips = r.Program.Streams.Select(s => s.Engine.Chip).Distinct().Order().ToArray();
        Assert.That(chips, Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(r.Program.Streams.Count(s => s.Engine.Kind == EngineKind.Cpu), Is.EqualTo(3));
    }

    [Test]
    public void OddBatchLeavesIdleClustersWithoutStreams()
    {
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(SyntheticGraphs.Mlp(), 1, CompilerTarget.From(Card("S30")), new CompileOptions { Mode = PartitionMode.PerCluster });
        Assert.That(r.Program.Streams.All(s => s.Engine.Chip == 0 && s.Engine.Cluster == 0), Is.True);
    }

    [Test]
    public void MicroBatchKeepsActivationsInL2AndCutsDramTraffic()
    {
        CardParameters card = Card("S4");
        CompileTarget t = CompilerTarget.From(card);
        WorkloadGraph g = SyntheticGraphs.ConvNet();
        CompileResult mb = Antoum.Firmware.Compiler.Compiler.Compile(g, 16, t, new CompileOptions { Mode = PartitionMode.PerCluster });
        CompileResult off = Antoum.Firmware.Compiler.Compiler.Compile(g, 16, t, new CompileOptions { Mode = PartitionMode.PerCluster, MicroBatching = false });

        // 4 samples per cluster; the small net's activations fit L2 for all of them.
        Assert.That(mb.Report.MicroBatch, Is.EqualTo(4));
        Assert.That(off.Report.MicroBatch, Is.Zero);
        foreach (LayerReport l in mb.Report.Layers)
        {
            Assert.That(l.L2Used, Is.LessThanOrEqualTo(l.L2Capacity), l.Name);
            Assert.That(l.OutputIn, Is.EqualTo(l == mb.Report.Layers[^1] ? "dram" : "l2"), l.Name);
        }

        // Same compute: identical MACs and matmul instruction counts.
        Assert.That(mb.Report.TotalMacs, Is.EqualTo(off.Report.TotalMacs));
        Assert.That(ExecutedMacs(mb.Program), Is.EqualTo(Lowering.Macs(g) * 16));

        // Only the network input, the staged weights (once per micro-batch per layer) and the output touch DRAM.
        long weights = g.Layers.Sum(l => mb.Report.Layers.First(r => r.Name == l.Name).DramToL2Bytes);
        long expected = weights + mb.Report.Layers[^1].L1ToDramBytes;
        Assert.That(mb.Report.TotalDramBytes, Is.EqualTo(expected));
        Assert.That(mb.Report.Layers.Sum(l => l.DramToL1Bytes), Is.Zero);
        Assert.That(mb.Report.TotalDramBytes, Is.LessThan(off.Report.TotalDramBytes));
        Assert.That(mb.Report.ToText(), Does.Contain("micro-batch 4 per cluster"));

        // Runs to completion.
        ProgramChecks.Check(card, mb.Program, "mb.akp");
        Assert.That(ProgramRunner.Run(ProgramRunner.Build(card, mb.Program, "mb.akp"), ulong.MaxValue, 50_000_000).SimulatedPs, Is.GreaterThan(0UL));
    }

    [Test]
    public void MicroBatchShrinksWithTheL2()
    {
        CompileTarget t = CompilerTarget.From(Card("S4")) with { L2Bytes = 512 * 1024 };
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(SyntheticGraphs.ConvNet(), 64, t, new CompileOptions { Mode = PartitionMode.PerCluster });
        Assert.That(r.Report.MicroBatch, Is.InRange(1, 15));
        Assert.That(ExecutedMacs(r.Program), Is.EqualTo(Lowering.Macs(SyntheticGraphs.ConvNet()) * 64));
        Assert.That(r.Report.TotalMacs, Is.EqualTo(Lowering.Macs(SyntheticGraphs.ConvNet()) * 64));
    }

    [Test]
    public void CompilationIsDeterministic()
    {
        CompileTarget t = CompilerTarget.From(Card("S30"));
        byte[] a = AkpContainer.Write(Antoum.Firmware.Compiler.Compiler.Compile(SyntheticGraphs.Attention(), 4, t).Program);
        byte[] b = AkpContainer.Write(Antoum.Firmware.Compiler.Compiler.Compile(SyntheticGraphs.Attention(), 4, t).Program);
        Assert.That(a, Is.EqualTo(b));
    }

    [Test]
    public void DefaultModeIsSplitForTransformersAndPerClusterForCnns()
    {
        Assert.That(Antoum.Firmware.Compiler.Compiler.DefaultMode(SyntheticGraphs.Attention()), Is.EqualTo(PartitionMode.Split));
        Assert.That(Antoum.Firmware.Compiler.Compiler.DefaultMode(SyntheticGraphs.ConvNet()), Is.EqualTo(PartitionMode.PerCluster));
    }

    [Test]
    public void ALayerThatCannotFitOneTileIsACompileErrorNamingLayerAndBuffer()
    {
        CompileTarget tiny = CompilerTarget.From(Card("S4")) with { L1Bytes = 512 };
        var graph = new WorkloadGraph { Name = "big", Layers = [new Layer { Name = "huge_fc", Op = OpKind.Gemm, M = 4, K = 4096, N = 4096 }] };
        CompileException e = Assert.Throws<CompileException>(() => Antoum.Firmware.Compiler.Compiler.Compile(graph, 1, tiny))!;
        Assert.That(e.Message, Does.Contain("huge_fc").And.Contain("L1"));
    }

    [Test]
    public void SparseWeightsCarryFormatAndRatioIntoTheMatmulFlags()
    {
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(SyntheticGraphs.ConvNet(), 1, CompilerTarget.From(Card("S4")));
        LayerSpan span = r.Layers.Of(1).First(s => s.Engine.Kind == EngineKind.Spu);
        Instruction mm = r.Program.StreamOf(span.Engine)!.Code[span.Start..span.End].First(i => i.Op == Opcode.Matmul);
        SpuFlags f = SpuFlags.Unpack(mm.H & SpuFlags.Mask);
        Assert.That(f.Format, Is.EqualTo(SparseFormat.NofM));
        Assert.That(f.Ratio, Is.EqualTo(8));
    }
}

[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class CompileCommandTests
{
    [Test]
    public void CompileWritesAProgramThatRuns()
    {
        string dir = Path.Combine(Path.GetTempPath(), "antoum-compile-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string akp = Path.Combine(dir, "w.akp");
            string rep = Path.Combine(dir, "r.csv");
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = Antoum.Sim.Cli.Program.Run(["compile", "--workload", "convnet", "--sku", "S10", "--batch", "3", "--mode", "split", "-o", akp, "--report", rep], stdout, stderr);
            Assert.That(code, Is.EqualTo(0), stderr.ToString());
            Assert.That(File.ReadAllText(rep), Does.StartWith(CompileReport.CsvHeader));
            code = Antoum.Sim.Cli.Program.Run(["run", "--sku", "S10", "--program", akp, "-o", Path.Combine(dir, "out"), "-q"], stdout, stderr);
            Assert.That(code, Is.EqualTo(0), stderr.ToString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// Mixed precision in micro-batched segments: an INT8 GEMM's output region is read by the BF16 layer after it at two
    /// bytes an element, so the region must be sized for the reader. Conformer on S4 (perCluster, micro-batched at the
    /// shipped L2) once placed that region at the top of the activation area at INT8 size, and the BF16 read ran past the
    /// end of the L2; BERT-base did the same as soon as the L2 held one sample (8 MiB).
    /// </summary>
    [TestCase("conformer-encoder", null)]
    [TestCase("bert-base", 8L * 1024 * 1024)]
    public void MixedPrecisionMicroBatchStaysInsideTheL2(string network, long? l2Bytes)
    {
        CardParameters card = CardParameters.FromConfig(ConfigLoader.Load("S4").Config) with { DramDevice = null };
        if (l2Bytes is long l2)
        {
            card = card with { L2Bytes = (ulong)l2 };
        }

        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(Networks.Resolve(network), 4, CompilerTarget.From(card), new CompileOptions { Mode = PartitionMode.PerCluster });

        Assert.That(r.Report.MicroBatch, Is.GreaterThan(0), "the case must exercise the micro-batched schedule");
        Assert.DoesNotThrow(() => ProgramChecks.Check(card, r.Program, network + ".akp"));
    }
}
