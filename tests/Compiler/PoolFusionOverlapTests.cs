using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// Pool fusion (docs/compiler.md "Fused pooling"), timing: the 3×3 stride-2 max pool's VPU work overlaps the
/// producing conv's later tiles instead of running as its own phase after the conv.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class PoolFusionOverlapTests
{
    private static CardParameters Card(params string[] sets) => CardParameters.FromConfig(ConfigLoader.Load("S4", sets).Config);

    /// <summary>conv 3×3 56×56×64 → 64, max pool 3×3 stride 2 pad 1 (as ResNet-50's pool1), conv 1×1 28×28×64 → 64.</summary>
    private static WorkloadGraph ConvPool() => new()
    {
        Name = "conv-pool",
        InputBytesPerSample = 56 * 56 * 64,
        OutputBytesPerSample = 28 * 28 * 64,
        Layers =
        [
            new Layer { Name = "c1", Op = OpKind.Conv, H = 56, W = 56, C = 64, K = 64, R = 3, S = 3, Stride = 1, Pad = 1 },
            new Layer { Name = "pool", Op = OpKind.Pool, H = 56, W = 56, C = 64, R = 3, S = 3, Stride = 2, Pad = 1 },
            new Layer { Name = "c2", Op = OpKind.Conv, H = 28, W = 28, C = 64, K = 64, R = 1, S = 1, Stride = 1 },
        ],
    };

    private static NetworkRunResult Run(CardParameters card, int batch, bool fuse)
    {
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(ConvPool(), batch, CompilerTarget.From(card), new CompileOptions { Mode = PartitionMode.PerCluster, FusePool = fuse });
        return NetworkRun.Run(card, c, "conv-pool", ulong.MaxValue, 100_000_000);
    }

    [Test]
    public void FusedPool_HidesMostOfItsVpuTime()
    {
        CardParameters card = Card();
        NetworkRunResult plain = Run(card, 8, fuse: false);
        NetworkRunResult fused = Run(card, 8, fuse: true);

        // The pool's VPU time per cluster (two samples each), unfused: a copy and 8 max passes over its output, each
        // ceil(elements / lanes) element groups + the pipeline.
        long elements = 2L * 28 * 28 * 64;
        double poolCycles = 9 * (Math.Ceiling(elements / (double)card.VpuLanes) + card.VpuPipelineLatency);
        TestContext.Out.WriteLine($"unfused {plain.Summary.Cycles} cycles, fused {fused.Summary.Cycles} cycles; pool {poolCycles:0} VPU cycles per cluster");
        Assert.That(plain.Layers[1].Cycles, Is.GreaterThan(0.9 * poolCycles), "unfused, the pool is its own VPU phase");
        Assert.That(fused.Layers[1].Cycles, Is.LessThan(0.5 * poolCycles), "fused, the pool row keeps only the VPU's tail");
        Assert.That(fused.Summary.Cycles, Is.LessThan(plain.Summary.Cycles - (0.5 * poolCycles)), "at least half of the pool's VPU time is hidden");
        Assert.That(fused.Compiled.Report.Layers[1].VectorInstructions, Is.GreaterThan(plain.Compiled.Report.Layers[1].VectorInstructions));
    }

    [Test]
    public void FusedPoolProgram_IsDeterministic()
    {
        CardParameters card = Card();
        NetworkRunResult a = Run(card, 8, fuse: true);
        NetworkRunResult b = Run(card, 8, fuse: true);
        Assert.That(a.Summary.Cycles, Is.EqualTo(b.Summary.Cycles));
        Assert.That(a.Compiled.Program.Streams.Sum(s => s.Code.Length), Is.EqualTo(b.Compiled.Program.Streams.Sum(s => s.Code.Length)));
    }
}
