using System.Buffers.Binary;
using Antoum.Isa;

namespace Antoum.Sim.Functional;

/// <summary>
/// The numeric semantics of the engine operations in functional mode (docs/isa.md "Numeric semantics",
/// docs/functional.md). Each method reads its operands from <see cref="FunctionalMemory"/> and writes the result;
/// it returns null, or what is not supported. Operands are resolved addresses.
/// </summary>
public static class FunctionalOps
{
    /// <summary>BF16 bits → FP32 (exact).</summary>
    public static float Bf16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>FP32 → BF16 bits, round to nearest even (NaN → quiet NaN 0x7FC0).</summary>
    public static ushort FloatToBf16(float value)
    {
        int bits = BitConverter.SingleToInt32Bits(value);
        if (float.IsNaN(value))
        {
            return 0x7FC0;
        }

        int lsb = (bits >> 16) & 1;
        return (ushort)((uint)(bits + 0x7FFF + lsb) >> 16);
    }

    public static sbyte SatInt8(long v) => (sbyte)Math.Clamp(v, -128, 127);

    /// <summary>sat_int8(round_half_even(acc × scale / 2^shift)), exact in 64 bits.</summary>
    public static sbyte Requantize(long acc, int scale, int shift)
    {
        long y = acc * scale;
        if (shift == 0)
        {
            return SatInt8(y);
        }

        long q = y >> shift;
        long rem = y - (q << shift);
        long half = 1L << (shift - 1);
        if (rem > half || (rem == half && (q & 1) != 0))
        {
            q++;
        }

        return SatInt8(q);
    }

    private static float Load(ReadOnlySpan<byte> data, long index, bool bf16) =>
        bf16 ? Bf16ToFloat(BinaryPrimitives.ReadUInt16LittleEndian(data[(int)(index * 2)..])) : (sbyte)data[(int)index];

