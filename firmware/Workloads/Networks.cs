namespace Antoum.Firmware.Workloads;

/// <summary>
/// The shipped networks, generated from each published architecture's structure (no layer tables): the
/// ByteMLPerf SPU set (resnet50, bert-base, albert-base, roberta-base, conformer-encoder), bert-large and the
/// block-sparse MobileNetV1/V2. Precision and sparsity defaults follow ByteMLPerf's SPU backend where it has the
/// model; see docs/workloads.md for every choice and what is assumed. <c>traces/&lt;name&gt;.json</c> is
/// <see cref="WorkloadFile.ToJson"/> of these graphs.
/// </summary>
public static class Networks
{
    /// <summary>Moffett's hierarchical bitmap (US 10,970,619) — assumed to be the format Antoum uses.</summary>
    public const string DefaultFormat = "bitmap";

    private static readonly Lazy<IReadOnlyList<WorkloadGraph>> s_all = new(() =>
        [ResNet50(), BertBase(), AlbertBase(), RobertaBase(), BertLarge(), ConformerEncoder(), MobileNetV1(), MobileNetV2()]);

    /// <summary>Every shipped network, in a fixed order.</summary>
    public static IReadOnlyList<WorkloadGraph> All => s_all.Value;

    /// <summary>Canonical names of the shipped networks.</summary>
    public static IReadOnlyList<string> Names => [.. All.Select(g => g.Name)];

    /// <summary>A shipped network by canonical name or alias, case-insensitive.</summary>
    /// <exception cref="WorkloadException">The name is unknown; the message lists the known names.</exception>
    public static WorkloadGraph Resolve(string nameOrAlias)
    {
        foreach (WorkloadGraph g in All)
        {
            if (g.Name.Equals(nameOrAlias, StringComparison.OrdinalIgnoreCase)
                || g.Aliases.Any(a => a.Equals(nameOrAlias, StringComparison.OrdinalIgnoreCase)))
            {
                return g;
            }
        }

        string known = string.Join(", ", All.Select(g => g.Aliases.Count == 0 ? g.Name : $"{g.Name} ({string.Join(", ", g.Aliases)})"));
        throw new WorkloadException($"unknown network \"{nameOrAlias}\"; known networks: {known}");
    }

    /// <summary>
    /// ResNet-50 v1.5 (He et al. 2016 Table 1; torchvision's stride-on-the-3×3 variant) at [N,3,224,224]: conv1
    /// 7×7/2 pad 3, max pool 3×3/2 pad 1, bottleneck stages of 3, 4, 6, 3 blocks (1×1, 3×3, 1×1 with 4× expansion,
    /// projection shortcut on each stage's first block), residual adds, global average pool, fc 2048→1000.
    /// Batch-norm is folded into the convs and ReLUs are fused into the layer before them (no layers of their own).
    /// INT8, 16x weight sparsity (ByteMLPerf SPU).
    /// </summary>
    public static WorkloadGraph ResNet50()
    {
        var b = new Builder(LayerPrecision.Int8, new LayerSparsity(16, DefaultFormat));
        (int size, _, int channels) = b.Conv("conv1", 224, 224, 3, 64, 7, 2, 3);
        size = b.Pool("pool1", size, size, channels, 3, 2, 1, "max");
        int[] blocks = [3, 4, 6, 3];
        int[] widths = [64, 128, 256, 512];
        for (int stage = 0; stage < 4; stage++)
        {
            int width = widths[stage];
            for (int i = 0; i < blocks[stage]; i++)
            {
                string name = $"layer{stage + 1}.{i}";
                int stride = stage > 0 && i == 0 ? 2 : 1;
                b.Conv(name + ".conv1", size, size, channels, width, 1, 1, 0);
                (int outSize, _, _) = b.Conv(name + ".conv2", size, size, width, width, 3, stride, 1);
                b.Conv(name + ".conv3", outSize, outSize, width, 4 * width, 1, 1, 0);
                if (i == 0)
                {
                    b.Conv(name + ".downsample", size, size, channels, 4 * width, 1, stride, 0);
                }

                b.Elementwise(OpKind.Add, name + ".add", (long)outSize * outSize * 4 * width);
                (size, channels) = (outSize, 4 * width);
            }
        }

        b.Pool("avgpool", size, size, channels, size, 1, 0, "avg");
        b.Gemm("fc", 1, 1000, channels);
        return new WorkloadGraph
        {
            Name = "resnet50",
            Aliases = ["resnet50-torch-fp32"],
            Description = "ResNet-50 v1.5 (He et al. 2016, torchvision layout) at 224x224, generated from the stage structure; BN folded, ReLU fused; INT8, 16x sparse (ByteMLPerf SPU)",
            Input = "[N,3,224,224]",
            InputBytesPerSample = 3L * 224 * 224 * 4, // FP32 NCHW as ByteMLPerf feeds it
            OutputBytesPerSample = 1000L * 4,
            DefaultBatch = 48,
            Layers = b.Layers,
        };
    }

