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
/// Pool fusion (docs/compiler.md "Fused pooling"): the VPU pools each block of output rows of a 3×3 stride-2 pool as
/// soon as the DMA channels have drained the producing conv's rows the block reads (halo rows included). Functional
/// runs prove the drain tokens: with them the output matches the reference; without the waits the VPU reads rows
/// before they are written and the comparison fails.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Functional")]
public class FunctionalPoolFusionTests
{
    private static CardParameters Card(string sku, params string[] sets) =>
        CardParameters.FromConfig(ConfigLoader.Load(sku, sets).Config) with { DramDevice = null };

    /// <summary>conv 3×3 (16×16×8 → 16) → max or avg pool 3×3 stride 2 pad 1 → conv 1×1 (8×8×16 → 32).</summary>
    private static WorkloadGraph Net(LayerPrecision prec, string kind) => Graph(
        Conv("c1", 16, 16, 8, 16, 3, 1, 1, prec),
        new Layer { Name = "pool", Op = OpKind.Pool, H = 16, W = 16, C = 16, R = 3, S = 3, Stride = 2, Pad = 1, PoolKind = kind, Precision = prec },
        Conv("c2", 8, 8, 16, 32, 1, 1, 0, prec, ratio: 2, format: "bitmap"));

    private static (CompileResult Compiled, FunctionalOutcome? Outcome, string? ProgramError) CompileAndRun(CardParameters card, WorkloadGraph g, int batch, CompileOptions options)
    {
        FunctionalInputs inputs = FunctionalRun.Generate(g, batch, 5);
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

        return (c, FunctionalRun.Compare(g, batch, 5, c, inputs, mem).Outcome, null);
    }

    /// <summary>VPU waits on the fused drain tokens (none when the pool runs as its own phase).</summary>
    private static int DrainWaits(CompileResult c) =>
        c.Program.Streams.Where(s => s.Engine.Kind == EngineKind.Vpu).Sum(s => s.Code.Count(i => i.Op == Opcode.Wait));

    [TestCase("S4", LayerPrecision.Int8, "max", 16)]
    [TestCase("S10", LayerPrecision.Int8, "max", 24)]
    [TestCase("S4", LayerPrecision.Bf16, "max", 16)]
    [TestCase("S4", LayerPrecision.Bf16, "avg", 16)]
    public void FusedPool_MatchesReference(string sku, LayerPrecision prec, string kind, int batch)
    {
        CardParameters card = Card(sku, "chip.l1.capacity=8kB", "chip.l2.capacity=64KiB");
        (CompileResult fused, FunctionalOutcome? o, string? error) = CompileAndRun(card, Net(prec, kind), batch, new CompileOptions());
        Assert.That(error, Is.Null);
        Assert.That(o!.Mismatches, Is.EqualTo(0), o.ToConsoleLine() + " segments " + string.Join("; ", fused.Report.Segments));
        (CompileResult plain, FunctionalOutcome? o2, _) = CompileAndRun(card, Net(prec, kind), batch, new CompileOptions { FusePool = false });
        Assert.That(o2!.Mismatches, Is.EqualTo(0), o2.ToConsoleLine());
        Assert.That(DrainWaits(fused), Is.GreaterThan(DrainWaits(plain) + 4), "the fused pool waits per row block");
    }

    [Test]
    public void PoolFusionWithoutTheDrainWaits_IsCaught()
    {
        // The VPU no longer waits for each block's drains: it pools rows the conv has not written yet.
        CardParameters card = Card("S4", "chip.l1.capacity=8kB", "chip.l2.capacity=64KiB");
        (_, FunctionalOutcome? o, string? error) = CompileAndRun(card, Net(LayerPrecision.Int8, "max"), 16, new CompileOptions { FuseWithoutDrainWaitForTest = true });
        Assert.That(error, Is.Null);
        Assert.That(o!.Pass, Is.False);
        Assert.That(o.Mismatches, Is.GreaterThan(0));
    }
}
