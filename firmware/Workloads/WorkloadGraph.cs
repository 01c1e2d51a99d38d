namespace Antoum.Firmware.Workloads;

/// <summary>The kinds of layer a workload graph holds.</summary>
public enum OpKind
{
    /// <summary>2-D convolution (NHWC), including depthwise (Groups = C) and strided/padded forms.</summary>
    Conv,

    /// <summary>Matrix multiply per sample: [M×K]·[K×N] (fully connected layers: M = tokens or 1).</summary>
    Gemm,

    /// <summary>Batched matrix multiply: Batch independent [M×K]·[K×N] per sample (e.g. per attention head).</summary>
    BatchMatmul,

    /// <summary>Multi-head self-attention core: softmax(Q·Kᵀ/√d)·V with Heads heads of HeadDim over Seq tokens.</summary>
    Attention,

    /// <summary>Layer normalisation over the last dimension (Elements = tokens × hidden).</summary>
    LayerNorm,

    /// <summary>Softmax over rows.</summary>
    Softmax,

    /// <summary>GELU activation.</summary>
    Gelu,

    /// <summary>Element-wise add (residuals).</summary>
    Add,

    /// <summary>Element-wise multiply.</summary>
    Mul,

    /// <summary>Max or average pooling.</summary>
    Pool,

    /// <summary>Nearest-neighbour resize.</summary>
    Resize,

    /// <summary>Embedding lookup (gather of Tokens rows of Dim elements).</summary>
    Embedding,
}

/// <summary>Numeric precision of a layer's operands.</summary>
public enum LayerPrecision
{
    Int8,
    Bf16,
}

/// <summary>Weight sparsity of a layer: ratio (1 = dense) and the storage format (names as in the ISA: dense, nofm, bitmap, csr, blockcsr).</summary>
public sealed record LayerSparsity(int Ratio, string Format)
{
    public static LayerSparsity Dense { get; } = new(1, "dense");
}

/// <summary>
/// One layer, per sample (the batch is applied by the compiler). Fields not used by an op kind are 0.
/// Conv: H, W (input), C (in channels), K (out channels), R, S (filter), Stride, Pad, Groups (1 or C).
/// Gemm: M (rows per sample), N, K. BatchMatmul: Batch, M, N, K. Attention: Heads, Seq, HeadDim.
/// LayerNorm/Softmax/Gelu/Add/Mul: Elements (per sample; Softmax rows of Cols elements: Elements = rows × Cols).
/// Pool: H, W, C, R, S, Stride, Pad (PoolKind "max"/"avg"). Resize: H, W, C, Scale. Embedding: Tokens, Dim.
/// </summary>
public sealed record Layer
{
    public required string Name { get; init; }

    public required OpKind Op { get; init; }

    public LayerPrecision Precision { get; init; } = LayerPrecision.Int8;

    public LayerSparsity Sparsity { get; init; } = LayerSparsity.Dense;

    public int H { get; init; }

    public int W { get; init; }

    public int C { get; init; }

    public int K { get; init; }

    public int R { get; init; }

    public int S { get; init; }

    public int Stride { get; init; } = 1;

    public int Pad { get; init; }

    public int Groups { get; init; } = 1;

    public int M { get; init; }

    public int N { get; init; }

    public int Batch { get; init; } = 1;

    public int Heads { get; init; }

    public int Seq { get; init; }

    public int HeadDim { get; init; }

    public long Elements { get; init; }

    public int Cols { get; init; }

    public string PoolKind { get; init; } = "max";

    public int Scale { get; init; } = 2;

    public int Tokens { get; init; }

    public int Dim { get; init; }
}

/// <summary>A network as a list of layers in execution order, per sample.</summary>
public sealed record WorkloadGraph
{
    /// <summary>Canonical name, e.g. <c>resnet50</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Other names users know it by, e.g. ByteMLPerf's <c>resnet50-torch-fp32</c>.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>One line: what it is and where its shapes come from.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Input shape as published, batch written N, e.g. <c>[N,3,224,224]</c>.</summary>
    public string Input { get; init; } = string.Empty;

    /// <summary>Input bytes per sample (what the host sends over PCIe).</summary>
    public long InputBytesPerSample { get; init; }

    /// <summary>Output bytes per sample (what comes back).</summary>
    public long OutputBytesPerSample { get; init; }

    /// <summary>Default batch (the published one where there is one).</summary>
    public int DefaultBatch { get; init; } = 1;

    /// <summary>Layers in execution order.</summary>
    public required IReadOnlyList<Layer> Layers { get; init; }
}
