using Antoum.Firmware.Workloads;

namespace Antoum.Sim.Functional;

/// <summary>Small layer graphs sized for functional mode (<c>antoum run --workload func-conv --functional</c>).</summary>
public static class FunctionalWorkloads
{
    public static IReadOnlyList<string> Names { get; } = ["func-gemm", "func-conv", "func-attention"];

    /// <summary>The graph called <paramref name="name"/>, or null.</summary>
    public static WorkloadGraph? TryGet(string name) => name.ToLowerInvariant() switch
    {
        "func-gemm" => new WorkloadGraph
        {
            Name = "func-gemm",
            Description = "two INT8 GEMMs 96x256 -> 192 (csr 1:4) -> 64 (nofm 1:2), for functional mode",
            Layers =
            [
                new Layer { Name = "fc1", Op = OpKind.Gemm, M = 96, K = 256, N = 192, Sparsity = new LayerSparsity(4, "csr") },
                new Layer { Name = "fc2", Op = OpKind.Gemm, M = 96, K = 192, N = 64, Sparsity = new LayerSparsity(2, "nofm") },
            ],
        },
        "func-conv" => new WorkloadGraph
        {
            Name = "func-conv",
            Description = "INT8 conv stack on 16x16x16: 3x3 pad 1 (bitmap 1:8), 3x3 stride 2 grouped (dense), 1x1 (blockcsr 1:2), for functional mode",
            Layers =
            [
                new Layer { Name = "conv1", Op = OpKind.Conv, H = 16, W = 16, C = 16, K = 32, R = 3, S = 3, Pad = 1, Sparsity = new LayerSparsity(8, "bitmap") },
                new Layer { Name = "conv2", Op = OpKind.Conv, H = 16, W = 16, C = 32, K = 32, R = 3, S = 3, Stride = 2, Pad = 1, Groups = 2 },
                new Layer { Name = "conv3", Op = OpKind.Conv, H = 8, W = 8, C = 32, K = 64, R = 1, S = 1, Sparsity = new LayerSparsity(2, "blockcsr") },
            ],
        },
        "func-attention" => new WorkloadGraph
        {
            Name = "func-attention",
            Description = "BF16 attention, 4 heads, seq 64, head dim 32 (Q, K transposed, V per sample), for functional mode",
            Layers =
            [
                new Layer { Name = "attn", Op = OpKind.Attention, Precision = LayerPrecision.Bf16, Heads = 4, Seq = 64, HeadDim = 32 },
            ],
        },
        _ => null,
    };
}