    /// <summary>
    /// Decodes a packed K×N weight tile (formats in docs/functional.md) into dense row-major element bytes.
    /// Returns null, or what is malformed.
    /// </summary>
    public static string? DecodeWeights(ReadOnlySpan<byte> packed, long k, long n, int es, SpuFlags flags, Span<byte> dense)
    {
        dense.Clear();
        int r = Math.Max(1, flags.Ratio);
        void Put(long row, long col, ReadOnlySpan<byte> value, Span<byte> d) => value[..es].CopyTo(d[(int)(((row * n) + col) * es)..]);
        switch (flags.Format)
        {
            case SparseFormat.Dense:
                if (packed.Length < k * n * es)
                {
                    return "dense tile shorter than K x N";
                }

                packed[..(int)(k * n * es)].CopyTo(dense);
                return null;
            case SparseFormat.NofM:
                {
                    long groups = (k + r - 1) / r;
                    long count = groups * n;
                    int bits = 0;
                    while ((1 << bits) < r)
                    {
                        bits++;
                    }

                    long metaAt = count * es;
                    if (packed.Length < metaAt + (((count * bits) + 7) / 8))
                    {
                        return "nofm tile shorter than its values and offsets";
                    }

                    for (long i = 0; i < count; i++)
                    {
                        int offset = 0;
                        for (int b = 0; b < bits; b++)
                        {
                            long bit = (i * bits) + b;
                            offset |= ((packed[(int)(metaAt + (bit >> 3))] >> (int)(bit & 7)) & 1) << b;
                        }

                        long col = i / groups, row = (i % groups * r) + offset;
                        if (row >= k)
                        {
                            return "nofm offset points past the tile";
                        }

                        Put(row, col, packed[(int)(i * es)..], dense);
                    }

                    return null;
                }

            case SparseFormat.Bitmap:
                {
                    long segs = (k + 31) / 32;
                    long topBytes = ((n * segs) + 7) / 8;
                    var rows = new List<(long Row, long Col)>();
                    long at = topBytes;
                    for (long col = 0; col < n; col++)
                    {
                        for (long g = 0; g < segs; g++)
                        {
                            long bit = (col * segs) + g;
                            if (((packed[(int)(bit >> 3)] >> (int)(bit & 7)) & 1) == 0)
                            {
                                continue;
                            }

                            while (true)
                            {
                                if (at >= packed.Length)
                                {
                                    return "bitmap tile shorter than its indices";
                                }

                                byte b = packed[(int)at++];
                                long row = (g * 32) + (b & 31);
                                if (row >= k || (b & 0x60) != 0)
                                {
                                    return "bitmap index points past the tile";
                                }

                                rows.Add((row, col));
                                if ((b & 0x80) != 0)
                                {
                                    break;
                                }
                            }
                        }
                    }

                    if (at + (rows.Count * es) > packed.Length)
                    {
                        return "bitmap tile shorter than its values";
                    }

                    for (int i = 0; i < rows.Count; i++)
                    {
                        Put(rows[i].Row, rows[i].Col, packed[(int)(at + (i * es))..], dense);
                    }

                    return null;
                }

            case SparseFormat.Csr:
            case SparseFormat.BlockCsr:
                {
                    bool blocks = flags.Format == SparseFormat.BlockCsr;
                    long entries = BinaryPrimitives.ReadInt32LittleEndian(packed[(int)(n * 4)..]);
                    long idxAt = (n + 1) * 4, valAt = idxAt + (entries * 2);
                    long perEntry = blocks ? 4 : 1;
                    if (packed.Length < valAt + (entries * perEntry * es))
                    {
                        return "csr tile shorter than its indices and values";
                    }

                    for (long col = 0; col < n; col++)
                    {
                        long from = BinaryPrimitives.ReadInt32LittleEndian(packed[(int)(col * 4)..]);
                        long to = BinaryPrimitives.ReadInt32LittleEndian(packed[(int)((col + 1) * 4)..]);
                        for (long e = from; e < to; e++)
                        {
                            long index = BinaryPrimitives.ReadUInt16LittleEndian(packed[(int)(idxAt + (e * 2))..]);
                            for (long i = 0; i < perEntry; i++)
                            {
                                long row = (index * perEntry) + i;
                                if (row < k)
                                {
                                    Put(row, col, packed[(int)(valAt + (((e * perEntry) + i) * es))..], dense);
                                }
                                else if (!blocks || row >= k + 3)
                                {
                                    return "csr index points past the tile";
                                }
                            }
                        }
                    }

                    return null;
                }

            default:
                return "unknown sparse format";
        }
    }

    /// <summary>The largest a packed K×N tile can be (the decoder reads this much; its headers say how much is used).</summary>
    public static long MaxPackedBytes(long k, long n, int es, SpuFlags flags)
    {
        int r = Math.Max(1, flags.Ratio);
        return flags.Format switch
        {
            SparseFormat.NofM => ((k + r - 1) / r * n * es) + ((((k + r - 1) / r * n * 5) + 7) / 8),
            SparseFormat.Bitmap => ((((k + 31) / 32 * n) + 7) / 8) + (k * n * (1 + es)),
            SparseFormat.Csr => ((n + 1) * 4) + (k * n * (2 + es)),
            SparseFormat.BlockCsr => ((n + 1) * 4) + ((k + 3) / 4 * n * (2 + (4 * es))),
            _ => k * n * es,
        };
    }

    /// <summary>matmul M, N, K, A, B, C, PREC, FLAGS [bias=]: see docs/isa.md.</summary>
    public static string? Matmul(FunctionalMemory mem, long m, long n, long k, MemRef a, MemRef b, MemRef c, MemRef? bias, bool bf16, SpuFlags flags)
    {
        int es = bf16 ? 2 : 1;
        return Gemm(mem, m, n, k, mem.Read(a, m * k * es), b, c, bias, bf16, flags);
    }

