using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Functional;
using NUnit.Framework;
using static Antoum.Tests.Functional.FunctionalTests;

namespace Antoum.Tests.Functional;

/// <summary>
/// Segment input prefetch (docs/compiler.md "Segment input prefetch"): the prefetch queue copies the next
/// micro-batch's segment input into the other L2 input buffer (residual region) while the current one computes, and
/// the next segment's first input during a segment's last micro-batch. Functional runs prove the tokens: with them the
/// output matches the reference; without channel 0's wait for the input to land, layers read a buffer before it is
/// written and the comparison fails.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Functional")]
public class FunctionalInputPrefetchTests
{
    private static CardParameters Card(string sku, params string[] sets) =>
        CardParameters.FromConfig(ConfigLoader.Load(sku, sets).Config) with { DramDevice = null };

    /// <summary>
    /// A residual block with a wide middle, then a weight-heavy tail (c4, c5: 295 kB and 512 kB of weights): on a
    /// 416 KiB L2 the segments are c1..c2, two micro-batches of 4 from two input buffers, and add1..add2, one of 8
    /// whose input (c2's output, in the input buffer at the top of L2) is copied during c1..c2's last micro-batch; on
    /// 112 KiB c1..c2 runs 8 micro-batches of 1.
    /// </summary>
    internal static WorkloadGraph Net5(LayerPrecision prec) => Graph(
        Conv("c1", 16, 16, 32, 128, 1, 1, 0, prec),
        Conv("c2", 16, 16, 128, 32, 1, 1, 0, prec, ratio: 2, format: "csr"),
        new Layer { Name = "add1", Op = OpKind.Add, Elements = 16 * 16 * 32, Precision = prec },
        Conv("c3", 16, 16, 32, 256, 1, 8, 0, prec),
        Conv("c4", 2, 2, 256, 256, 3, 1, 1, prec, ratio: 2, format: "csr"),
        Conv("c5", 2, 2, 256, 2048, 1, 1, 0, prec),
        new Layer { Name = "add2", Op = OpKind.Add, Elements = 2 * 2 * 2048, Precision = prec });

    /// <summary>Two residual blocks, then a weight-heavy tail after add1b (its segment's input is the residual).</summary>
    private static WorkloadGraph ResidualInput(LayerPrecision prec) => Graph(
        Conv("c1", 16, 16, 32, 64, 1, 1, 0, prec),
        Conv("c2", 16, 16, 64, 32, 1, 1, 0, prec, ratio: 2, format: "csr"),
        new Layer { Name = "add1", Op = OpKind.Add, Elements = 16 * 16 * 32, Precision = prec },
        Conv("c1b", 16, 16, 32, 64, 1, 1, 0, prec),
        Conv("c2b", 16, 16, 64, 32, 1, 1, 0, prec, ratio: 2, format: "csr"),
        new Layer { Name = "add1b", Op = OpKind.Add, Elements = 16 * 16 * 32, Precision = prec },
        Conv("c3", 16, 16, 32, 256, 1, 8, 0, prec),
        Conv("c4", 2, 2, 256, 256, 3, 1, 1, prec, ratio: 2, format: "csr"),
        Conv("c5", 2, 2, 256, 2048, 1, 1, 0, prec),
        new Layer { Name = "add2", Op = OpKind.Add, Elements = 2 * 2 * 2048, Precision = prec });

    internal static (CompileResult Compiled, FunctionalOutcome? Outcome, string? ProgramError) CompileAndRun(CardParameters card, WorkloadGraph g, int batch, CompileOptions options)
    {
        FunctionalInputs inputs = FunctionalRun.Generate(g, batch, 11);
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(g, batch, CompilerTarget.From(card), options with { Data = new FunctionalData(inputs.Layers) });
        FunctionalMemory mem = FunctionalRun.Load(card, c, inputs);
        try
        {
            ProgramRunner.Run(ProgramRunner.Build(card, c.Program, "t", timeline: false, data: mem), ulong.MaxValue, 200_000_000);
        }
        catch (UserInputException e)
        {
            return (c, null, e.Message);
        }

        return (c, FunctionalRun.Compare(g, batch, 11, c, inputs, mem).Outcome, null);
    }

