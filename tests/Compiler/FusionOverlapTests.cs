using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// Residual-add fusion (docs/compiler.md "Fused residual adds"), timing: the add's VPU work overlaps the producing
/// conv's later tiles instead of running as its own phase after the conv.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class FusionOverlapTests
{
    private static CardParameters Card(params string[] sets) => CardParameters.FromConfig(ConfigLoader.Load("S4", sets).Config);

    /// <summary>conv 1×1 56×56×64 → 256 (as ResNet-50's layer1 conv3), then the residual add over its output.</summary>
    private static WorkloadGraph ConvAdd() => new()
    {
        Name = "conv-add",
        InputBytesPerSample = 56 * 56 * 64,
        OutputBytesPerSample = 56 * 56 * 256,
        Layers =
        [
            new Layer { Name = "c1", Op = OpKind.Conv, H = 56, W = 56, C = 64, K = 64, R = 1, S = 1, Stride = 1 },
            new Layer { Name = "c2", Op = OpKind.Conv, H = 56, W = 56, C = 64, K = 256, R = 1, S = 1, Stride = 1 },
            new Layer { Name = "add", Op = OpKind.Add, Elements = 56 * 56 * 256 },
            new Layer { Name = "c3", Op = OpKind.Conv, H = 56, W = 56, C = 256, K = 64, R = 1, S = 1, Stride = 1 },
        ],
    };

    private static NetworkRunResult Run(CardParameters card, int batch, bool fuse)
    {
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(ConvAdd(), batch, CompilerTarget.From(card), new CompileOptions { Mode = PartitionMode.PerCluster, FuseElementwise = fuse });
        return NetworkRun.Run(card, c, "conv-add", ulong.MaxValue, 100_000_000);
    }

    [Test]
    public void FusedAdd_HidesMostOfItsVpuTime()
    {
        CardParameters card = Card();
        NetworkRunResult plain = Run(card, 8, fuse: false);
        NetworkRunResult fused = Run(card, 8, fuse: true);

        // The add's VPU time per cluster (two samples each): ceil(elements / lanes) element groups + the pipeline.
        long elements = 2L * 56 * 56 * 256;
        double addCycles = Math.Ceiling(elements / (double)card.VpuLanes) + card.VpuPipelineLatency;
        TestContext.Out.WriteLine($"unfused {plain.Summary.Cycles} cycles, fused {fused.Summary.Cycles} cycles; add {addCycles:0} VPU cycles per cluster");
        Assert.That(plain.Layers[2].Cycles, Is.GreaterThan(0.9 * addCycles), "unfused, the add is its own VPU phase");
        Assert.That(fused.Summary.Cycles, Is.LessThan(plain.Summary.Cycles - (0.5 * addCycles)), "at least half of the add's VPU time is hidden");
        Assert.That(fused.Compiled.Report.Layers[2].VectorInstructions, Is.GreaterThan(plain.Compiled.Report.Layers[2].VectorInstructions));
    }

    [Test]
    public void FusedProgram_IsDeterministic()
    {
        CardParameters card = Card();
        NetworkRunResult a = Run(card, 8, fuse: true);
        NetworkRunResult b = Run(card, 8, fuse: true);
        Assert.That(a.Summary.Cycles, Is.EqualTo(b.Summary.Cycles));
        Assert.That(a.Compiled.Program.Streams.Sum(s => s.Code.Length), Is.EqualTo(b.Compiled.Program.Streams.Sum(s => s.Code.Length)));
    }
}