    /// <summary>
    /// conv N, H, W, C, K, R, S, STRIDE, PAD, IN, WT, OUT, PREC, FLAGS [bias=] [ROWS] [ROW0]: the implicit GEMM of
    /// the strip (docs/isa.md): the im2col rows of output pixels (sample, row, column) are formed from the window in
    /// IN (per sample the input rows [InRow0, InRow0 + InRows), zero outside the image), weights RSCK (K index
    /// (r·S + s)·C + c) in FLAGS format, OUT [N·rows·Q][K] row-major.
    /// </summary>
    public static string? Conv(FunctionalMemory mem, ConvGeometry g, MemRef input, MemRef b, MemRef c, MemRef? bias, bool bf16, SpuFlags flags)
    {
        if (g.Check() is { } bad)
        {
            return "conv: " + bad;
        }

        int es = bf16 ? 2 : 1;
        byte[] window = mem.Read(input, g.InElements * es);
        (long m, long n, long k) = g.Gemm;
        var av = new byte[m * k * es];
        long rows = g.OutRows, q = g.Q, h0 = g.InRow0, hn = g.InRows;
        long perSample = hn * g.W * g.C;
        long rowBytes = g.C * es;
        for (long i = 0; i < m; i++)
        {
            long smp = i / (rows * q), pp = g.Row0 + (i % (rows * q) / q), qq = i % q;
            for (long r = 0; r < g.R; r++)
            {
                long h = (pp * g.Stride) - g.Pad + r - h0;
                for (long s = 0; s < g.S; s++)
                {
                    long w = (qq * g.Stride) - g.Pad + s;
                    if (h < 0 || h >= hn || w < 0 || w >= g.W)
                    {
                        continue; // padding: the im2col entries stay zero
                    }

                    long from = ((smp * perSample) + (((h * g.W) + w) * g.C)) * es;
                    long to = ((i * k) + (((r * g.S) + s) * g.C)) * es;
                    Array.Copy(window, from, av, to, rowBytes);
                }
            }
        }

        return Gemm(mem, m, n, k, av, b, c, bias, bf16, flags);
    }

