using Antoum.Isa;
using Antoum.Sim.Blocks.Spu;
using NUnit.Framework;

namespace Antoum.Tests.Spu;

[TestFixture]
[Category("Quick")]
[Category("Spu")]
public class SpuTimingTests
{
    private static SpuModelParams P(int rows, int cols, SpuDataflow df) => SpuModelParams.Default(rows, cols, df);

    private static SpuDataflow Df(string name) => name switch { "os" => SpuDataflow.Os, "ws" => SpuDataflow.Ws, _ => SpuDataflow.Is };

    [Test]
    public void FoldModelEqualsTheCycleSteppedArrayOnRandomShapes([Values("os", "ws", "is")] string dataflow)
    {
        var rng = new Random(20200823 + dataflow[0]);
        for (int trial = 0; trial < 150; trial++)
        {
            int rows = rng.Next(1, 7), cols = rng.Next(1, 7);
            int m = rng.Next(1, 20), n = rng.Next(1, 20), k = rng.Next(1, 20);
            var a = new long[m, k];
            var b = new long[k, n];
            for (int i = 0; i < m; i++)
            {
                for (int x = 0; x < k; x++)
                {
                    a[i, x] = rng.Next(-9, 10);
                }
            }

            for (int x = 0; x < k; x++)
            {
                for (int j = 0; j < n; j++)
                {
                    b[x, j] = rng.Next(-9, 10);
                }
            }

            (long[,] c, long cycles) = ReferenceSystolicArray.Run(dataflow, rows, cols, a, b);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    long expected = 0;
                    for (int x = 0; x < k; x++)
                    {
                        expected += a[i, x] * b[x, j];
                    }

                    Assert.That(c[i, j], Is.EqualTo(expected), $"{dataflow} {rows}x{cols} M={m} N={n} K={k}: C[{i},{j}]");
                }
            }

