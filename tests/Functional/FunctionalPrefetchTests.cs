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
/// Weight prefetch (docs/compiler.md "Weight prefetch"): the prefetch queue stages the next layer's weights into the
/// other half of the double-buffered L2 stage while a layer computes. Functional runs prove the tokens: with them the
/// output matches the reference; without the "stage buffer released" wait the queue overwrites weights tiles still
/// read, and the comparison fails.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Functional")]
public class FunctionalPrefetchTests
{
    private static CardParameters Card(string sku, params string[] sets) =>
        CardParameters.FromConfig(ConfigLoader.Load(sku, sets).Config) with { DramDevice = null };

    /// <summary>Five weight layers (distinct weights each), two micro-batches per cluster on a 128 KiB L2.</summary>
    private static WorkloadGraph Chain() => Graph(
        Conv("c1", 16, 16, 16, 32, 3, 1, 1, LayerPrecision.Int8),
        Conv("c2", 16, 16, 32, 32, 3, 1, 1, LayerPrecision.Int8, ratio: 2, format: "csr"),
        Conv("c3", 16, 16, 32, 32, 1, 1, 0, LayerPrecision.Int8),
        Conv("c4", 16, 16, 32, 48, 3, 1, 1, LayerPrecision.Int8, ratio: 4, format: "bitmap"),
        Conv("c5", 16, 16, 48, 16, 1, 1, 0, LayerPrecision.Int8));

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

    private static bool HasPrefetchQueue(CompileResult c, int channel) =>
        c.Program.Streams.Any(s => s.Engine.Kind == EngineKind.Dma && s.Engine.Unit == channel && s.Code.Any(i => i.Op == Opcode.Copy));

    [TestCase("S4", 16)]
    [TestCase("S10", 32)]
    public void PrefetchedWeights_MatchReference(string sku, int batch)
    {
        CardParameters card = Card(sku, "chip.l1.capacity=8kB", "chip.l2.capacity=128KiB");
        (CompileResult c, FunctionalOutcome? o, string? error) = CompileAndRun(card, Chain(), batch, new CompileOptions());
        Assert.That(error, Is.Null);
        Assert.That(o!.Mismatches, Is.EqualTo(0), o.ToConsoleLine() + " segments " + string.Join("; ", c.Report.Segments));
        Assert.That(c.Report.Segments, Has.Some.Contains("prefetch"), string.Join("; ", c.Report.Segments));
        Assert.That(c.Report.MicroBatch, Is.LessThan(batch / (card.Chips * 4)), "several micro-batches: the queue runs ahead across them");
        Assert.That(c.Report.TotalPrefetchedBytes, Is.GreaterThan(0));
        Assert.That(HasPrefetchQueue(c, card.SpusPerCluster), Is.True, "the weight copies run on the prefetch queue dma.K.8");
    }

    [Test]
    public void PrefetchWithoutTheReleaseToken_IsCaught()
    {
        // The queue no longer waits for a stage buffer to be released: it stages layer n+2 into the buffer layer n's
        // tiles still read, so tiles multiply the wrong weights (or a packed tile of the wrong shape: a program error).
        CardParameters card = Card("S4", "chip.l1.capacity=8kB", "chip.l2.capacity=128KiB");
        (CompileResult c, FunctionalOutcome? o, string? error) = CompileAndRun(card, Chain(), 16, new CompileOptions { PrefetchWithoutFreeTokenForTest = true });
        Assert.That(c.Report.TotalPrefetchedBytes, Is.GreaterThan(0));
        if (error is not null)
        {
            Assert.That(error, Does.Contain("program error"));
            return;
        }

        Assert.That(o!.Pass, Is.False);
        Assert.That(o.Mismatches, Is.GreaterThan(0));
    }

    [Test]
    public void WithoutASpareChannel_WeightsAreStagedOnChannelZero_AndMatchReference()
    {
        CardParameters card = Card("S4", "chip.l1.capacity=8kB", "chip.l2.capacity=128KiB", "chip.dma.channels=8");
        (CompileResult c, FunctionalOutcome? o, string? error) = CompileAndRun(card, Chain(), 16, new CompileOptions());
        Assert.That(error, Is.Null);
        Assert.That(o!.Mismatches, Is.EqualTo(0), o.ToConsoleLine());
        Assert.That(c.Report.TotalPrefetchedBytes, Is.EqualTo(0));
        Assert.That(c.Report.Segments, Has.None.Contains("prefetch"));
        Assert.That(c.Report.Layers.Sum(l => l.DramToL2Bytes), Is.GreaterThan(0), "weights still staged, on channel 0");
    }
}
