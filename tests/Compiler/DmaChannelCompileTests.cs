using System.Globalization;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// The compiler on DMA channels (docs/compiler.md "DMA channels"): SPU s's copies go to channel s % channels, the
/// bytes a tile with three or more K chunks moves equal the closed form, and split/broadcast compiles put a barrier
/// between the host-input copies and the first layer's reads.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class DmaChannelCompileTests
{
    private static CardParameters Card(string sku) => CardParameters.FromConfig(ConfigLoader.Load(sku).Config) with { DramDevice = null };

    private static long[] Tile(LayerReport r) => r.Tile.Split('x').Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();

    private static WorkloadGraph Gemm(int m, int k, int n) => new()
    {
        Name = "gemm",
        InputBytesPerSample = m * k,
        OutputBytesPerSample = m * n,
        Layers = [new Layer { Name = "g", Op = OpKind.Gemm, M = m, K = k, N = n }],
    };

    private static long Counter(ProgramModel model, string name) => model.Sim.Stats.Find(name) is Antoum.Sim.Stats.Counter c ? c.Value : -1;

    // A dense GEMM whose K (8192) cannot fit one L1 tile: every tile has many K chunks, none reusable, so each tile
    // writes its A rows (mt × K) and the whole weight column block (K × N) into its SPU's L1. Closed form over the
    // cluster: M·K + tiles·K·N bytes written into L1s, both in the report and in the simulated L1 counters.
    [Test]
    public void TilesWithThreeOrMoreKChunksMoveEveryChunk()
    {
        const int M = 64, K = 8192, N = 32;
        CardParameters card = Card("S4");
        CompileTarget t = CompilerTarget.From(card);
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(Gemm(M, K, N), 1, t, new CompileOptions { Mode = PartitionMode.PerCluster });
        LayerReport layer = r.Report.Layers[0];
        long kt = Tile(layer)[2];
        Assert.That((K + kt - 1) / kt, Is.GreaterThanOrEqualTo(3), "the tile has at least three K chunks");
        long expected = ((long)M * K) + (layer.Tiles * K * N);
        Assert.That(layer.L2ToL1Bytes + layer.DramToL1Bytes, Is.EqualTo(expected), "report");

        ProgramModel model = ProgramRunner.Build(card, r.Program, "g.akp");
        ProgramRunner.Run(model, ulong.MaxValue, 10_000_000);
        long written = 0;
        for (int s = 0; s < card.SpusPerCluster; s++)
        {
            written += Counter(model, $"chip0.cluster0.spu{s}.l1.bytesWritten");
        }

        Assert.That(written, Is.EqualTo(expected), "simulated L1 writes");
    }

    // Every copy into or out of SPU s's L1 is on channel s % channels; channel 0 also does the rest.
    [TestCase(8)]
    [TestCase(3)]
    [TestCase(1)]
    public void SpuCopiesGoToTheirChannel(int channels)
    {
        CardParameters card = Card("S4") with { DmaChannels = channels };
        CompileTarget t = CompilerTarget.From(card);
        Assert.That(t.DmaChannels, Is.EqualTo(channels));
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(Gemm(1024, 256, 64), 4, t, new CompileOptions { Mode = PartitionMode.PerCluster });
        var dmas = r.Program.Streams.Where(s => s.Engine.Kind == EngineKind.Dma).ToList();
        Assert.That(dmas.Count, Is.EqualTo(card.Clusters * channels));
        var seen = new HashSet<int>();
        foreach (EngineStream s in dmas)
        {
            foreach (Instruction i in s.Code)
            {
                if (i.Op is not (Opcode.Copy or Opcode.Copy2d))
                {
                    continue;
                }

                foreach (long operand in new[] { i.A, i.B })
                {
                    MemRef m = MemRef.Unpack(operand);
                    if (m.Space == MemSpace.L1)
                    {
                        Assert.That(m.Unit % channels, Is.EqualTo(s.Engine.Unit), $"{s.Engine}: {Disassembler.Format(i)}");
                        seen.Add(s.Engine.Unit);
                    }
                }
            }
        }

        Assert.That(seen.Count, Is.EqualTo(channels), "every channel moves SPU operands");
        ProgramSummary sum = ProgramRunner.Run(ProgramRunner.Build(card, r.Program, "g.akp"), ulong.MaxValue, 10_000_000);
        Assert.That(sum.SimulatedPs, Is.GreaterThan(0UL));
    }

    // split mode: each cluster copies its part of the chip's input from the host, and every cluster then reads the
    // whole input; channel 0 of every cluster must pass a chip barrier (id = chip) between the two.
    [TestCase(PartitionMode.Split)]
    [TestCase(PartitionMode.Broadcast)]
    public void SplitModesMeetAfterTheHostInput(PartitionMode mode)
    {
        CardParameters card = Card("S4");
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(Gemm(256, 256, 256), 4, CompilerTarget.From(card), new CompileOptions { Mode = mode });
        foreach (EngineStream s in r.Program.Streams.Where(s => s.Engine.Kind == EngineKind.Dma && s.Engine.Unit == 0))
        {
            int host = Array.FindIndex(s.Code, i => i.Op == Opcode.Copy && MemRef.Unpack(i.B).Space == MemSpace.Host);
            int barrier = Array.FindIndex(s.Code, i => i.Op == Opcode.Barrier && i.A == s.Engine.Chip);
            int firstL1 = Array.FindIndex(s.Code, i => i.Op is Opcode.Copy or Opcode.Copy2d && MemRef.Unpack(i.A).Space == MemSpace.L1);
            Assert.That(host, Is.GreaterThanOrEqualTo(0), s.Engine.ToString());
            Assert.That(barrier, Is.GreaterThan(host), s.Engine.ToString());
            Assert.That(firstL1, Is.GreaterThan(barrier), s.Engine.ToString());
        }
    }
}