    [TestCase("416KiB", LayerPrecision.Int8, false, "c1..c2 mb 4 stage 2x8192 prefetch input 2x prefetch; add1..add2 mb 8 input 2x prefetch ahead")]
    [TestCase("832KiB", LayerPrecision.Bf16, false, "input 2x prefetch")]
    [TestCase("208KiB", LayerPrecision.Int8, false, "c1..c2 mb 3 stage 2x8192 prefetch; add1..add2 mb 4 input 2x prefetch")]
    [TestCase("112KiB", LayerPrecision.Int8, false, "c1..c2 mb 1 stage 2x8192 prefetch input 2x prefetch; add1..add2 mb 3")]
    [TestCase("160KiB", LayerPrecision.Int8, true, "c1..add1b mb 3 stage 2x4096 prefetch; c3..add2 mb 4 input 2x prefetch")]
    public void PrefetchedInputs_MatchReference(string l2, LayerPrecision prec, bool residualNet, string expected)
    {
        CardParameters card = Card("S4", "chip.l1.capacity=8kB", "chip.l2.capacity=" + l2);
        WorkloadGraph g = residualNet ? ResidualInput(prec) : Net5(prec);
        (CompileResult c, FunctionalOutcome? o, string? error) = CompileAndRun(card, g, 32, new CompileOptions());
        string segments = string.Join("; ", c.Report.Segments);
        Assert.That(error, Is.Null, segments);
        Assert.That(segments, Does.Contain(expected));
        Assert.That(o!.Mismatches, Is.EqualTo(0), o.ToConsoleLine() + " segments " + segments);
    }

    [Test]
    public void WithoutTheReadyWait_IsCaught()
    {
        // add1..add2 stages no weights (they are read from DRAM), so only the ready token orders its first layer's
        // reads after the queue's copy of the segment's first input; without the wait they read a stale buffer. (Where
        // the first layer stages weights, the in-order queue lands the input before those weights anyway.) A slow DRAM
        // (1 GB/s) makes the copy land well after the reads start.
        CardParameters card = Card("S4", "chip.l1.capacity=8kB", "chip.l2.capacity=208KiB", "chip.dram.bandwidth=1GB/s", "chip.dram.timing.dataRate=64MT/s");
        (_, FunctionalOutcome? good, string? goodError) = CompileAndRun(card, Net5(LayerPrecision.Int8), 32, new CompileOptions());
        Assert.That(goodError, Is.Null);
        Assert.That(good!.Mismatches, Is.EqualTo(0), "with the wait the slow DRAM is only slow");
        (CompileResult c, FunctionalOutcome? o, string? error) = CompileAndRun(card, Net5(LayerPrecision.Int8), 32, new CompileOptions { PrefetchInputWithoutReadyWaitForTest = true });
        Assert.That(c.Report.Segments, Has.Some.Contains("add1..add2 mb 4 input 2x prefetch"), string.Join("; ", c.Report.Segments));
        if (error is not null)
        {
            Assert.That(error, Does.Contain("program error"));
            return;
        }

        Assert.That(o!.Pass, Is.False);
        Assert.That(o.Mismatches, Is.GreaterThan(0));
    }

    [Test]
    public void WithoutInputPrefetch_TheSameSegmentsMatchReference()
    {
        CardParameters card = Card("S4", "chip.l1.capacity=8kB", "chip.l2.capacity=416KiB");
        (CompileResult on, _, _) = CompileAndRun(card, Net5(LayerPrecision.Int8), 32, new CompileOptions());
        (CompileResult off, FunctionalOutcome? o, string? error) = CompileAndRun(card, Net5(LayerPrecision.Int8), 32, new CompileOptions { PrefetchInput = false });
        Assert.That(error, Is.Null);
        Assert.That(o!.Mismatches, Is.EqualTo(0), o.ToConsoleLine());
        Assert.That(off.Report.Segments, Has.None.Contains("input"));
        Assert.That(on.Report.Segments.Select(x => x.Split(" input")[0]), Is.EqualTo(off.Report.Segments), "the same cuts, micro-batches and weight stages");
    }
}
