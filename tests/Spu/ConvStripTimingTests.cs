using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Spu;

/// <summary>
/// The SPU times a <c>conv</c> (whole images or a strip of output rows, docs/isa.md) as the implicit GEMM of what it
/// computes, M = N·ROWS·Q, N = K, K = R·S·C, on the fold rule restated here (docs/spu.md), not on the code's helper.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Spu")]
public class ConvStripTimingTests
{
    private static CardParameters Card(string dataflow)
    {
        string[] sets = [.. Antoum.Sim.Validation.Validator.Neutral(), $"chip.spu.dataflow={dataflow}"];
        return CardParameters.FromConfig(ConfigLoader.Load("S4", sets).Config) with { DramDevice = null };
    }

    private static long SpuBusy(string text, CardParameters p)
    {
        AkpProgram program = Assembler.Assemble(text, "conv.s");
        ProgramSummary s = ProgramRunner.Run(ProgramRunner.Build(p, program, "conv.s"), ulong.MaxValue, ulong.MaxValue);
        return s.Engines.Single().BusyCycles;
    }

    private static long Fold(string dataflow, long t) => (dataflow == "os" ? 16 : 32) + 32 + t - 2;

    private static long Ceil(long a, long b) => (a + b - 1) / b;

    /// <summary>Dense INT8 on the 16 × 32 array: ws Sr = K, Sc = N, T = M; os Sr = M, Sc = N, T = K.</summary>
    private static long Expected(string dataflow, long m, long n, long k, int pipeline) => dataflow == "os"
        ? (Ceil(m, 16) * Ceil(n, 32) * Fold("os", k)) + pipeline
        : (Ceil(k, 16) * Ceil(n, 32) * Fold("ws", m)) + pipeline;

    [TestCase("ws")]
    [TestCase("os")]
    public void Strip_TakesTheFoldRuleOfItsImplicitGemm(string dataflow)
    {
        CardParameters p = Card(dataflow);
        Assert.That(p.SpuRows, Is.EqualTo(16));
        Assert.That(p.SpuCols, Is.EqualTo(32));

        // 56×56×64 input, 3×3 pad 1: a strip of 2 output rows starting at row 10 computes 2·56 = 112 output pixels of
        // 40 filters over K = 3·3·64 = 576 (its window: input rows 9..12, 4 × 56 × 64 = 14,336 B).
        long strip = SpuBusy(".engine spu.0.0\n conv 1, 56, 56, 64, 40, 3, 3, 1, 1, l1[0x0], l1[0x3800], l1[0x9400], int8, fmt=dense, 2, 10\n", p);
        Assert.That(strip, Is.EqualTo(Expected(dataflow, 112, 40, 576, p.SpuPipelineLatency)));

        // The same strip at stride 2 (28 output rows): 2·28 = 56 pixels.
        long strided = SpuBusy(".engine spu.0.0\n conv 1, 56, 56, 64, 40, 3, 3, 2, 1, l1[0x0], l1[0x3800], l1[0x9400], int8, fmt=dense, 2, 10\n", p);
        Assert.That(strided, Is.EqualTo(Expected(dataflow, 56, 40, 576, p.SpuPipelineLatency)));

        // Whole images (ROWS 0): 2 samples of 7×7 outputs, K = 9·16.
        long whole = SpuBusy(".engine spu.0.0\n conv 2, 7, 7, 16, 32, 3, 3, 1, 1, l1[0x0], l1[0x1000], l1[0x3000], int8, fmt=dense\n", p);
        Assert.That(whole, Is.EqualTo(Expected(dataflow, 98, 32, 144, p.SpuPipelineLatency)));
    }

    [Test]
    public void StripOutsideTheImage_IsRejected()
    {
        // 3 rows from row 55 of 56 output rows: the assembler validates ROW0 + ROWS <= P.
        var e = Assert.Throws<AsmException>(() => Assembler.Assemble(".engine spu.0.0\n conv 1, 56, 56, 64, 40, 3, 3, 1, 1, l1[0x0], l1[0x3800], l1[0x9400], int8, fmt=dense, 3, 55\n", "bad.s"));
        Assert.That(e!.Message, Does.Contain("outside the 56 output rows"));
        Assert.That(() => Assembler.Assemble(".engine spu.0.0\n conv 1, 56, 56, 64, 40, 3, 3, 1, 1, l1[0x0], l1[0x3800], l1[0x9400], int8, fmt=dense, 0, 4\n", "bad.s"),
            Throws.InstanceOf<AsmException>());
    }

    [Test]
    public void Strip_RoundTripsThroughTheDisassembler()
    {
        const string Text = "conv 1, 56, 56, 64, 40, 3, 3, 2, 1, l1[0x0], l1[0x3800], l1[0x9400], int8, fmt=bitmap:16 rq=3:7, 2, 10";
        AkpProgram p = Assembler.Assemble(".engine spu.0.0\n " + Text + "\n", "rt.s");
        Instruction i = p.Streams[0].Code[0];
        ConvGeometry g = ConvGeometry.Decode(i);
        Assert.That((g.Rows, g.Row0, g.InRow0, g.InRows, g.Gemm), Is.EqualTo((2L, 10L, 19L, 5L, (56L, 40L, 576L))));
        Instruction again = Assembler.Assemble(".engine spu.0.0\n " + Disassembler.Format(i) + "\n", "rt2.s").Streams[0].Code[0];
        Assert.That(again, Is.EqualTo(i));
        Assert.That(Disassembler.Format(i), Does.EndWith(", 2, 10"));
    }

    [Test]
    public void Window_ClampsToTheImage()
    {
        // First strip (pad 1 above): rows 0..2 of output read input rows 0..3; the last strip reads rows 53..55.
        var top = new ConvGeometry(1, 56, 56, 64, 40, 3, 3, 1, 1, 3, 0);
        var bottom = top with { Row0 = 53 };
        Assert.That((top.InRow0, top.InRows), Is.EqualTo((0L, 4L)));
        Assert.That((bottom.InRow0, bottom.InRows), Is.EqualTo((52L, 4L)));
        Assert.That((top with { Row0 = 20 }).InRows, Is.EqualTo(5L));
    }
}
