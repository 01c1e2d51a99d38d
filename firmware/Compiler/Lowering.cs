using Antoum.Firmware.Workloads;
using Antoum.Isa;

namespace Antoum.Firmware.Compiler;

/// <summary>
/// A GEMM phase of a layer for a number of samples: Problems independent [M×K]·[K×N] products. Weights in the
/// weight region when <see cref="SharedWeights"/>, else the B operand is an activation (attention, batched matmul).
/// </summary>
internal sealed record GemmPhase(long Problems, long M, long N, long K, bool SharedWeights)
{
    public long Macs => Problems * M * N * K;

    public string Shape => Problems == 1 ? $"{M}x{N}x{K}" : $"{Problems}*{M}x{N}x{K}";
}

internal enum VectorKind
{
    Elementwise,
    Sfa,
    Softmax,
    LayerNorm,
    PoolWindow,
    Embedding,
}

/// <summary>A VPU/SFA phase: Rows × Cols elements (Rows is what is divided over clusters).</summary>
internal sealed record VectorPhase(VectorKind Kind, long Rows, long Cols)
{
    public VpuOp Op { get; init; }

    public SfaFunc Func { get; init; }

    /// <summary>Pool window elements (PoolWindow), max or avg.</summary>
    public bool Average { get; init; }

    public long Elements => Rows * Cols;
}

/// <summary>Turns a layer into GEMM and vector phases for a number of samples, and gives per-sample MACs and sizes.</summary>
public static class Lowering
{
    /// <summary>Output size of a convolution or pooling window along one axis.</summary>
    public static long ConvOut(long size, long filter, long stride, long pad) => ((size + (2 * pad) - filter) / Math.Max(1, stride)) + 1;

    /// <summary>Multiply-accumulates of one sample of <paramref name="layer"/> (0 for vector layers).</summary>
    public static long Macs(Layer layer)
    {
        long macs = 0;
        foreach (object p in Phases(layer, 1))
        {
            if (p is GemmPhase g)
            {
                macs += g.Macs;
            }
        }

        return macs;
    }

    /// <summary>MACs of one sample of the whole graph.</summary>
    public static long Macs(WorkloadGraph graph) => graph.Layers.Sum(Macs);

    /// <summary>Bytes per element of a layer's activations.</summary>
    public static int ElementBytes(Layer layer) => layer.Precision == LayerPrecision.Bf16 ? 2 : 1;

    /// <summary>Output elements of one sample.</summary>
    public static long OutputElements(Layer l)
    {
        switch (l.Op)
        {
            case OpKind.Conv:
                return ConvOut(l.H, l.R, l.Stride, l.Pad) * ConvOut(l.W, l.S, l.Stride, l.Pad) * l.K;
            case OpKind.Gemm:
                return (long)l.M * l.N;
            case OpKind.BatchMatmul:
                return (long)l.Batch * l.M * l.N;
            case OpKind.Attention:
                return (long)l.Heads * l.Seq * l.HeadDim;
            case OpKind.Pool:
                return ConvOut(l.H, l.R, l.Stride, l.Pad) * ConvOut(l.W, l.S, l.Stride, l.Pad) * l.C;
            case OpKind.Resize:
                return (long)l.H * l.W * l.C * l.Scale * l.Scale;
            case OpKind.Embedding:
                return (long)l.Tokens * l.Dim;
            default:
                return l.Elements;
        }
    }

    /// <summary>Input elements of one sample (the first operand).</summary>
    public static long InputElements(Layer l)
    {
        switch (l.Op)
        {
            case OpKind.Conv:
            case OpKind.Pool:
            case OpKind.Resize:
                return (long)l.H * l.W * l.C;
            case OpKind.Gemm:
                return (long)l.M * l.K;
            case OpKind.BatchMatmul:
                return (long)l.Batch * l.M * l.K;
            case OpKind.Attention:
                return 3L * l.Heads * l.Seq * l.HeadDim;
            case OpKind.Embedding:
                return l.Tokens;
            default:
                return l.Elements;
        }
    }

    /// <summary>Weight elements (dense) of the layer, stored once per DRAM interface.</summary>
    public static long WeightElements(Layer l)
    {
        return l.Op switch
        {
            OpKind.Conv => (long)l.R * l.S * (l.C / Math.Max(1, l.Groups)) * l.K,
            OpKind.Gemm => (long)l.K * l.N,
            OpKind.Embedding => (long)l.Tokens * l.Dim,
            OpKind.LayerNorm => 2L * (l.Cols > 0 ? l.Cols : l.Elements),
            _ => 0,
        };
    }

