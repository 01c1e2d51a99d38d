using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// split mode's weight stage (weights DRAM → L2 once per layer and cluster, when that moves fewer DRAM bytes) and the
/// periodic DMA loops of groups dealt N fastest (docs/compiler.md, "Split-mode weight stage").
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class SplitWeightStageTests
{
    private static CardParameters Card() => CardParameters.FromConfig(ConfigLoader.Load("S4").Config) with { DramDevice = null };

    private static WorkloadGraph Gemm(int m, int n, int k) => new()
    {
        Name = "one-gemm",
        Layers = [new Layer { Name = "fc", Op = OpKind.Gemm, M = m, N = n, K = k, Sparsity = new LayerSparsity(16, "bitmap") }],
    };

    private static CompileResult Compile(WorkloadGraph g, int batch, bool stage = true, bool periodic = true, bool tileModel = true) =>
        Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(Card()), new CompileOptions
        {
            Mode = PartitionMode.Split,
            HostTransfers = false,
            SplitWeightStage = stage,
            PeriodicLoops = periodic,
            SplitTileModel = tileModel,
        });

    [Test]
    public void StagedWeightsLeaveOnlyTheActivationsOnDram()
    {
        // 8 samples of a 384 x 768 x 768 GEMM over 32 SPUs: 16-row M tiles, 128-column N tiles (6 per row).
        WorkloadGraph g = Gemm(384, 768, 768);
        CompileResult on = Compile(g, 8);
        CompileResult off = Compile(g, 8, stage: false);
        LayerReport a = on.Report.Layers[0], b = off.Report.Layers[0];

        // Staged: every cluster (4) copies the same weights once, and the tiles read them from L2.
        Assert.That(a.DramToL2Bytes, Is.GreaterThan(0));
        Assert.That(a.DramToL2Bytes % 4, Is.Zero);
        Assert.That(b.DramToL2Bytes, Is.Zero);
        Assert.That(b.L2ToL1Bytes, Is.Zero);

        // With the weights in L2 the tiles go N fastest and an SPU keeps its A tile across the N tiles of its row. Its
        // tiles alternate between two operand buffers, a buffer per K chunk: with one chunk each buffer loads a row's A
        // tile once (the activation matrix twice on DRAM), with two chunks each buffer holds one chunk (the matrix
        // once); plus at most two extra A tiles per SPU whose run starts mid-row. (Weights from DRAM go M fastest
        // instead and reload A for every tile.)
        long aMatrix = 8L * 384 * 768;
        string[] tile = a.Tile.Split('x');
        long mt = long.Parse(tile[0], System.Globalization.CultureInfo.InvariantCulture);
        long kt = long.Parse(tile[2], System.Globalization.CultureInfo.InvariantCulture);
        long chunks = (768 + kt - 1) / kt;
        Assert.That(chunks, Is.LessThanOrEqualTo(2));
        long copies = chunks == 1 ? 2 : 1;
        Assert.That(a.DramToL1Bytes, Is.InRange(copies * aMatrix, (copies * aMatrix) + (2 * 32 * mt * 768)));

        // Fewer DRAM bytes in all (the stage included), and the program passes the checks and runs.
        Assert.That(on.Report.TotalDramBytes, Is.LessThan(off.Report.TotalDramBytes));
        CardParameters card = Card();
        ProgramChecks.Check(card, on.Program, "on.akp");
        ulong tOn = ProgramRunner.Run(ProgramRunner.Build(card, on.Program, "on.akp"), ulong.MaxValue, 50_000_000).SimulatedPs;
        ulong tOff = ProgramRunner.Run(ProgramRunner.Build(card, off.Program, "off.akp"), ulong.MaxValue, 50_000_000).SimulatedPs;
        Assert.That(tOn, Is.LessThan(tOff), "DRAM-bound GEMM: the stage should shorten it");
    }

    [Test]
    public void TileModelPicksTwoChunkTilesThatKeepTheActivationTileOnALongK()
    {
        // K = 3072 (BERT's FFN output): the crossbar-only cost model takes many K chunks, which reload A for every N tile;
        // charging activations to the DRAM interface picks at most two chunks, so A stays across a row's N tiles.
        WorkloadGraph g = Gemm(384, 768, 3072);
        CompileResult on = Compile(g, 4);
        CompileResult off = Compile(g, 4, tileModel: false);
        long Chunks(LayerReport l)
        {
            string[] t = l.Tile.Split('x');
            long kt = long.Parse(t[2], System.Globalization.CultureInfo.InvariantCulture);
            return (3072 + kt - 1) / kt;
        }

        Assert.That(Chunks(on.Report.Layers[0]), Is.LessThanOrEqualTo(2));
        Assert.That(Chunks(off.Report.Layers[0]), Is.GreaterThan(2));
        Assert.That(on.Report.Layers[0].DramToL1Bytes, Is.LessThan(off.Report.Layers[0].DramToL1Bytes / 2));

        // The activation matrix at least once (one load per K chunk of each row).
        Assert.That(on.Report.Layers[0].DramToL1Bytes, Is.GreaterThanOrEqualTo(4L * 384 * 3072));
    }

    [Test]
    public void NoStageWhenItWouldMoveMoreDramBytes()
    {
        // One 16-row M tile: every weight tile is read once from DRAM anyway; four cluster copies would cost more.
        CompileResult r = Compile(Gemm(16, 64, 64), 1);
        Assert.That(r.Report.Layers[0].DramToL2Bytes, Is.Zero);
        Assert.That(r.Report.Layers[0].L2ToL1Bytes, Is.Zero);
    }

    [TestCase(768)] // 6 N tiles per row: an even period
    [TestCase(1408)] // 11 N tiles per row: an odd period, so a loop body takes two (C buffer parities)
    public void PeriodicLoopsExecuteTheSameSequenceWithFewerInstructions(int n)
    {
        WorkloadGraph g = Gemm(384, n, 768);
        CompileResult looped = Compile(g, 8);
        CompileResult flat = Compile(g, 8, periodic: false);
        Assert.That(looped.Program.Streams.Sum(s => s.Code.Length), Is.LessThan(flat.Program.Streams.Sum(s => s.Code.Length)));

        Assert.That(looped.Program.Streams.Count, Is.EqualTo(flat.Program.Streams.Count));
        for (int i = 0; i < looped.Program.Streams.Count; i++)
        {
            // Loop bodies replay their first iteration's addresses (data is not simulated), so compare what timing
            // depends on: the opcode, copy sizes and the token and barrier operands.
            Assert.That(Expand(looped.Program.Streams[i]), Is.EqualTo(Expand(flat.Program.Streams[i])), looped.Program.Streams[i].Engine.ToString());
        }
    }

    private static List<(Opcode, long, long)> Expand(EngineStream s)
    {
        var output = new List<(Opcode, long, long)>();
        Emit(s.Code, 0, s.Code.Length, output);
        return output;
    }

    private static void Emit(IReadOnlyList<Instruction> code, int from, int to, List<(Opcode, long, long)> output)
    {
        for (int i = from; i < to; i++)
        {
            Instruction x = code[i];
            if (x.Op == Opcode.Loop)
            {
                // A loop's B operand is the index of its endloop (docs/isa.md); the body lies between them.
                int end = (int)x.B;
                for (long r = 0; r < x.A; r++)
                {
                    Emit(code, i + 1, end, output);
                }

                i = end;
                continue;
            }

            output.Add(x.Op switch
            {
                Opcode.Copy => (x.Op, x.C, 0),
                Opcode.Wait or Opcode.Signal or Opcode.Barrier => (x.Op, x.A, x.B),
                Opcode.Matmul => (x.Op, x.A * x.B * x.C, 0),
                _ => (x.Op, 0, 0),
            });
        }
    }
}
