using Antoum.Firmware.Workloads;

namespace Antoum.Firmware.Compiler;

/// <summary>
/// Small graphs built in code for tests and for the compiler's own checks until the network generators land:
/// a 2-layer MLP, a small conv net with a strided conv, an attention block, and a ResNet-50-shaped conv stack.
/// </summary>
public static class SyntheticGraphs
{
    public static IReadOnlyList<string> Names { get; } = ["mlp", "convnet", "attention", "resnet50-synthetic"];

    /// <summary>The graph called <paramref name="name"/>, or null.</summary>
    public static WorkloadGraph? TryGet(string name) => name.ToLowerInvariant() switch
    {
        "mlp" => Mlp(),
        "convnet" => ConvNet(),
        "attention" => Attention(),
        "resnet50-synthetic" => ResNet50(),
        _ => null,
    };

    public static WorkloadGraph Mlp() => new()
    {
        Name = "mlp",
        Description = "2-layer MLP 784-512-10 (synthetic)",
        InputBytesPerSample = 784,
        OutputBytesPerSample = 10,
        Layers =
        [
            new Layer { Name = "fc1", Op = OpKind.Gemm, M = 1, K = 784, N = 512 },
            new Layer { Name = "fc2", Op = OpKind.Gemm, M = 1, K = 512, N = 10, Sparsity = new LayerSparsity(4, "bitmap") },
        ],
    };

    public static WorkloadGraph ConvNet() => new()
    {
        Name = "convnet",
        Description = "small conv net: 3x3 conv, strided 3x3 conv, depthwise 3x3, 2x2 max pool, fc (synthetic)",
        InputBytesPerSample = 32 * 32 * 3,
        OutputBytesPerSample = 10,
        Layers =
        [
            new Layer { Name = "conv1", Op = OpKind.Conv, H = 32, W = 32, C = 3, K = 32, R = 3, S = 3, Stride = 1, Pad = 1 },
            new Layer { Name = "conv2", Op = OpKind.Conv, H = 32, W = 32, C = 32, K = 64, R = 3, S = 3, Stride = 2, Pad = 1, Sparsity = new LayerSparsity(8, "nofm") },
            new Layer { Name = "dw3", Op = OpKind.Conv, H = 16, W = 16, C = 64, K = 64, R = 3, S = 3, Stride = 1, Pad = 1, Groups = 64 },
            new Layer { Name = "pool", Op = OpKind.Pool, H = 16, W = 16, C = 64, R = 2, S = 2, Stride = 2 },
            new Layer { Name = "fc", Op = OpKind.Gemm, M = 1, K = 8 * 8 * 64, N = 10 },
        ],
    };

    public static WorkloadGraph Attention() => new()
    {
        Name = "attention",
        Description = "one transformer attention block, seq 64, hidden 256, 4 heads (synthetic, bf16)",
        InputBytesPerSample = 64 * 256 * 2,
        OutputBytesPerSample = 64 * 256 * 2,
        Layers =
        [
            new Layer { Name = "qkv", Op = OpKind.Gemm, Precision = LayerPrecision.Bf16, M = 64, K = 256, N = 768 },
            new Layer { Name = "attn", Op = OpKind.Attention, Precision = LayerPrecision.Bf16, Heads = 4, Seq = 64, HeadDim = 64 },
            new Layer { Name = "proj", Op = OpKind.Gemm, Precision = LayerPrecision.Bf16, M = 64, K = 256, N = 256, Sparsity = new LayerSparsity(2, "csr") },
            new Layer { Name = "add", Op = OpKind.Add, Precision = LayerPrecision.Bf16, Elements = 64 * 256 },
            new Layer { Name = "ln", Op = OpKind.LayerNorm, Precision = LayerPrecision.Bf16, Elements = 64 * 256, Cols = 256 },
            new Layer { Name = "ffn1", Op = OpKind.Gemm, Precision = LayerPrecision.Bf16, M = 64, K = 256, N = 1024 },
            new Layer { Name = "gelu", Op = OpKind.Gelu, Precision = LayerPrecision.Bf16, Elements = 64 * 1024 },
            new Layer { Name = "ffn2", Op = OpKind.Gemm, Precision = LayerPrecision.Bf16, M = 64, K = 1024, N = 256 },
            new Layer { Name = "softmax", Op = OpKind.Softmax, Precision = LayerPrecision.Bf16, Elements = 64 * 256, Cols = 256 },
        ],
    };

    /// <summary>ResNet-50 v1.5 convolution shapes (224×224), INT8, 1×1/3×3 convs at the given weight sparsity.</summary>
    public static WorkloadGraph ResNet50(int sparsity = 8)
    {
        var layers = new List<Layer>();
        var sp = sparsity > 1 ? new LayerSparsity(sparsity, "bitmap") : LayerSparsity.Dense;
        layers.Add(new Layer { Name = "conv1", Op = OpKind.Conv, H = 224, W = 224, C = 3, K = 64, R = 7, S = 7, Stride = 2, Pad = 3 });
        layers.Add(new Layer { Name = "pool1", Op = OpKind.Pool, H = 112, W = 112, C = 64, R = 3, S = 3, Stride = 2, Pad = 1 });
        int h = 56, cin = 64;
        (int Blocks, int Mid, int Out)[] stages = [(3, 64, 256), (4, 128, 512), (6, 256, 1024), (3, 512, 2048)];
        for (int st = 0; st < stages.Length; st++)
        {
            (int blocks, int mid, int cout) = stages[st];
            for (int b = 0; b < blocks; b++)
            {
                int stride = b == 0 && st > 0 ? 2 : 1;
                string p = $"s{st + 1}b{b + 1}";
                layers.Add(new Layer { Name = p + "_1x1a", Op = OpKind.Conv, H = h, W = h, C = cin, K = mid, R = 1, S = 1, Sparsity = sp });
                layers.Add(new Layer { Name = p + "_3x3", Op = OpKind.Conv, H = h, W = h, C = mid, K = mid, R = 3, S = 3, Stride = stride, Pad = 1, Sparsity = sp });
                int ho = stride == 2 ? h / 2 : h;
                layers.Add(new Layer { Name = p + "_1x1b", Op = OpKind.Conv, H = ho, W = ho, C = mid, K = cout, R = 1, S = 1, Sparsity = sp });
                if (b == 0)
                {
                    layers.Add(new Layer { Name = p + "_down", Op = OpKind.Conv, H = h, W = h, C = cin, K = cout, R = 1, S = 1, Stride = stride, Sparsity = sp });
                }

                layers.Add(new Layer { Name = p + "_add", Op = OpKind.Add, Elements = (long)ho * ho * cout });
                h = ho;
                cin = cout;
            }
        }

        layers.Add(new Layer { Name = "avgpool", Op = OpKind.Pool, H = 7, W = 7, C = 2048, R = 7, S = 7, Stride = 7, PoolKind = "avg" });
        layers.Add(new Layer { Name = "fc", Op = OpKind.Gemm, M = 1, K = 2048, N = 1000, Sparsity = sp });
        return new WorkloadGraph
        {
            Name = "resnet50-synthetic",
            Description = "ResNet-50 v1.5 layer shapes at 224x224, INT8, weights 1/" + sparsity + " dense (synthetic)",
            InputBytesPerSample = 224 * 224 * 3,
            OutputBytesPerSample = 1000,
            DefaultBatch = 48,
            Layers = layers,
        };
    }
}
