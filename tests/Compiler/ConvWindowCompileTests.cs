using System.Globalization;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// Window tiles of 3×3 convs (docs/compiler.md "Window tiles"): the compiler picks them, their L1-bound bytes follow
/// the closed form of windows and weight reuse, and they move fewer bytes into L1 than im2col tiles, whose A rows alone
/// (M·K bytes: every im2col row enters an L1 at least once) bound any im2col tiling from below.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class ConvWindowCompileTests
{
    // The dataflow is pinned (ws): the cost model's tile choice depends on the SPU timing it is given.
    private static CompileTarget S4() => CompilerTarget.From(CardParameters.FromConfig(ConfigLoader.Load("S4", ["chip.spu.dataflow=ws"]).Config) with { DramDevice = null });

    private static WorkloadGraph Net(string format, int ratio) => new()
    {
        Name = "conv3x3",
        InputBytesPerSample = 28 * 28 * 64,
        OutputBytesPerSample = 28 * 28 * 32,
        Layers = [new Layer { Name = "c", Op = OpKind.Conv, H = 28, W = 28, C = 64, K = 32, R = 3, S = 3, Stride = 1, Pad = 1, Sparsity = new LayerSparsity(ratio, format) }],
    };

    private static long IntoL1(LayerReport r) => r.DramToL1Bytes + r.L2ToL1Bytes;

    [Test]
    public void DenseConv3x3_PicksWindowStrips_WithClosedFormBytes()
    {
        // 8 samples on S4: 2 per cluster, M = 2 · 28 · 28 = 1568 per cluster, K = 576, N = 32 (one N tile).
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(Net("dense", 1), 8, S4(), new CompileOptions { Mode = PartitionMode.PerCluster });
        LayerReport r = c.Report.Layers[0];
        long[] tile = r.Tile.Split('x').Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        Assert.That(r.TileForm, Does.EndWith("r"), r.Tile + " " + r.TileForm);
        Assert.That(tile[1], Is.EqualTo(32));
        Assert.That(tile[2], Is.EqualTo(576), "one K chunk");
        Assert.That(tile[0] % 28, Is.EqualTo(0), "whole output rows");
        long rows = tile[0] / 28;
        Assert.That(28 % rows, Is.EqualTo(0));

        // Per cluster 2·28/rows strips, dealt in contiguous runs over 8 SPUs; each strip copies its window, (rows + 2)
        // input rows of 28 × 64 B (every strip counted as interior), each SPU its weight tile (576 × 32 B, dense) once
        // per buffer it uses: min(run, 2).
        long strips = 2 * 28 / rows;
        long window = Math.Min(28, rows + 2) * 28 * 64;
        long wLoads = 0;
        for (int s = 0; s < 8; s++)
        {
            long run = (strips / 8) + (s < strips % 8 ? 1 : 0);
            wLoads += Math.Min(run, 2);
        }

        Assert.That(r.Tiles, Is.EqualTo(4 * strips));
        Assert.That(IntoL1(r), Is.EqualTo(4 * ((strips * window) + (wLoads * 576 * 32))));
        Assert.That(r.Macs, Is.EqualTo(8L * 28 * 28 * 32 * 576));

        // The SPU streams run conv strips (ROWS = rows).
        Instruction conv = c.Program.Streams.SelectMany(s => s.Code).First(i => i.Op == Opcode.Conv);
        Assert.That(ConvGeometry.Decode(conv).Rows, Is.EqualTo(rows));
        Assert.That(c.Program.Streams.SelectMany(s => s.Code).Count(i => i.Op == Opcode.Matmul), Is.Zero);
    }

    [TestCase("dense", 1)]
    [TestCase("bitmap", 16)]
    public void WindowTiles_MoveFewerBytesThanIm2col(string format, int ratio)
    {
        CompileResult win = Antoum.Firmware.Compiler.Compiler.Compile(Net(format, ratio), 8, S4(), new CompileOptions { Mode = PartitionMode.PerCluster });
        CompileResult im2col = Antoum.Firmware.Compiler.Compiler.Compile(Net(format, ratio), 8, S4(), new CompileOptions { Mode = PartitionMode.PerCluster, WindowTiles = false });
        Assert.That(win.Report.Layers[0].TileForm, Does.StartWith("w"));
        Assert.That(im2col.Report.Layers[0].TileForm, Is.Empty);
        long im2colRows = 8L * 28 * 28 * 576; // M · K, INT8
        Assert.That(IntoL1(im2col.Report.Layers[0]), Is.GreaterThanOrEqualTo(im2colRows));
        Assert.That(IntoL1(win.Report.Layers[0]), Is.LessThan(im2colRows));
        Assert.That(IntoL1(win.Report.Layers[0]) * 3 / 2, Is.LessThan(IntoL1(im2col.Report.Layers[0])), "windows replicate only the halo rows, im2col every input pixel R·S times");
    }
}
