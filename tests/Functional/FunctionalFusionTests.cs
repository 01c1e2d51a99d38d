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
/// Residual-add fusion (docs/compiler.md "Fused residual adds"): the VPU combines each row block of the producing
/// conv's output with the residual as soon as the DMA channels have drained it. Functional runs prove the drain
/// tokens: with them the output matches the reference; without the waits the VPU reads regions before they are
/// written and the comparison fails.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Functional")]
public class FunctionalFusionTests
{
    private static CardParameters Card(string sku, params string[] sets) =>
        CardParameters.FromConfig(ConfigLoader.Load(sku, sets).Config) with { DramDevice = null };

    /// <summary>
    /// conv 1×1 → conv 3×3 → conv 1×1 (64 outputs: several N tiles on an 8 kB L1) → add (residual: the input) →
    /// conv 1×1 → add or mul; several micro-batches per cluster on a 64 KiB L2.
    /// </summary>
    private static WorkloadGraph Net(LayerPrecision prec, OpKind second) => Graph(
        Conv("c1", 8, 8, 64, 16, 1, 1, 0, prec),
        Conv("c2", 8, 8, 16, 16, 3, 1, 1, prec, ratio: 2, format: "csr"),
        Conv("c3", 8, 8, 16, 64, 1, 1, 0, prec),
        new Layer { Name = "add1", Op = OpKind.Add, Elements = 8 * 8 * 64, Precision = prec },
        Conv("c4", 8, 8, 64, 64, 1, 1, 0, prec, ratio: 4, format: "bitmap"),
        new Layer { Name = "res2", Op = second, Elements = 8 * 8 * 64, Precision = prec });

    private static (CompileResult Compiled, FunctionalOutcome? Outcome, string? ProgramError) CompileAndRun(CardParameters card, WorkloadGraph g, int batch, CompileOptions options)
    {
        FunctionalInputs inputs = FunctionalRun.Generate(g, batch, 9);
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

        return (c, FunctionalRun.Compare(g, batch, 9, c, inputs, mem).Outcome, null);
    }

    /// <summary>VPU vops in the program (a fused add is one per row block, an unfused one a single vop per micro-batch).</summary>
    private static int VpuVops(CompileResult c) =>
        c.Program.Streams.Where(s => s.Engine.Kind == EngineKind.Vpu).Sum(s => s.Code.Count(i => i.Op == Opcode.Vop));

    [TestCase("S4", LayerPrecision.Int8, OpKind.Add, 16)]
    [TestCase("S4", LayerPrecision.Bf16, OpKind.Mul, 16)]
    [TestCase("S10", LayerPrecision.Int8, OpKind.Add, 48)]
    public void FusedAdds_MatchReference(string sku, LayerPrecision prec, OpKind second, int batch)
    {
        CardParameters card = Card(sku, "chip.l1.capacity=8kB", "chip.l2.capacity=64KiB");
        (CompileResult fused, FunctionalOutcome? o, string? error) = CompileAndRun(card, Net(prec, second), batch, new CompileOptions());
        Assert.That(error, Is.Null);
        Assert.That(o!.Mismatches, Is.EqualTo(0), o.ToConsoleLine() + " segments " + string.Join("; ", fused.Report.Segments));
        (CompileResult plain, FunctionalOutcome? o2, _) = CompileAndRun(card, Net(prec, second), batch, new CompileOptions { FuseElementwise = false });
        Assert.That(o2!.Mismatches, Is.EqualTo(0), o2.ToConsoleLine());
        Assert.That(VpuVops(fused), Is.GreaterThan(VpuVops(plain)), "the fused adds run per row block");
        Assert.That(fused.Report.MicroBatch, Is.LessThan(batch / (card.Chips * 4)), "several micro-batches");
    }

    [Test]
    public void FusionWithoutTheDrainWaits_IsCaught()
    {
        // The VPU no longer waits for each block's drains: it adds regions the producer has not written yet.
        CardParameters card = Card("S4", "chip.l1.capacity=8kB", "chip.l2.capacity=64KiB");
        (_, FunctionalOutcome? o, string? error) = CompileAndRun(card, Net(LayerPrecision.Int8, OpKind.Add), 16, new CompileOptions { FuseWithoutDrainWaitForTest = true });
        Assert.That(error, Is.Null);
        Assert.That(o!.Pass, Is.False);
        Assert.That(o.Mismatches, Is.GreaterThan(0));
    }
}