    /// <summary>BERT-base (Devlin et al. 2019): 12 layers, hidden 768, 12 heads, FFN 3072, SQuAD v1 at seq 384.</summary>
    public static WorkloadGraph BertBase()
    {
        return Bert("bert-base", ["bert-torch-fp32"], 12, 768, 12, 3072, 768,
            "BERT-base uncased (Devlin et al. 2019) SQuAD v1.1 at seq 384: 12 layers, hidden 768, 12 heads, FFN 3072, vocab 30522; MixInt8bf16, 16x sparse (ByteMLPerf SPU)");
    }

    /// <summary>
    /// ALBERT-base v2 (Lan et al. 2020): BERT-base layer shapes (768, 12 heads, FFN 3072, 12 layers) with the
    /// factorised embedding 128→768. Its cross-layer parameter sharing changes weight storage, not compute.
    /// </summary>
    public static WorkloadGraph AlbertBase()
    {
        return Bert("albert-base", ["albert-torch-fp32"], 12, 768, 12, 3072, 128,
            "ALBERT-base v2 (Lan et al. 2020) SQuAD at seq 384: BERT-base layer shapes, factorised embedding 128->768, vocab 30000; layers share weights (compute unchanged); MixInt8bf16, 16x sparse (ByteMLPerf SPU)");
    }

    /// <summary>RoBERTa-base (Liu et al. 2019): BERT-base shapes; only the vocabulary (50265) differs.</summary>
    public static WorkloadGraph RobertaBase()
    {
        return Bert("roberta-base", ["roberta-torch-fp32"], 12, 768, 12, 3072, 768,
            "RoBERTa-base (Liu et al. 2019) SQuAD at seq 384: BERT-base shapes, vocab 50265; MixInt8bf16, 16x sparse (ByteMLPerf SPU)");
    }

    /// <summary>BERT-large: 24 layers, hidden 1024, 16 heads, FFN 4096, SQuAD at seq 384 (the MLPerf setting).</summary>
    public static WorkloadGraph BertLarge()
    {
        return Bert("bert-large", [], 24, 1024, 16, 4096, 1024,
            "BERT-large uncased (Devlin et al. 2019) SQuAD v1.1 at seq 384 as in MLPerf: 24 layers, hidden 1024, 16 heads, FFN 4096; MixInt8bf16 and 16x sparse by analogy with bert-base (assumed)");
    }

