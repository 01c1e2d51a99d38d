using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Spu;

/// <summary>
/// Back-to-back SPU operations (docs/spu.md, calibration): an operation that follows the SPU's previous one without a
/// stall (only control instructions and waits whose token was already signalled in between) hides its first fold's
/// fill R + C − 2 in the share chip.calibration.spuFoldOverlapPercent, as it hides every later fold's; a lone
/// operation, or one after a wait that had to wait, keeps the single-instruction rule. The expected counts are the
/// closed form restated here (os, dense INT8, 16 × 32, pipeline latency 8), not the code's helper.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Spu")]
public class BackToBackTimingTests
{
    // matmul 40 × 96 × 200 dense on os: ceil(40/16) = 3 row folds × ceil(96/32) = 3 column folds = 9 folds of
    // R + C + T − 2 = 16 + 32 + 200 − 2 = 246 cycles; fill R + C − 2 = 46.
    private const string Op = " matmul 40, 96, 200, l1[0x0], l1[0x2000], l1[0x8000], int8, fmt=dense\n";
    private const long Folds = 9;
    private const long Fold = 246;
    private const long Fill = 46;
    private const long Pipeline = 8;

    private static CardParameters Card(int overlapPercent)
    {
        string[] sets = [.. Antoum.Sim.Validation.Validator.Neutral(), "chip.spu.dataflow=os",
            $"chip.calibration.spuFoldOverlapPercent={overlapPercent}"];
        return CardParameters.FromConfig(ConfigLoader.Load("S4", sets).Config) with { DramDevice = null };
    }

    private static long Busy(string text, CardParameters p, string engine = "spu.0.0")
    {
        AkpProgram program = Assembler.Assemble(text, "b2b.s");
        ProgramSummary s = ProgramRunner.Run(ProgramRunner.Build(p, program, "b2b.s"), ulong.MaxValue, ulong.MaxValue);
        return s.Engines.Single(e => e.Engine == engine).BusyCycles;
    }

    /// <summary>One operation: folds·fold − (folds − 1 [+ 1 back to back])·fill·pct/100 + pipeline latency.</summary>
    private static long Expected(int pct, bool backToBack) =>
        (Folds * Fold) - ((Folds - 1 + (backToBack ? 1 : 0)) * Fill * pct / 100) + Pipeline;

    [TestCase(0)]
    [TestCase(37)]
    [TestCase(100)]
    public void LoneOperation_KeepsTheSingleInstructionRule(int pct)
    {
        Assert.That(Busy(".engine spu.0.0\n" + Op, Card(pct)), Is.EqualTo(Expected(pct, backToBack: false)));
    }

    [TestCase(0)]
    [TestCase(37)]
    [TestCase(100)]
    public void TwoOperationsBackToBack_TheSecondHidesItsFirstFill(int pct)
    {
        long expected = Expected(pct, backToBack: false) + Expected(pct, backToBack: true);
        Assert.That(Busy(".engine spu.0.0\n" + Op + Op, Card(pct)), Is.EqualTo(expected));
        if (pct == 100)
        {
            Assert.That(expected, Is.EqualTo((2 * Folds * Fold) - ((2 * Folds) - 1) * Fill + (2 * Pipeline)));
        }
    }

    [Test]
    public void WaitGrantedAtOnce_StillBackToBack()
    {
        // The token is signalled before the wait: the wait is granted without waiting for a signal.
        string text = ".engine spu.0.0\n signal c:t0\n" + Op + " signal c:t1\n wait c:t0\n" + Op;
        Assert.That(Busy(text, Card(100)), Is.EqualTo(Expected(100, false) + Expected(100, true)));
    }

    [Test]
    public void WaitThatStalls_BreaksTheChain()
    {
        // spu.0.0 waits for a token spu.0.1 signals after three operations: its second operation is not back to back.
        string text = ".engine spu.0.0\n" + Op + " wait c:t0\n" + Op + ".engine spu.0.1\n" + Op + Op + Op + " signal c:t0\n";
        Assert.That(Busy(text, Card(100)), Is.EqualTo(2 * Expected(100, false)));
    }
}
