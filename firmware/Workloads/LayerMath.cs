namespace Antoum.Firmware.Workloads;

/// <summary>
/// Derived figures of a layer, per sample: output sizes, multiply-accumulates and weight counts. Kept out of the
/// records so the graph model stays plain data.
/// </summary>
public static class LayerMath
{
    /// <summary>Conv and pool output height: (H + 2·Pad − R) / Stride + 1; Resize: H·Scale; otherwise 0.</summary>
    public static int OutH(this Layer l)
    {
        return l.Op switch
        {
            OpKind.Conv or OpKind.Pool => ((l.H + (2 * l.Pad) - l.R) / l.Stride) + 1,
            OpKind.Resize => l.H * l.Scale,
            _ => 0,
        };
    }

    /// <summary>Conv and pool output width: (W + 2·Pad − S) / Stride + 1; Resize: W·Scale; otherwise 0.</summary>
    public static int OutW(this Layer l)
    {
        return l.Op switch
        {
            OpKind.Conv or OpKind.Pool => ((l.W + (2 * l.Pad) - l.S) / l.Stride) + 1,
            OpKind.Resize => l.W * l.Scale,
            _ => 0,
        };
    }

    /// <summary>Output channels: K for conv, C for pool and resize; otherwise 0.</summary>
    public static int OutC(this Layer l)
    {
        return l.Op switch
        {
            OpKind.Conv => l.K,
            OpKind.Pool or OpKind.Resize => l.C,
            _ => 0,
        };
    }

    /// <summary>True for layers that carry weights (conv, gemm): the only ones weight sparsity applies to.</summary>
    public static bool HasWeights(this Layer l) => l.Op is OpKind.Conv or OpKind.Gemm;

    /// <summary>True for layers whose work is multiply-accumulates (conv, gemm, batchMatmul, attention).</summary>
    public static bool IsMatmul(this Layer l) => l.Op is OpKind.Conv or OpKind.Gemm or OpKind.BatchMatmul or OpKind.Attention;

    /// <summary>
    /// Dense multiply-accumulates per sample (sparsity not applied): conv OutH·OutW·K·R·S·C/Groups, gemm M·N·K,
    /// batchMatmul Batch·M·N·K, attention 2·Heads·Seq²·HeadDim (Q·Kᵀ and ·V); 0 for the other ops.
    /// </summary>
    public static long Macs(this Layer l)
    {
        return l.Op switch
        {
            OpKind.Conv => (long)l.OutH() * l.OutW() * l.K * l.R * l.S * (l.C / l.Groups),
            OpKind.Gemm => (long)l.M * l.N * l.K,
            OpKind.BatchMatmul => (long)l.Batch * l.M * l.N * l.K,
            OpKind.Attention => 2L * l.Heads * l.Seq * l.Seq * l.HeadDim,
            _ => 0,
        };
    }

    /// <summary>
    /// The most dense multiply-accumulates per sample one layer may have: 10^15 (a thousand times the largest shipped
    /// network, BERT-large at 1.2·10^11 for all its layers), so that every size product the compiler and the
    /// timing models form stays far inside 64 bits. The workload readers reject larger layers.
    /// </summary>
    public const double MaxLayerMacs = 1e15;

    /// <summary><see cref="Macs"/> in floating point: exact enough to compare with <see cref="MaxLayerMacs"/>, and it
    /// cannot overflow for any sizes that fit in the layer's int fields.</summary>
    public static double MacsEstimate(this Layer l)
    {
        return l.Op switch
        {
            OpKind.Conv => (double)l.OutH() * l.OutW() * l.K * l.R * l.S * ((double)l.C / Math.Max(1, l.Groups)),
            OpKind.Gemm => (double)l.M * l.N * l.K,
            OpKind.BatchMatmul => (double)l.Batch * l.M * l.N * l.K,
            OpKind.Attention => 2.0 * l.Heads * l.Seq * l.Seq * l.HeadDim,
            _ => 0,
        };
    }

    /// <summary>Dense weight count (biases and folded batch-norm not counted): conv K·R·S·C/Groups, gemm N·K.</summary>
    public static long Weights(this Layer l)
    {
        return l.Op switch
        {
            OpKind.Conv => (long)l.K * l.R * l.S * (l.C / l.Groups),
            OpKind.Gemm => (long)l.N * l.K,
            _ => 0,
        };
    }

    /// <summary>Dense multiply-accumulates per sample over the whole graph.</summary>
    public static long TotalMacs(this WorkloadGraph g) => g.Layers.Sum(l => l.Macs());

    /// <summary>Dense weight count of the whole graph (embedding tables not counted).</summary>
    public static long TotalWeights(this WorkloadGraph g) => g.Layers.Sum(l => l.Weights());
}