    private static WorkloadGraph Bert(string name, IReadOnlyList<string> aliases, int layers, int hidden, int heads, int ffn, int embedding, string description)
    {
        const int Seq = 384;
        var b = new Builder(null, new LayerSparsity(16, DefaultFormat));
        long act = (long)Seq * hidden;
        b.Embedding("embeddings.word", Seq, embedding);
        b.Embedding("embeddings.position", Seq, embedding);
        b.Embedding("embeddings.token_type", Seq, embedding);
        b.Elementwise(OpKind.Add, "embeddings.add", 2L * Seq * embedding); // word + position + token type
        b.Elementwise(OpKind.LayerNorm, "embeddings.layernorm", (long)Seq * embedding);
        if (embedding != hidden)
        {
            b.Gemm("embeddings.projection", Seq, hidden, embedding); // ALBERT's factorised embedding E -> H
        }

        for (int i = 0; i < layers; i++)
        {
            string l = $"layer{i}";
            b.Gemm(l + ".query", Seq, hidden, hidden);
            b.Gemm(l + ".key", Seq, hidden, hidden);
            b.Gemm(l + ".value", Seq, hidden, hidden);
            b.Attention(l + ".attention", heads, Seq, hidden / heads);
            b.Gemm(l + ".attention_output", Seq, hidden, hidden);
            b.Elementwise(OpKind.Add, l + ".attention_add", act);
            b.Elementwise(OpKind.LayerNorm, l + ".attention_layernorm", act);
            b.Gemm(l + ".intermediate", Seq, ffn, hidden);
            b.Elementwise(OpKind.Gelu, l + ".gelu", (long)Seq * ffn);
            b.Gemm(l + ".output", Seq, hidden, ffn);
            b.Elementwise(OpKind.Add, l + ".output_add", act);
            b.Elementwise(OpKind.LayerNorm, l + ".output_layernorm", act);
        }

        b.Gemm("qa_outputs", Seq, 2, hidden);
        return new WorkloadGraph
        {
            Name = name,
            Aliases = aliases,
            Description = description,
            Input = "[N,384] x3 (input_ids, attention_mask, token_type_ids; int64)",
            InputBytesPerSample = 3L * Seq * 8,
            OutputBytesPerSample = 2L * Seq * 4, // start and end logits, FP32
            DefaultBatch = 64,
            Layers = b.Layers,
        };
    }

    /// <summary>
    /// Conformer encoder (Gulati et al. 2020) in the WeNet/ESPnet layout at ByteMLPerf's input src [N,3,64,512]
    /// (3 feature planes × 64 frequency bins × 512 frames) with src_pad_mask [N,128]. Configuration (assumed,
    /// ByteMLPerf does not publish it): WeNet's standard Conformer recipe — d_model 256, 4 heads, FFN 2048 (WeNet
    /// linear_units) in macaron pairs with ½ residuals, depthwise conv kernel 15, 12 blocks, conv2d subsampling ×4
    /// (two 3×3/2 convs, pad 1 so 512 frames → 128 tokens as the mask's 128 says), absolute positional encoding.
    /// Swish and GLU's sigmoid are modelled as gelu-class activations; batch-norm is folded into the depthwise conv.
    /// MixInt8bf16, 8x sparse (ByteMLPerf README; the report says 16x).
    /// </summary>
    public static WorkloadGraph ConformerEncoder()
    {
        const int D = 256, Heads = 4, Ffn = 2048, Kernel = 15, Blocks = 12;
        var b = new Builder(null, new LayerSparsity(8, DefaultFormat));

        // Subsampling: [3, 64 (freq, H), 512 (time, W)] -> two 3x3/2 pad 1 convs -> [D, 16, 128] -> linear D*16 -> D.
        (int h, int w, int c) = b.Conv("subsample.conv1", 64, 512, 3, D, 3, 2, 1);
        (int h2, int tokens, _) = b.Conv("subsample.conv2", h, w, c, D, 3, 2, 1);
        b.Gemm("subsample.linear", tokens, D, D * h2);
        b.Elementwise(OpKind.Add, "subsample.posenc", (long)tokens * D);
        long act = (long)tokens * D;

        for (int i = 0; i < Blocks; i++)
        {
            string l = $"block{i}";
            for (int half = 0; half < 2; half++)
            {
                string f = l + (half == 0 ? ".ffn1" : ".ffn2");
                b.Elementwise(OpKind.LayerNorm, f + ".layernorm", act);
                b.Gemm(f + ".w1", tokens, Ffn, D);
                b.Elementwise(OpKind.Gelu, f + ".swish", (long)tokens * Ffn);
                b.Gemm(f + ".w2", tokens, D, Ffn);
                b.Elementwise(OpKind.Add, f + ".add", act); // x + 0.5 * ffn(x); the 0.5 is folded into w2

                if (half == 1)
                {
                    break;
                }

                b.Elementwise(OpKind.LayerNorm, l + ".mhsa.layernorm", act);
                b.Gemm(l + ".mhsa.query", tokens, D, D);
                b.Gemm(l + ".mhsa.key", tokens, D, D);
                b.Gemm(l + ".mhsa.value", tokens, D, D);
                b.Attention(l + ".mhsa.attention", Heads, tokens, D / Heads);
                b.Gemm(l + ".mhsa.output", tokens, D, D);
                b.Elementwise(OpKind.Add, l + ".mhsa.add", act);

                b.Elementwise(OpKind.LayerNorm, l + ".conv.layernorm", act);
                b.Gemm(l + ".conv.pointwise1", tokens, 2 * D, D);
                b.Elementwise(OpKind.Gelu, l + ".conv.glu_sigmoid", act);
                b.Elementwise(OpKind.Mul, l + ".conv.glu", act);

                // Depthwise 1-D conv over time: H = 1, W = tokens + kernel - 1 with the "same" padding folded into W
                // (the graph model has one Pad for both axes), so the output is [1, tokens, D].
                b.Conv(l + ".conv.depthwise", 1, tokens + Kernel - 1, D, D, 1, 1, 0, groups: D, s: Kernel);
                b.Elementwise(OpKind.Gelu, l + ".conv.swish", act);
                b.Gemm(l + ".conv.pointwise2", tokens, D, D);
                b.Elementwise(OpKind.Add, l + ".conv.add", act);
            }

            b.Elementwise(OpKind.LayerNorm, l + ".final_layernorm", act);
        }

        return new WorkloadGraph
        {
            Name = "conformer-encoder",
            Aliases = ["conformer-encoder-onnx-fp32"],
            Description = "Conformer encoder (Gulati et al. 2020), WeNet standard recipe (assumed): conv2d subsampling x4, d_model 256, 4 heads, FFN 2048 macaron, conv kernel 15, 12 blocks; src [N,3,64,512] -> 128 tokens; MixInt8bf16, 8x sparse (ByteMLPerf README; report says 16x)",
            Input = "src [N,3,64,512] FP32, src_pad_mask [N,128] bool",
            InputBytesPerSample = (3L * 64 * 512 * 4) + 128,
            OutputBytesPerSample = act * 4, // [N,128,256] FP32
            DefaultBatch = 64,
            Layers = b.Layers,
        };
    }

