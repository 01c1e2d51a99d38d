using System.Buffers.Binary;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Functional;
using NUnit.Framework;
using static Antoum.Tests.Functional.FunctionalTests;

namespace Antoum.Tests.Functional;

/// <summary>
/// Window conv tiles (docs/compiler.md "Window tiles"): the SPU's <c>conv</c> over a strip's input window computes
/// what a plain convolution computes, alone (against a direct loop) and in compiled programs (against the plain
/// reference), for dense and sparse weights, INT8 and BF16, strips at the padded image edges, strides, channel K
/// chunks and whole-sample tiles.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Functional")]
public class FunctionalWindowTests
{
    private static readonly MemRef s_in = new(MemSpace.L1, 0, 0, 0, 0);
    private static readonly MemRef s_wt = new(MemSpace.L1, 0, 0, 0, 0x10000);
    private static readonly MemRef s_out = new(MemSpace.L1, 0, 0, 0, 0x20000);

    /// <summary>Direct convolution, INT32 accumulators: out[p][q][k] = Σ in[p·s − pad + r][q·s − pad + t][c] · w[r][t][c][k].</summary>
    private static int[] Direct(sbyte[] img, sbyte[] w, int h, int wd, int c, int k, int r, int stride, int pad)
    {
        int p = ((h + (2 * pad) - r) / stride) + 1, q = ((wd + (2 * pad) - r) / stride) + 1;
        var o = new int[p * q * k];
        for (int y = 0; y < p; y++)
        {
            for (int x = 0; x < q; x++)
            {
                for (int f = 0; f < k; f++)
                {
                    int acc = 0;
                    for (int dy = 0; dy < r; dy++)
                    {
                        for (int dx = 0; dx < r; dx++)
                        {
                            int iy = (y * stride) - pad + dy, ix = (x * stride) - pad + dx;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                            {
                                continue;
                            }

                            for (int ch = 0; ch < c; ch++)
                            {
                                acc += img[(((iy * wd) + ix) * c) + ch] * w[(((((dy * r) + dx) * c) + ch) * k) + f];
                            }
                        }
                    }

                    o[(((y * q) + x) * k) + f] = acc;
                }
            }
        }

        return o;
    }

    [TestCase(9, 7, 5, 6, 3, 1, 1, 2)]
    [TestCase(9, 7, 5, 6, 3, 2, 1, 2)]
    [TestCase(11, 6, 3, 4, 5, 2, 2, 3)]
    [TestCase(8, 8, 4, 3, 1, 2, 0, 1)]
    public void ConvStrips_EqualTheDirectConvolution(int h, int wd, int c, int k, int r, int stride, int pad, int rows)
    {
        var rng = new Random(h * 1000 + (stride * 10) + r);
        var img = new sbyte[h * wd * c];
        var w = new sbyte[r * r * c * k];
        for (int i = 0; i < img.Length; i++)
        {
            img[i] = (sbyte)rng.Next(-8, 8);
        }

        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (sbyte)rng.Next(-8, 8);
        }

        int[] expect = Direct(img, w, h, wd, c, k, r, stride, pad);
        var whole = new ConvGeometry(1, h, wd, c, k, r, r, stride, pad, 0, 0);
        long p = whole.P, q = whole.Q;
        Assert.That(expect, Has.Length.EqualTo(p * q * k));
        int strips = 0;
        for (long row0 = 0; row0 < p; row0 += rows)
        {
            var g = whole with { Rows = Math.Min(rows, p - row0), Row0 = row0 };
            var mem = new FunctionalMemory();

            // The window: input rows [InRow0, InRow0 + InRows) of the image, nothing else (padding is not stored).
            mem.Write(s_in, MemoryMarshalBytes(img).AsSpan((int)(g.InRow0 * wd * c), (int)(g.InRows * wd * c)));
            mem.Write(s_wt, MemoryMarshalBytes(w));
            Assert.That(FunctionalOps.Conv(mem, g, s_in, s_wt, s_out, null, bf16: false, SpuFlags.Dense), Is.Null);
            byte[] got = mem.Read(s_out, g.Rows * q * k * 4);
            for (long i = 0; i < g.Rows * q * k; i++)
            {
                Assert.That(BinaryPrimitives.ReadInt32LittleEndian(got.AsSpan((int)(i * 4))), Is.EqualTo(expect[(row0 * q * k) + i]), $"strip at row {row0}, element {i}");
            }

            strips++;
        }