    /// <summary>The phases of <paramref name="l"/> for <paramref name="samples"/> samples, in execution order.</summary>
    internal static List<object> Phases(Layer l, long samples)
    {
        long s = samples;
        var list = new List<object>();
        switch (l.Op)
        {
            case OpKind.Conv:
                {
                    long p = ConvOut(l.H, l.R, l.Stride, l.Pad);
                    long q = ConvOut(l.W, l.S, l.Stride, l.Pad);
                    long g = Math.Max(1, l.Groups);
                    list.Add(new GemmPhase(g, s * p * q, l.K / g, (long)l.R * l.S * (l.C / g), true));
                    break;
                }

            case OpKind.Gemm:
                list.Add(new GemmPhase(1, s * l.M, l.N, l.K, true));
                break;
            case OpKind.BatchMatmul:
                list.Add(new GemmPhase(s * Math.Max(1, l.Batch), l.M, l.N, l.K, false));
                break;
            case OpKind.Attention:
                list.Add(new GemmPhase(s * l.Heads, l.Seq, l.Seq, l.HeadDim, false));
                list.Add(new VectorPhase(VectorKind.Softmax, s * l.Heads * l.Seq, l.Seq));
                list.Add(new GemmPhase(s * l.Heads, l.Seq, l.HeadDim, l.Seq, false));
                break;
            case OpKind.LayerNorm:
                {
                    long cols = l.Cols > 0 ? l.Cols : l.Elements;
                    list.Add(new VectorPhase(VectorKind.LayerNorm, s * l.Elements / Math.Max(1, cols), cols));
                    break;
                }

            case OpKind.Softmax:
                {
                    long cols = l.Cols > 0 ? l.Cols : l.Elements;
                    list.Add(new VectorPhase(VectorKind.Softmax, s * l.Elements / Math.Max(1, cols), cols));
                    break;
                }

            case OpKind.Gelu:
                list.Add(new VectorPhase(VectorKind.Sfa, s * l.Elements, 1) { Func = SfaFunc.Gelu });
                break;
            case OpKind.Add:
                list.Add(new VectorPhase(VectorKind.Elementwise, s * l.Elements, 1) { Op = VpuOp.Add });
                break;
            case OpKind.Mul:
                list.Add(new VectorPhase(VectorKind.Elementwise, s * l.Elements, 1) { Op = VpuOp.Mul });
                break;
            case OpKind.Pool:
                {
                    long outElems = s * OutputElements(l);
                    bool avg = string.Equals(l.PoolKind, "avg", StringComparison.OrdinalIgnoreCase);
                    long window = (long)l.R * l.S;
                    list.Add(window == 4
                        ? new VectorPhase(VectorKind.Sfa, outElems, 1) { Func = avg ? SfaFunc.AvgPool : SfaFunc.MaxPool }
                        : new VectorPhase(VectorKind.PoolWindow, outElems, Math.Max(1, window)) { Average = avg });
                    break;
                }

            case OpKind.Resize:
                list.Add(new VectorPhase(VectorKind.Sfa, s * OutputElements(l), 1) { Func = SfaFunc.Resize });
                break;
            case OpKind.Embedding:
                list.Add(new VectorPhase(VectorKind.Embedding, s * l.Tokens, l.Dim));
                break;
        }

        return list;
    }

    /// <summary>Parses a layer's sparsity into SPU flags (ratio 1 is always dense).</summary>
    public static SpuFlags Flags(LayerSparsity sparsity)
    {
        int ratio = Math.Clamp(sparsity.Ratio, 1, SpuFlags.MaxRatio);
        if (ratio == 1)
        {
            return SpuFlags.Dense;
        }

        SparseFormat f = sparsity.Format.ToLowerInvariant() switch
        {
            "nofm" or "n:m" => SparseFormat.NofM,
            "bitmap" => SparseFormat.Bitmap,
            "csr" => SparseFormat.Csr,
            "blockcsr" => SparseFormat.BlockCsr,
            _ => SparseFormat.Bitmap,
        };
        return SpuFlags.Dense with { Format = f, Ratio = ratio };
    }

    /// <summary>
    /// Bytes of a weight tile of <paramref name="k"/> × <paramref name="n"/> in <paramref name="flags"/>' format: values
    /// (⌈k/ratio⌉·n elements) plus metadata: nofm ⌈log2 ratio⌉ bits per value, bitmap one bit per dense position, csr
    /// a 2-byte index per value plus (n+1) 4-byte pointers, blockcsr (1×4 blocks) a 2-byte index per block plus pointers.
    /// </summary>
    public static long WeightTileBytes(long k, long n, int elementBytes, SpuFlags flags)
    {
        int r = Math.Max(1, flags.Ratio);
        long nnz = (k + r - 1) / r * n;
        long values = nnz * elementBytes;
        long meta = flags.Format switch
        {
            SparseFormat.NofM => ((nnz * (long)Math.Ceiling(Math.Log2(r))) + 7) / 8,
            SparseFormat.Bitmap => ((k * n) + 7) / 8,
            SparseFormat.Csr => (nnz * 2) + ((n + 1) * 4),
            SparseFormat.BlockCsr => ((nnz + 3) / 4 * 2) + ((n + 1) * 4),
            _ => 0,
        };
        return values + meta;
    }
}
