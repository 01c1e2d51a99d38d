using Antoum.Firmware.Workloads;

namespace Antoum.Sim.Functional;

/// <summary>
/// The plain reference for functional mode: each layer computed directly from its definition with nested loops over
/// whole tensors (no tiling, no partitioning, no packed formats), written independently of the engine code. It
/// follows the numeric definition in docs/functional.md: INT8 products summed exactly then requantized
/// (round half to even, saturate); BF16 products summed in FP32 in reduction order and rounded to BF16 (nearest
/// even; its own rounding routine); softmax step by step in BF16; exp and tanh are .NET's MathF functions.
/// </summary>
public static class Reference
{
    /// <summary>Runs the graph on <paramref name="batch"/> samples; returns the last layer's output for all samples.</summary>
    public static byte[] Run(WorkloadGraph graph, int batch, byte[] input, IReadOnlyList<Firmware.Compiler.LayerData?> data)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(data);
        byte[] x = input;
        byte[] residual = input; // an add/mul's second operand: the last add/mul output, else the network input
        for (int li = 0; li < graph.Layers.Count; li++)
        {
            Layer l = graph.Layers[li];
            x = l.Op switch
            {
                OpKind.Add or OpKind.Mul => residual = Elementwise(l, x, residual),
                OpKind.Pool => Pool(l, batch, x),
                OpKind.Resize => Resize(l, batch, x),
                OpKind.LayerNorm => LayerNorm(l, x, data[li]!),
                OpKind.Conv => Conv(l, batch, x, data[li]!),
                OpKind.Gemm => Gemm(l, batch, x, data[li]!),
                OpKind.Attention => Attention(l, batch, x),
                OpKind.Softmax => Softmax(x, l.Cols > 0 ? l.Cols : l.Elements),
                OpKind.Gelu => Gelu(x),
                _ => throw new NotSupportedException($"reference has no {l.Op}"),
            };
        }