    private static string? Gemm(FunctionalMemory mem, long m, long n, long k, byte[] av, MemRef b, MemRef c, MemRef? bias, bool bf16, SpuFlags flags)
    {
        int es = bf16 ? 2 : 1;
        long packedBytes = MaxPackedBytes(k, n, es, flags);
        byte[] packed = mem.Read(b, packedBytes);
        var w = new byte[k * n * es];
        if (DecodeWeights(packed, k, n, es, flags, w) is { } bad)
        {
            return bad;
        }

        int[]? biasI = null;
        float[]? biasF = null;
        if (bias is { } bm)
        {
            byte[] raw = mem.Read(bm, n * 4);
            biasI = new int[n];
            biasF = new float[n];
            for (int j = 0; j < n; j++)
            {
                biasI[j] = BinaryPrimitives.ReadInt32LittleEndian(raw.AsSpan(j * 4));
                biasF[j] = BitConverter.Int32BitsToSingle(biasI[j]);
            }
        }

        byte[]? prior = flags.Accumulate ? mem.Read(c, m * n * 4) : null;
        if (!bf16)
        {
            var outBytes = new byte[flags.Requantize ? m * n : m * n * 4];
            for (long i = 0; i < m; i++)
            {
                for (long j = 0; j < n; j++)
                {
                    long acc = prior is null ? 0 : BinaryPrimitives.ReadInt32LittleEndian(prior.AsSpan((int)(((i * n) + j) * 4)));
                    acc += biasI?[j] ?? 0;
                    for (long x = 0; x < k; x++)
                    {
                        acc += (sbyte)av[(i * k) + x] * (sbyte)w[(x * n) + j];
                    }

                    if (flags.Requantize)
                    {
                        outBytes[(i * n) + j] = (byte)Requantize(acc, flags.RqScale, flags.RqShift);
                    }
                    else
                    {
                        BinaryPrimitives.WriteInt32LittleEndian(outBytes.AsSpan((int)(((i * n) + j) * 4)), (int)acc);
                    }
                }
            }

            mem.Write(c, outBytes);
            return null;
        }

        var result = new byte[flags.OutBf16 ? m * n * 2 : m * n * 4];
        for (long i = 0; i < m; i++)
        {
            for (long j = 0; j < n; j++)
            {
                float acc = prior is null ? 0f : BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(prior.AsSpan((int)(((i * n) + j) * 4))));
                acc += biasF?[j] ?? 0f;
                for (long x = 0; x < k; x++)
                {
                    acc += Load(av, (i * k) + x, true) * Load(w, (x * n) + j, true);
                }

                if (flags.OutBf16)
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan((int)(((i * n) + j) * 2)), FloatToBf16(acc));
                }
                else
                {
                    BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan((int)(((i * n) + j) * 4)), BitConverter.SingleToInt32Bits(acc));
                }
            }
        }

        mem.Write(c, result);
        return null;
    }

    private static void Store(Span<byte> data, long index, float value, bool bf16)
    {
        if (bf16)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(data[(int)(index * 2)..], FloatToBf16(value));
        }
        else
        {
            data[(int)index] = (byte)SatInt8((long)Math.Round(value, MidpointRounding.ToEven));
        }
    }

    /// <summary>vop OP, DST, SRC0, SRC1, ELEMS, PREC, BCAST.</summary>
    public static string? Vop(FunctionalMemory mem, VpuOp op, MemRef dst, MemRef src0, MemRef src1, long elems, bool bf16, bool bcast)
    {
        int es = bf16 ? 2 : 1;
        byte[] x = mem.Read(src0, elems * es);
        bool scalar = bcast || op == VpuOp.Scale;
        byte[] y = op is VpuOp.Relu or VpuOp.Copy ? new byte[elems * es] : mem.Read(src1, (scalar ? 1 : elems) * es);
        var o = new byte[elems * es];
        for (long i = 0; i < elems; i++)
        {
            long yi = scalar ? 0 : i;
            if (bf16)
            {
                float a = Load(x, i, true), b = Load(y, yi, true);
                float r = op switch
                {
                    VpuOp.Add => a + b,
                    VpuOp.Sub => a - b,
                    VpuOp.Mul or VpuOp.Scale => a * b,
                    VpuOp.Max => MathF.Max(a, b),
                    VpuOp.Min => MathF.Min(a, b),
                    VpuOp.Relu => MathF.Max(a, 0f),
                    _ => a,
                };
                Store(o, i, r, true);
            }
            else
            {
                long a = (sbyte)x[i], b = (sbyte)y[yi];
                long r = op switch
                {
                    VpuOp.Add => a + b,
                    VpuOp.Sub => a - b,
                    VpuOp.Mul or VpuOp.Scale => a * b,
                    VpuOp.Max => Math.Max(a, b),
                    VpuOp.Min => Math.Min(a, b),
                    VpuOp.Relu => Math.Max(a, 0),
                    _ => a,
                };
                o[i] = (byte)SatInt8(r);
            }
        }

        mem.Write(dst, o);
        return null;
    }

    /// <summary>
    /// vop with its rows form: row r reads SRC0 and writes DST at r·ELEMS elements; SRC1 is per element (bcast 0, at
    /// r·ELEMS), one scalar per row (bcast 1 or scale, at r) or one row shared by every row (bcast 2).
    /// </summary>
    public static string? VopRows(FunctionalMemory mem, VpuOp op, MemRef dst, MemRef src0, MemRef src1, long elems, bool bf16, int bcast, long rows)
    {
        int es = bf16 ? 2 : 1;
        bool scalar = bcast == 1 || op == VpuOp.Scale;
        for (long r = 0; r < rows; r++)
        {
            long row = r * elems * es;
            long at1 = scalar ? r * es : bcast == 2 ? 0 : row;
            if (Vop(mem, op, Offset(dst, row), Offset(src0, row), Offset(src1, at1), elems, bf16, scalar) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>vreduce with its rows form: DST[r] (one result of the result width per row) reduces SRC row r.</summary>
    public static string? VreduceRows(FunctionalMemory mem, ReduceOp op, MemRef dst, MemRef src, long elems, bool bf16, long rows)
    {
        int es = bf16 ? 2 : 1;
        int resultBytes = bf16 ? 2 : op == ReduceOp.Sum ? 4 : 1;
        for (long r = 0; r < rows; r++)
        {
            if (Vreduce(mem, op, Offset(dst, r * resultBytes), Offset(src, r * elems * es), elems, bf16) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static MemRef Offset(MemRef m, long bytes) => m with { Offset = m.Offset + (ulong)bytes };

    /// <summary>vreduce OP, DST, SRC, ELEMS, PREC.</summary>
    public static string? Vreduce(FunctionalMemory mem, ReduceOp op, MemRef dst, MemRef src, long elems, bool bf16)
    {
        int es = bf16 ? 2 : 1;
        byte[] x = mem.Read(src, elems * es);
        if (bf16)
        {
            float acc = op == ReduceOp.Sum ? 0f : Load(x, 0, true);
            for (long i = op == ReduceOp.Sum ? 0 : 1; i < elems; i++)
            {
                float v = Load(x, i, true);
                acc = op switch { ReduceOp.Sum => acc + v, ReduceOp.Max => MathF.Max(acc, v), _ => MathF.Min(acc, v) };
            }

            var o = new byte[2];
            Store(o, 0, acc, true);
            mem.Write(dst, o);
            return null;
        }

        long a = op == ReduceOp.Sum ? 0 : (sbyte)x[0];
        for (long i = op == ReduceOp.Sum ? 0 : 1; i < elems; i++)
        {
            long v = (sbyte)x[i];
            a = op switch { ReduceOp.Sum => a + v, ReduceOp.Max => Math.Max(a, v), _ => Math.Min(a, v) };
        }

        if (op == ReduceOp.Sum)
        {
            var o = new byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(o, (int)a);
            mem.Write(dst, o);
        }
        else
        {
            mem.Write(dst, [(byte)(sbyte)a]);
        }

        return null;
    }

    /// <summary>The SFA functions in FP32 (gelu in its tanh form).</summary>
    public static float SfaFunction(SfaFunc func, float x) => func switch
    {
        SfaFunc.Exp => MathF.Exp(x),
        SfaFunc.Rsqrt => 1f / MathF.Sqrt(x),
        SfaFunc.Recip => 1f / x,
        SfaFunc.Gelu => 0.5f * x * (1f + MathF.Tanh(0.7978846f * (x + (0.044715f * x * x * x)))),
        SfaFunc.Sigmoid => 1f / (1f + MathF.Exp(-x)),
        SfaFunc.Tanh => MathF.Tanh(x),
        _ => x,
    };

    /// <summary>sfa FUNC, DST, SRC, ELEMS, PREC.</summary>
    public static string? Sfa(FunctionalMemory mem, SfaFunc func, MemRef dst, MemRef src, long elems, bool bf16)
    {
        int es = bf16 ? 2 : 1;
        long inElems = func switch { SfaFunc.MaxPool or SfaFunc.AvgPool => elems * 4, SfaFunc.Resize => (elems + 1) / 2, _ => elems };
        byte[] x = mem.Read(src, inElems * es);
        var o = new byte[elems * es];
        for (long i = 0; i < elems; i++)
        {
            float r;
            switch (func)
            {
                case SfaFunc.MaxPool:
                case SfaFunc.AvgPool:
                    {
                        float a = Load(x, 4 * i, bf16), b = Load(x, (4 * i) + 1, bf16), c = Load(x, (4 * i) + 2, bf16), d = Load(x, (4 * i) + 3, bf16);
                        r = func == SfaFunc.MaxPool ? MathF.Max(MathF.Max(a, b), MathF.Max(c, d)) : (a + b + c + d) * 0.25f;
                        break;
                    }

                case SfaFunc.Resize:
                    r = Load(x, i / 2, bf16);
                    break;
                default:
                    r = SfaFunction(func, Load(x, i, bf16));
                    break;
            }

            Store(o, i, r, bf16);
        }

        mem.Write(dst, o);
        return null;
    }
}