            SpuCost cost = SpuTiming.Gemm(P(rows, cols, Df(dataflow)), new GemmShape(m, n, k), Precision.Int8, SparseFormat.Dense, 1);
            Assert.That(cost.ComputeCycles, Is.EqualTo(cycles), $"{dataflow} {rows}x{cols} M={m} N={n} K={k}");
        }
    }

    [Test]
    public void ScaleSimMappingAndMappingEfficiency()
    {
        var shape = new GemmShape(100, 70, 50);
        SpuCost os = SpuTiming.Gemm(P(16, 32, SpuDataflow.Os), shape, Precision.Int8, SparseFormat.Dense, 1);
        SpuCost ws = SpuTiming.Gemm(P(16, 32, SpuDataflow.Ws), shape, Precision.Int8, SparseFormat.Dense, 1);
        SpuCost @is = SpuTiming.Gemm(P(16, 32, SpuDataflow.Is), shape, Precision.Int8, SparseFormat.Dense, 1);
        Assert.That((os.Sr, os.Sc, os.T), Is.EqualTo((100L, 70L, 50L)));
        Assert.That((ws.Sr, ws.Sc, ws.T), Is.EqualTo((50L, 70L, 100L)));
        Assert.That((@is.Sr, @is.Sc, @is.T), Is.EqualTo((50L, 100L, 70L)));

        // os: 7 x 3 folds of 16 + 32 + 50 - 2 = 96 cycles (SCALE-Sim v2: the drain overlaps the next fold).
        Assert.That(os.ComputeCycles, Is.EqualTo(7 * 3 * 96));
        Assert.That(os.Cycles, Is.EqualTo((7 * 3 * 96) + 8));

        // Mean over folds of used PEs / 512: the 21 os folds together use 100 x 70 PEs.
        Assert.That(os.MappingEfficiency, Is.EqualTo(100.0 * 70 / (21 * 512)).Within(1e-12));
        Assert.That(os.UsefulMacs, Is.EqualTo(100L * 70 * 50));
        Assert.That(os.Utilization, Is.EqualTo(100.0 * 70 * 50 / (512.0 * 7 * 3 * 96)).Within(1e-12));
    }

    [TestCase(1, 1)]
    [TestCase(2, 2)]
    [TestCase(3, 2)]
    [TestCase(5, 4)]
    [TestCase(8, 8)]
    [TestCase(12, 8)]
    [TestCase(31, 16)]
    [TestCase(32, 32)]
    public void NonNativeRatiosRunAtTheNextLowerNativeStep(int ratio, int step)
    {
        SpuCost c = SpuTiming.Gemm(P(16, 32, SpuDataflow.Os), new GemmShape(16, 32, 1024), Precision.Int8, SparseFormat.NofM, ratio);
        Assert.That(c.NativeRatio, Is.EqualTo(step));
        Assert.That(c.EffectiveK, Is.EqualTo((1024 + step - 1) / step));
        Assert.That(c.UsefulMacs, Is.EqualTo(16L * 32 * ((1024 + ratio - 1) / ratio)));
    }

    [Test]
    public void StepIsCappedAtTheMaximumSparsity()
    {
        SpuModelParams p = P(16, 32, SpuDataflow.Os) with { MaxWeightSparsity = 8 };
        Assert.That(SpuTiming.Gemm(p, new GemmShape(16, 32, 1024), Precision.Int8, SparseFormat.NofM, 32).NativeRatio, Is.EqualTo(8));
    }

    [Test]
    public void DenseIgnoresTheRatio()
    {
        SpuModelParams p = P(16, 32, SpuDataflow.Ws);
        var s = new GemmShape(64, 64, 256);
        Assert.That(SpuTiming.Gemm(p, s, Precision.Int8, SparseFormat.Dense, 8).EffectiveK, Is.EqualTo(256));
    }

    // Weights K = 1024 x N = 64 at 8x on one 16x32 SPU, ws; metadata from the shipped per-format bits.
    [TestCase(SparseFormat.Dense, 0, 1 * 1024 * 64)]
    [TestCase(SparseFormat.NofM, (64 * 128 * 5) / 8, 64 * 128)]
    [TestCase(SparseFormat.Bitmap, ((64 * 128 * 8) + (64 * 32)) / 8, 64 * 128)]
    [TestCase(SparseFormat.Csr, ((64 * 128 * 16) + (65 * 32)) / 8, 64 * 128)]
    [TestCase(SparseFormat.BlockCsr, ((64 * 32 * 16) + (65 * 32)) / 8, 64 * 32 * 4)]
    public void EachFormatMatchesItsClosedForm(SparseFormat format, long metadataBytes, long valueBytes)
    {
        const long m = 100, n = 64, k = 1024;
        int ratio = format == SparseFormat.Dense ? 1 : 8;
        SpuCost c = SpuTiming.Gemm(P(16, 32, SpuDataflow.Ws), new GemmShape(m, n, k), Precision.Int8, format, ratio);
        Assert.That(c.MetadataBytes, Is.EqualTo(metadataBytes));
        Assert.That(c.WeightBytes, Is.EqualTo(valueBytes));
        Assert.That(c.Cycles, Is.EqualTo(SpuRule.Cycles("ws", 16, 32, m, n, k, (int)format, ratio, false)));
    }

    [Test]
    public void BalancedFormatHasNoImbalanceAndUnstructuredFormatsDo()
    {
        SpuModelParams p = P(16, 32, SpuDataflow.Os);
        var s = new GemmShape(16, 32, 4096);
        long balanced = SpuTiming.Gemm(p, s, Precision.Int8, SparseFormat.NofM, 16).EffectiveK;
        long csr = SpuTiming.Gemm(p, s, Precision.Int8, SparseFormat.Csr, 16).EffectiveK;
        Assert.That(balanced, Is.EqualTo(256));

        // Expected max of 32 Binomial(4096, 1/16): 256 + sqrt(4096/16 * 15/16) * sqrt(2 ln 32) = 256 + 15.49 * 2.633.
        Assert.That(csr, Is.EqualTo((long)Math.Ceiling(256 + (Math.Sqrt(240.0) * Math.Sqrt(2 * Math.Log(32))))));
        Assert.That(csr, Is.EqualTo(297));

        // One column: no lockstep partner, no imbalance.
        Assert.That(SpuTiming.Gemm(P(16, 1, SpuDataflow.Os), s, Precision.Int8, SparseFormat.Csr, 16).EffectiveK, Is.EqualTo(256));
    }

    [Test]
    public void Bf16TakesTheRateDivisorTimesAsLong([Values("os", "ws", "is")] string dataflow)
    {
        SpuModelParams p = P(16, 32, Df(dataflow));
        var s = new GemmShape(77, 45, 300);
        SpuCost i8 = SpuTiming.Gemm(p, s, Precision.Int8, SparseFormat.Bitmap, 4);
        SpuCost bf = SpuTiming.Gemm(p, s, Precision.Bf16, SparseFormat.Bitmap, 4);
        Assert.That(bf.Cycles, Is.EqualTo(2 * i8.Cycles));
        Assert.That(bf.Cycles, Is.EqualTo(SpuRule.Cycles(dataflow, 16, 32, 77, 45, 300, 2, 4, true)));
        Assert.That(bf.WeightBytes, Is.EqualTo(2 * i8.WeightBytes));
    }

    [Test]
    public void ActivationSkippingShrinksTheReductionByZeroFractionTimesEfficiency()
    {
        SpuModelParams p = P(16, 32, SpuDataflow.Os) with { ActivationZeroPercent = 50, ActivationSkipEfficiencyPercent = 80 };
        var s = new GemmShape(32, 32, 1000);
        SpuCost c = SpuTiming.Gemm(p, s, Precision.Int8, SparseFormat.NofM, 4);

        // K' = 250 after 4x; 40 % of the activations are skipped: ceil(250 * 0.6) = 150.
        Assert.That(c.EffectiveK, Is.EqualTo(150));
        Assert.That(c.ComputeCycles, Is.EqualTo(2 * 1 * (16 + 32 + 150 - 2 + 1)));
        Assert.That(c.UsefulMacs, Is.EqualTo(32L * 32 * 250 * 6 / 10));

        SpuCost off = SpuTiming.Gemm(p with { ActivationZeroPercent = 0 }, s, Precision.Int8, SparseFormat.NofM, 4);
        Assert.That(off.EffectiveK, Is.EqualTo(250));
    }

    [Test]
    public void RandomSparseShapesMatchTheIndependentRule()
    {
        var rng = new Random(7);
        string[] flows = ["os", "ws", "is"];
        for (int trial = 0; trial < 400; trial++)
        {
            string df = flows[trial % 3];
            int format = rng.Next(0, 5);
            int ratio = format == 0 ? 1 : rng.Next(1, 33);
            long m = rng.Next(1, 3000), n = rng.Next(1, 3000), k = rng.Next(1, 5000);
            bool bf16 = rng.Next(2) == 1;
            SpuCost c = SpuTiming.Gemm(P(16, 32, Df(df)), new GemmShape(m, n, k), bf16 ? Precision.Bf16 : Precision.Int8, (SparseFormat)format, ratio);
            Assert.That(c.Cycles, Is.EqualTo(SpuRule.Cycles(df, 16, 32, m, n, k, format, ratio, bf16)), $"{df} fmt {format}:{ratio} {m}x{n}x{k} bf16={bf16}");
        }
    }
}
