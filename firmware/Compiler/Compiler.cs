using System.Globalization;
using Antoum.Firmware.Workloads;
using Antoum.Isa;

namespace Antoum.Firmware.Compiler;

/// <summary>
/// The AntoumSim compiler: workload graph → partitioned, tiled, double-buffered per-engine programs (docs/compiler.md).
/// </summary>
public static class Compiler
{
    /// <summary>Most batches one multi-batch (offline) program runs.</summary>
    public const int MaxBatches = CompileSession.MaxBatches;

    /// <summary>Most DRAM input buffers per cluster of a multi-batch program.</summary>
    public const int MaxInputBuffers = CompileSession.MaxInputBuffers;

    /// <summary>Compiles <paramref name="graph"/> for <paramref name="batch"/> samples on <paramref name="target"/>.</summary>
    public static CompileResult Compile(WorkloadGraph graph, int batch, CompileTarget target, CompileOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(target);
        options ??= CompileOptions.Default;
        if (target.Check() is { } bad)
        {
            throw new CompileException($"target {target.Sku}: {bad}");
        }

        if (batch < 1)
        {
            throw new CompileException($"batch must be at least 1 (got {batch})");
        }

        if (graph.Layers.Count == 0)
        {
            throw new CompileException($"workload {graph.Name} has no layers");
        }

        return new CompileSession(graph, batch, target, options, options.Mode ?? DefaultMode(graph)).Run();
    }

    /// <summary>
    /// The part of <paramref name="target"/> a compile of <paramref name="graph"/> with <paramref name="options"/>
    /// reads: <see cref="CompileTarget.DramBytesPerCycle"/> only enters split mode's tiling cost model, so it is zero
    /// otherwise (compile caches key on this, so points that differ only in DRAM bandwidth share a perCluster program).
    /// </summary>
    public static CompileTarget EffectiveTarget(WorkloadGraph graph, CompileTarget target, CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(options);
        bool split = (options.Mode ?? DefaultMode(graph)) == PartitionMode.Split && options.SplitWeightStage && options.SplitTileModel;
        return split ? target : target with { DramBytesPerCycle = 0 };
    }

    /// <summary>split for graphs with attention or layer normalisation (the BERT family, Conformer), perCluster otherwise.</summary>
    public static PartitionMode DefaultMode(WorkloadGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Layers.Any(l => l.Op is OpKind.Attention or OpKind.LayerNorm) ? PartitionMode.Split : PartitionMode.PerCluster;
    }

    /// <summary>Null when a functional compile supports the layer (docs/functional.md), else why not.</summary>
    public static string? FunctionalSupport(Layer layer) => CompileSession.FunctionalSupport(layer);

    /// <summary>Parses perCluster | split | broadcast (case-insensitive).</summary>
    public static PartitionMode ParseMode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToLowerInvariant() switch
        {
            "percluster" or "per-cluster" => PartitionMode.PerCluster,
            "split" => PartitionMode.Split,
            "broadcast" => PartitionMode.Broadcast,
            _ => throw new CompileException($"expected a partition mode perCluster, split or broadcast, got '{text}'"),
        };
    }

    /// <summary>Divides <paramref name="total"/> into <paramref name="parts"/> shares; the first total % parts shares get one more.</summary>
    public static long[] Shares(long total, int parts)
    {
        var s = new long[parts];
        for (int i = 0; i < parts; i++)
        {
            s[i] = (total / parts) + (i < total % parts ? 1 : 0);
        }

        return s;
    }

    internal static string Str(FormattableString f) => f.ToString(CultureInfo.InvariantCulture);
}