        Assert.That(strips, Is.GreaterThanOrEqualTo(2));
    }

    private static byte[] MemoryMarshalBytes(sbyte[] v)
    {
        var b = new byte[v.Length];
        Buffer.BlockCopy(v, 0, b, 0, v.Length);
        return b;
    }

    // The dataflow is pinned (ws) because the cost model's tile choice depends on it; the values do not.
    private static CardParameters Card(string sku, string l1) =>
        CardParameters.FromConfig(ConfigLoader.Load(sku, [$"chip.l1.capacity={l1}", "chip.spu.dataflow=ws"]).Config) with { DramDevice = null };

    private static (CompileResult Compiled, FunctionalOutcome Outcome) CompileAndRun(CardParameters card, WorkloadGraph g, int batch, CompileOptions options, ulong seed = 5)
    {
        FunctionalInputs inputs = FunctionalRun.Generate(g, batch, seed);
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card), options with { Data = new FunctionalData(inputs.Layers) });
        FunctionalMemory mem = FunctionalRun.Load(card, c, inputs);
        ProgramRunner.Run(ProgramRunner.Build(card, c.Program, "t", timeline: false, data: mem), ulong.MaxValue, 200_000_000);
        return (c, FunctionalRun.Compare(g, batch, seed, c, inputs, mem).Outcome);
    }

    private static string Tiles(CompileResult c) => string.Join(", ", c.Report.Layers.Select(r => $"{r.Name} {r.GemmShape} tile {r.Tile} {r.TileForm}"));

    /// <summary>
    /// 3×3 pad 1 convs (strips: the first and last strip of every image read padding rows), a 3×3 stride-2 conv, on
    /// 20×20 and 10×10 images at batch 8 (two samples per cluster): the layers named in <paramref name="windowed"/>
    /// must take window tiles (the cost model picks them at this L1), every layer must match the reference.
    /// </summary>
    [TestCase(LayerPrecision.Int8, 1, "dense", "16kB", "c1 c3 c4 d5")]
    [TestCase(LayerPrecision.Int8, 16, "bitmap", "12kB", "c1 c2 c3 c4 d5")]
    [TestCase(LayerPrecision.Int8, 4, "csr", "12kB", "c1 c3 c4 d5")]
    [TestCase(LayerPrecision.Int8, 2, "nofm", "8kB", "c3 d5")]
    [TestCase(LayerPrecision.Bf16, 1, "dense", "56kB", "c1")]
    [TestCase(LayerPrecision.Bf16, 4, "nofm", "32kB", "c1 c3")]
    [TestCase(LayerPrecision.Bf16, 8, "bitmap", "32kB", "c1 c3 c4 d5")]
    public void WindowTiles_MatchTheReference(LayerPrecision prec, int ratio, string format, string l1, string windowed)
    {
        CardParameters card = Card("S4", l1);
        WorkloadGraph g = Graph(
            Conv("c1", 20, 20, 32, 32, 3, 1, 1, prec, ratio: ratio, format: format),
            Conv("c2", 20, 20, 32, 48, 3, 2, 1, prec, ratio: ratio, format: format),
            Conv("c3", 10, 10, 48, 64, 3, 1, 1, prec, ratio: ratio, format: format),
            Conv("c4", 10, 10, 64, 32, 3, 1, 1, prec, ratio: ratio, format: format),
            Conv("d5", 10, 10, 32, 16, 3, 1, 1, prec, ratio: ratio, format: format));
        (CompileResult c, FunctionalOutcome o) = CompileAndRun(card, g, 8, new CompileOptions());
        Assert.That(o.Mismatches, Is.EqualTo(0), o.ToConsoleLine() + " | " + Tiles(c));
        foreach (string name in windowed.Split(' '))
        {
            LayerReport r = c.Report.Layers.Single(x => x.Name == name);
            Assert.That(r.TileForm, Does.StartWith("w"), Tiles(c));
            long mt = long.Parse(r.Tile.Split('x')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(r.Tiles, Is.GreaterThan(8), "several tiles per layer: " + Tiles(c));
            Assert.That(mt, Is.LessThan(100), "strips, not whole images: " + Tiles(c));
        }

        Assert.That(c.Program.Streams.Sum(s => s.Code.Count(i => i.Op == Opcode.Conv)), Is.GreaterThan(0));

        // The timing compile picks the same tiles.
        CompileResult timing = Antoum.Firmware.Compiler.Compiler.Compile(g, 8, CompilerTarget.From(card), new CompileOptions());
        for (int i = 0; i < timing.Report.Layers.Count; i++)
        {
            LayerReport t = timing.Report.Layers[i], f = c.Report.Layers[i];
            Assert.That((f.Tile, f.TileForm, f.Tiles, f.MatmulInstructions, f.Macs), Is.EqualTo((t.Tile, t.TileForm, t.Tiles, t.MatmulInstructions, t.Macs)), t.Name);
        }
    }

    /// <summary>
    /// INT8 window tiles with channel K chunks (conv with acc over windows of Cc channels, weights gathered per chunk) and
    /// a grouped conv (one group per tile, its channels copied out of the NHWC rows).
    /// </summary>
    [TestCase(4, "csr", "12kB")]
    [TestCase(1, "dense", "16kB")]
    [TestCase(2, "nofm", "16kB")]
    public void ChannelChunks_AndGroups_MatchTheReference(int ratio, string format, string l1)
    {
        CardParameters card = Card("S4", l1);
        WorkloadGraph g = Graph(
            Conv("k1", 12, 12, 64, 32, 3, 1, 1, LayerPrecision.Int8, ratio: ratio, format: format),
            Conv("g2", 12, 12, 32, 32, 3, 1, 1, LayerPrecision.Int8, groups: 2, ratio: ratio, format: format));
        (CompileResult c, FunctionalOutcome o) = CompileAndRun(card, g, 4, new CompileOptions());
        Assert.That(o.Mismatches, Is.EqualTo(0), o.ToConsoleLine() + " | " + Tiles(c));
        Assert.That(c.Report.Layers.Select(r => r.TileForm), Has.All.StartWith("w"), Tiles(c));
        long kt = long.Parse(c.Report.Layers[0].Tile.Split('x')[2], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(kt, Is.LessThan(9 * 64), "channel chunks: " + Tiles(c));
        Assert.That(kt % 9, Is.EqualTo(0), "a chunk holds whole filter taps: " + Tiles(c));
    }

    /// <summary>Window tiles off: the same graph on im2col tiles matches too, and moves more bytes into L1.</summary>
    [Test]
    public void Im2colTiles_StillMatch_AndMoveMoreBytes()
    {
        CardParameters card = Card("S4", "12kB");
        WorkloadGraph g = Graph(Conv("c1", 20, 20, 32, 32, 3, 1, 1, LayerPrecision.Int8, ratio: 16, format: "bitmap"));
        (CompileResult win, FunctionalOutcome wo) = CompileAndRun(card, g, 4, new CompileOptions());
        (CompileResult im2col, FunctionalOutcome io) = CompileAndRun(card, g, 4, new CompileOptions { WindowTiles = false });
        Assert.That(wo.Mismatches, Is.EqualTo(0), wo.ToConsoleLine());
        Assert.That(io.Mismatches, Is.EqualTo(0), io.ToConsoleLine());
        Assert.That(win.Report.Layers[0].TileForm, Does.StartWith("w"));
        Assert.That(im2col.Report.Layers[0].TileForm, Is.Empty);
        static long Into(CompileResult c) => c.Report.Layers[0].DramToL1Bytes + c.Report.Layers[0].L2ToL1Bytes;
        Assert.That(Into(win), Is.LessThan(Into(im2col)));
    }
}