        return x;
    }

    /// <summary>Rounds to the nearest BF16 value (ties to even) by scaling to 8 significant bits in double arithmetic.</summary>
    public static float RoundBf16(float x)
    {
        if (x == 0 || float.IsNaN(x) || float.IsInfinity(x))
        {
            return x;
        }

        int e = Math.Max(Math.ILogB((double)x), -126);
        double step = Math.ScaleB(1.0, e - 7);
        double r = Math.Round(x / step, MidpointRounding.ToEven) * step;
        return r >= 3.3961775292304e38 || r <= -3.3961775292304e38 ? (r > 0 ? float.PositiveInfinity : float.NegativeInfinity) : (float)r;
    }

    private static float GetBf16(byte[] b, long i) => BitConverter.Int32BitsToSingle((b[2 * i] | (b[(2 * i) + 1] << 8)) << 16);

    private static void SetBf16(byte[] b, long i, float v)
    {
        int bits = BitConverter.SingleToInt32Bits(RoundBf16(v));
        b[2 * i] = (byte)(bits >> 16);
        b[(2 * i) + 1] = (byte)(bits >> 24);
    }

    private static sbyte Quantize(long acc, int scale, int shift)
    {
        double y = Math.Round(acc * (double)scale / Math.Pow(2, shift), MidpointRounding.ToEven);
        return (sbyte)Math.Max(-128, Math.Min(127, y));
    }

    private static byte[] Conv(Layer l, int batch, byte[] x, Firmware.Compiler.LayerData d)
    {
        bool bf = l.Precision == LayerPrecision.Bf16;
        int g = Math.Max(1, l.Groups), cg = l.C / g, kg = l.K / g;
        int p = ((l.H + (2 * l.Pad) - l.R) / l.Stride) + 1, q = ((l.W + (2 * l.Pad) - l.S) / l.Stride) + 1;
        int es = bf ? 2 : 1;
        var y = new byte[(long)batch * p * q * l.K * es];
        byte[] w = d.Weights!;
        for (int n = 0; n < batch; n++)
        {
            for (int oy = 0; oy < p; oy++)
            {
                for (int ox = 0; ox < q; ox++)
                {
                    for (int ko = 0; ko < l.K; ko++)
                    {
                        int grp = ko / kg, kk = ko % kg;
                        long iacc = 0;
                        float facc = 0;
                        for (int r = 0; r < l.R; r++)
                        {
                            for (int s = 0; s < l.S; s++)
                            {
                                for (int c = 0; c < cg; c++)
                                {
                                    int iy = (oy * l.Stride) - l.Pad + r, ix = (ox * l.Stride) - l.Pad + s;
                                    bool inside = iy >= 0 && iy < l.H && ix >= 0 && ix < l.W;
                                    long xi = (((((long)n * l.H) + iy) * l.W) + ix) * l.C + (grp * cg) + c;
                                    long wi = ((((long)grp * l.R * l.S * cg) + (((r * l.S) + s) * cg) + c) * kg) + kk;
                                    if (bf)
                                    {
                                        facc += (inside ? GetBf16(x, xi) : 0f) * GetBf16(w, wi);
                                    }
                                    else
                                    {
                                        iacc += (inside ? (sbyte)x[xi] : 0) * (sbyte)w[wi];
                                    }
                                }
                            }
                        }

                        long yi = (((((long)n * p) + oy) * q) + ox) * l.K + ko;
                        if (bf)
                        {
                            SetBf16(y, yi, facc);
                        }
                        else
                        {
                            y[yi] = (byte)Quantize(iacc, d.RqScale, d.RqShift);
                        }
                    }
                }
            }
        }

        return y;
    }

    private static byte[] Gemm(Layer l, int batch, byte[] x, Firmware.Compiler.LayerData d)
    {
        bool bf = l.Precision == LayerPrecision.Bf16;
        long rows = (long)batch * l.M;
        var y = new byte[rows * l.N * (bf ? 2 : 1)];
        byte[] w = d.Weights!;
        for (long m = 0; m < rows; m++)
        {
            for (long n = 0; n < l.N; n++)
            {
                long iacc = 0;
                float facc = 0;
                for (long k = 0; k < l.K; k++)
                {
                    if (bf)
                    {
                        facc += GetBf16(x, (m * l.K) + k) * GetBf16(w, (k * l.N) + n);
                    }
                    else
                    {
                        iacc += (sbyte)x[(m * l.K) + k] * (sbyte)w[(k * l.N) + n];
                    }
                }

                if (bf)
                {
                    SetBf16(y, (m * l.N) + n, facc);
                }
                else
                {
                    y[(m * l.N) + n] = (byte)Quantize(iacc, d.RqScale, d.RqShift);
                }
            }
        }

        return y;
    }

    /// <summary>Per sample: Q [H][S][D], Kᵀ [H][D][S], V [H][S][D]; out [H][S][D] = softmax(Q·Kᵀ)·V (no scaling; BF16).</summary>
    private static byte[] Attention(Layer l, int batch, byte[] x)
    {
        int h = l.Heads, s = l.Seq, dd = l.HeadDim;
        long hsd = (long)h * s * dd;
        var y = new byte[batch * hsd * 2];
        var scores = new byte[(long)s * s * 2];
        for (int n = 0; n < batch; n++)
        {
            for (int head = 0; head < h; head++)
            {
                long q0 = (n * 3 * hsd) + ((long)head * s * dd), k0 = q0 + hsd, v0 = q0 + (2 * hsd);
                for (int i = 0; i < s; i++)
                {
                    for (int j = 0; j < s; j++)
                    {
                        float acc = 0;
                        for (int e = 0; e < dd; e++)
                        {
                            acc += GetBf16(x, q0 + ((long)i * dd) + e) * GetBf16(x, k0 + ((long)e * s) + j);
                        }

                        SetBf16(scores, ((long)i * s) + j, acc);
                    }
                }

                byte[] probs = Softmax(scores, s);
                for (int i = 0; i < s; i++)
                {
                    for (int e = 0; e < dd; e++)
                    {
                        float acc = 0;
                        for (int j = 0; j < s; j++)
                        {
                            acc += GetBf16(probs, ((long)i * s) + j) * GetBf16(x, v0 + ((long)j * dd) + e);
                        }

                        SetBf16(y, (n * hsd) + ((long)head * s * dd) + ((long)i * dd) + e, acc);
                    }
                }
            }
        }

        return y;
    }

    private static byte[] Softmax(byte[] x, long cols)
    {
        long rows = x.Length / 2 / cols;
        var y = new byte[x.Length];
        for (long r = 0; r < rows; r++)
        {
            long b = r * cols;
            float max = GetBf16(x, b);
            for (long j = 1; j < cols; j++)
            {
                max = Math.Max(max, GetBf16(x, b + j));
            }

            var e = new float[cols];
            float sum = 0;
            for (long j = 0; j < cols; j++)
            {
                float diff = RoundBf16(GetBf16(x, b + j) - max);
                e[j] = RoundBf16(MathF.Exp(diff));
            }

            for (long j = 0; j < cols; j++)
            {
                sum += e[j];
            }

            float inv = RoundBf16(1f / RoundBf16(sum));
            for (long j = 0; j < cols; j++)
            {
                SetBf16(y, b + j, e[j] * inv);
            }
        }

        return y;
    }

    private static byte[] Gelu(byte[] x)
    {
        var y = new byte[x.Length];
        for (long i = 0; i < x.Length / 2; i++)
        {
            float v = GetBf16(x, i);
            SetBf16(y, i, 0.5f * v * (1f + MathF.Tanh(0.7978846f * (v + (0.044715f * v * v * v)))));
        }

        return y;
    }

    /// <summary>x + residual (or x · residual), element by element: INT8 exact then saturated; BF16 in FP32, rounded once.</summary>
    private static byte[] Elementwise(Layer l, byte[] x, byte[] residual)
    {
        bool bf16 = l.Precision == LayerPrecision.Bf16;
        bool add = l.Op == OpKind.Add;
        var y = new byte[x.Length];
        if (!bf16)
        {
            for (int i = 0; i < x.Length; i++)
            {
                int a = (sbyte)x[i], b = (sbyte)residual[i];
                y[i] = (byte)(sbyte)Math.Clamp(add ? a + b : a * b, -128, 127);
            }

            return y;
        }

        for (long i = 0; i < x.Length / 2; i++)
        {
            float a = GetBf16(x, i), b = GetBf16(residual, i);
            SetBf16(y, i, add ? a + b : a * b);
        }

        return y;
    }

    /// <summary>
    /// Max or average pooling, NHWC: max over the in-bounds window positions; average = the in-bounds values summed in
    /// (r, s) order with a BF16 rounding after each add, times BF16(1/(R·S)) (padding counts as zero).
    /// </summary>
    private static byte[] Pool(Layer l, int batch, byte[] x)
    {
        bool bf16 = l.Precision == LayerPrecision.Bf16;
        bool avg = string.Equals(l.PoolKind, "avg", StringComparison.OrdinalIgnoreCase);
        long p = ((l.H + (2L * l.Pad) - l.R) / l.Stride) + 1, q = ((l.W + (2L * l.Pad) - l.S) / l.Stride) + 1;
        int es = bf16 ? 2 : 1;
        var y = new byte[batch * p * q * l.C * es];
        float scale = RoundBf16(1f / (l.R * l.S));
        for (long n = 0; n < batch; n++)
        {
            for (long pp = 0; pp < p; pp++)
            {
                for (long qq = 0; qq < q; qq++)
                {
                    for (long c = 0; c < l.C; c++)
                    {
                        float accF = 0;
                        long accI = 0;
                        bool first = true;
                        for (long r = 0; r < l.R; r++)
                        {
                            for (long s = 0; s < l.S; s++)
                            {
                                long h = (pp * l.Stride) - l.Pad + r, w = (qq * l.Stride) - l.Pad + s;
                                if (h < 0 || h >= l.H || w < 0 || w >= l.W)
                                {
                                    continue;
                                }

                                long at = (((((n * l.H) + h) * l.W) + w) * l.C) + c;
                                if (bf16)
                                {
                                    float v = GetBf16(x, at);
                                    accF = first ? v : RoundBf16(avg ? accF + v : MathF.Max(accF, v));
                                }
                                else
                                {
                                    long v = (sbyte)x[at];
                                    accI = first ? v : Math.Max(accI, v);
                                }

                                first = false;
                            }
                        }

                        long o = (((((n * p) + pp) * q) + qq) * l.C) + c;
                        if (bf16)
                        {
                            SetBf16(y, o, avg ? accF * scale : accF);
                        }
                        else
                        {
                            y[o] = (byte)(sbyte)accI;
                        }
                    }
                }
            }
        }

        return y;
    }

    /// <summary>Nearest-neighbour resize by the integer factor Scale, NHWC: out[n][h][w][c] = in[n][h / Scale][w / Scale][c].</summary>
    private static byte[] Resize(Layer l, int batch, byte[] x)
    {
        int es = l.Precision == LayerPrecision.Bf16 ? 2 : 1;
        long f = Math.Max(1, l.Scale), ho = l.H * f, wo = l.W * f;
        var y = new byte[batch * ho * wo * l.C * es];
        for (long n = 0; n < batch; n++)
        {
            for (long h = 0; h < ho; h++)
            {
                for (long w = 0; w < wo; w++)
                {
                    long from = ((((n * l.H) + (h / f)) * l.W) + (w / f)) * l.C * es;
                    long to = ((((n * ho) + h) * wo) + w) * l.C * es;
                    Array.Copy(x, from, y, to, l.C * es);
                }
            }
        }

        return y;
    }

    /// <summary>
    /// Layer normalisation (BF16) per row of Cols: mean = bf16(bf16(Σx) · bf16(1/cols)); dᵢ = bf16(xᵢ − mean);
    /// var = bf16(bf16(bf16(Σ bf16(dᵢ²)) · bf16(1/cols)) + bf16(1e-5)); r = bf16(1/√var); yᵢ = bf16(bf16(bf16(dᵢ·r)·γᵢ) + βᵢ).
    /// Sums in FP32 in index order.
    /// </summary>
    private static byte[] LayerNorm(Layer l, byte[] x, Firmware.Compiler.LayerData d)
    {
        long cols = l.Cols > 0 ? l.Cols : l.Elements;
        long rows = x.Length / 2 / cols;
        float inv = RoundBf16(1f / cols), eps = RoundBf16(1e-5f);
        var y = new byte[x.Length];
        var dev = new float[cols];
        for (long r = 0; r < rows; r++)
        {
            float sum = 0;
            for (long c = 0; c < cols; c++)
            {
                sum += GetBf16(x, (r * cols) + c);
            }

            float mean = RoundBf16(RoundBf16(sum) * inv);
            float sq = 0;
            for (long c = 0; c < cols; c++)
            {
                dev[c] = RoundBf16(GetBf16(x, (r * cols) + c) - mean);
                sq += RoundBf16(dev[c] * dev[c]);
            }

            float variance = RoundBf16(RoundBf16(RoundBf16(sq) * inv) + eps);
            float rs = RoundBf16(1f / MathF.Sqrt(variance));
            for (long c = 0; c < cols; c++)
            {
                float v = RoundBf16(RoundBf16(dev[c] * rs) * GetBf16(d.Weights!, c));
                SetBf16(y, (r * cols) + c, v + GetBf16(d.Weights!, cols + c));
            }
        }

        return y;
    }
}