    /// <summary>
    /// MobileNetV1 (Howard et al. 2017 Table 1), width 1.0 at 224: conv 3×3/2 32, 13 depthwise-separable blocks,
    /// global average pool, fc 1024→1000. INT8; the 1×1 convs and fc 8x block-sparse (blockcsr), the stem and
    /// depthwise convs dense — as Elsen et al. 2020 ("Fast Sparse ConvNets") sparsify MobileNets (assumed ratio).
    /// </summary>
    public static WorkloadGraph MobileNetV1()
    {
        var b = new Builder(LayerPrecision.Int8, new LayerSparsity(8, "blockcsr"));
        (int size, _, int channels) = b.Conv("conv0", 224, 224, 3, 32, 3, 2, 1, dense: true);
        (int Out, int Stride)[] blocks =
            [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)];
        for (int i = 0; i < blocks.Length; i++)
        {
            (int outSize, _, _) = b.Conv($"block{i + 1}.dw", size, size, channels, channels, 3, blocks[i].Stride, 1, groups: channels, dense: true);
            b.Conv($"block{i + 1}.pw", outSize, outSize, channels, blocks[i].Out, 1, 1, 0);
            (size, channels) = (outSize, blocks[i].Out);
        }

        b.Pool("avgpool", size, size, channels, size, 1, 0, "avg");
        b.Gemm("fc", 1, 1000, channels);
        return new WorkloadGraph
        {
            Name = "mobilenet-v1",
            Description = "MobileNetV1 (Howard et al. 2017) width 1.0 at 224x224, from Table 1; BN folded, ReLU fused; INT8, 1x1 convs and fc 8x block-sparse (assumed, after Elsen et al. 2020)",
            Input = "[N,3,224,224]",
            InputBytesPerSample = 3L * 224 * 224 * 4,
            OutputBytesPerSample = 1000L * 4,
            DefaultBatch = 64,
            Layers = b.Layers,
        };
    }

    /// <summary>
    /// MobileNetV2 (Sandler et al. 2018 Table 2), width 1.0 at 224: conv 3×3/2 32, inverted-residual bottlenecks
    /// (t, c, n, s) = (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2) (6,320,1,1) with residual
    /// adds where stride 1 and channels match, conv 1×1 1280, global average pool, fc 1280→1000. Sparsity as V1.
    /// </summary>
    public static WorkloadGraph MobileNetV2()
    {
        var b = new Builder(LayerPrecision.Int8, new LayerSparsity(8, "blockcsr"));
        (int size, _, int channels) = b.Conv("conv0", 224, 224, 3, 32, 3, 2, 1, dense: true);
        (int T, int C, int N, int S)[] settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];
        int block = 0;
        foreach ((int t, int c, int n, int s) in settings)
        {
            for (int i = 0; i < n; i++)
            {
                string name = $"block{++block}";
                int stride = i == 0 ? s : 1;
                int hidden = channels * t;
                if (t != 1)
                {
                    b.Conv(name + ".expand", size, size, channels, hidden, 1, 1, 0);
                }

                (int outSize, _, _) = b.Conv(name + ".dw", size, size, hidden, hidden, 3, stride, 1, groups: hidden, dense: true);
                b.Conv(name + ".project", outSize, outSize, hidden, c, 1, 1, 0);
                if (stride == 1 && channels == c)
                {
                    b.Elementwise(OpKind.Add, name + ".add", (long)outSize * outSize * c);
                }

                (size, channels) = (outSize, c);
            }
        }

        (size, _, channels) = b.Conv("conv_last", size, size, channels, 1280, 1, 1, 0);
        b.Pool("avgpool", size, size, channels, size, 1, 0, "avg");
        b.Gemm("fc", 1, 1000, channels);
        return new WorkloadGraph
        {
            Name = "mobilenet-v2",
            Description = "MobileNetV2 (Sandler et al. 2018) width 1.0 at 224x224, from Table 2; BN folded, ReLU6 fused; INT8, 1x1 convs and fc 8x block-sparse (assumed, after Elsen et al. 2020)",
            Input = "[N,3,224,224]",
            InputBytesPerSample = 3L * 224 * 224 * 4,
            OutputBytesPerSample = 1000L * 4,
            DefaultBatch = 64,
            Layers = b.Layers,
        };
    }

    /// <summary>
    /// Collects layers. A null precision means ByteMLPerf's MixInt8bf16 rule: layers that multiply-accumulate
    /// (conv, gemm, batchMatmul, attention) INT8, the rest (layernorm, softmax, gelu, add, mul, embedding, ...) BF16.
    /// The sparsity goes on every weight layer (conv, gemm) unless the layer is asked to be dense.
    /// </summary>
    private sealed class Builder(LayerPrecision? precision, LayerSparsity sparsity)
    {
        public List<Layer> Layers { get; } = [];

        private void Add(Layer l, bool dense = false)
        {
            LayerPrecision p = precision ?? (l.IsMatmul() ? LayerPrecision.Int8 : LayerPrecision.Bf16);
            LayerSparsity s = l.HasWeights() && !dense ? sparsity : LayerSparsity.Dense;
            Layers.Add(l with { Precision = p, Sparsity = s });
        }

        /// <summary>A conv of an h×w×c input (square r×r filter unless <paramref name="s"/> is given); returns the output h, w, k.</summary>
        public (int OutH, int OutW, int K) Conv(string name, int h, int w, int c, int k, int r, int stride, int pad, int groups = 1, int s = 0, bool dense = false)
        {
            var l = new Layer { Name = name, Op = OpKind.Conv, H = h, W = w, C = c, K = k, R = r, S = s == 0 ? r : s, Stride = stride, Pad = pad, Groups = groups };
            Add(l, dense);
            return (l.OutH(), l.OutW(), k);
        }

        public int Pool(string name, int h, int w, int c, int r, int stride, int pad, string kind)
        {
            var l = new Layer { Name = name, Op = OpKind.Pool, H = h, W = w, C = c, R = r, S = r, Stride = stride, Pad = pad, PoolKind = kind };
            Add(l);
            return l.OutH();
        }

        public void Gemm(string name, int m, int n, int k) => Add(new Layer { Name = name, Op = OpKind.Gemm, M = m, N = n, K = k });

        public void Attention(string name, int heads, int seq, int headDim) =>
            Add(new Layer { Name = name, Op = OpKind.Attention, Heads = heads, Seq = seq, HeadDim = headDim });

        public void Embedding(string name, int tokens, int dim) => Add(new Layer { Name = name, Op = OpKind.Embedding, Tokens = tokens, Dim = dim });

        public void Elementwise(OpKind op, string name, long elements) => Add(new Layer { Name = name, Op = op, Elements = elements });
    }
}
