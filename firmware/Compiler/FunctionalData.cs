using Antoum.Isa;

namespace Antoum.Firmware.Compiler;

/// <summary>
/// Data of one layer for a functional compile (docs/functional.md): the dense weights (row-major, element bytes of
/// the layer's precision; conv [groups][R·S·C/groups][K/groups] with the reduction index (r, s, c), c fastest; gemm
/// [K][N]) and the requantization of INT8 results (<c>rq=SCALE:SHIFT</c> on the last K chunk).
/// </summary>
public sealed record LayerData(byte[]? Weights, int RqScale = 1, int RqShift = 0);

/// <summary>Per-layer data (index = layer index; null for layers without weights). Its presence makes a compile functional.</summary>
public sealed record FunctionalData(IReadOnlyList<LayerData?> Layers);

/// <summary>Packed weights the loader writes at <see cref="DramOffset"/> of every DRAM interface of every chip.</summary>
public sealed record PackedWeights(int Layer, ulong DramOffset, byte[] Bytes);

/// <summary>Where one tensor lives: a readable location ("host", "dram", "dram.0", "l2") with offset and size.</summary>
public sealed record TensorPlacement(string Tensor, string Engines, string Location, ulong Offset, long Bytes);

/// <summary>
/// Where a functional compile put the tensors: the network input in host memory (sample i at
/// <see cref="HostInputOffset"/> + i × <see cref="InputBytesPerSample"/>), the output likewise, the packed weights (in
/// the layer's sparse format, one block per weight tile) and, for reading, every unit's activation regions.
/// </summary>
public sealed record TensorMap
{
    public ulong HostInputOffset { get; init; }

    public long InputBytesPerSample { get; init; }

    public ulong HostOutputOffset { get; init; }

    public long OutputBytesPerSample { get; init; }

    public int Batch { get; init; }

    public IReadOnlyList<PackedWeights> Weights { get; init; } = [];

    public IReadOnlyList<TensorPlacement> Placements { get; init; } = [];

    /// <summary>tensors.csv: one row per placement (tensor, engines, location, offset, bytes).</summary>
    public string ToCsv()
    {
        var sb = new System.Text.StringBuilder("tensor,where,space,offset,bytes\n");
        foreach (TensorPlacement p in Placements)
        {
            sb.Append(Compiler.Str($"\"{p.Tensor.Replace("\"", "'", StringComparison.Ordinal)}\",\"{p.Engines}\",{p.Location},0x{p.Offset:x},{p.Bytes}\n"));
        }

        return sb.ToString();
    }
}

/// <summary>
/// Packs a weight tile into the SPU's sparse formats (byte layouts in docs/functional.md). A tile is rows
/// [k0, k0+kc) × columns [n0, n0+nt) of a dense row-major [K][N] matrix; every format orders the nonzeros by output
/// column, then by row.
/// </summary>
public static class WeightPacking
{
    /// <summary>Packs the tile; throws <see cref="CompileException"/> when the data do not fit the format (nofm: two nonzeros in one group).</summary>
    public static byte[] Pack(ReadOnlySpan<byte> dense, long n, long k0, long kc, long n0, long nt, int es, SpuFlags flags, string layer)
    {
        int r = Math.Max(1, flags.Ratio);
        bool Nonzero(long k, long col, ReadOnlySpan<byte> d)
        {
            long at = ((k * n) + col) * es;
            for (int b = 0; b < es; b++)
            {
                if (d[(int)(at + b)] != 0)
                {
                    return true;
                }
            }

            return false;
        }

        var outp = new List<byte>();
        void Value(long k, long col, ReadOnlySpan<byte> d)
        {
            long at = ((k * n) + col) * es;
            for (int b = 0; b < es; b++)
            {
                outp.Add(d[(int)(at + b)]);
            }
        }

        void Zero()
        {
            for (int b = 0; b < es; b++)
            {
                outp.Add(0);
            }
        }

        void Int32(long v)
        {
            for (int b = 0; b < 4; b++)
            {
                outp.Add((byte)(v >> (8 * b)));
            }
        }

        void Int16(long v)
        {
            outp.Add((byte)v);
            outp.Add((byte)(v >> 8));
        }

        switch (flags.Format)
        {
            case SparseFormat.Dense:
                for (long k = 0; k < kc; k++)
                {
                    for (long c = 0; c < nt; c++)
                    {
                        Value(k0 + k, n0 + c, dense);
                    }
                }

                break;
            case SparseFormat.NofM:
                {
                    long groups = (kc + r - 1) / r;
                    int bits = (int)Math.Ceiling(Math.Log2(r));
                    var offsets = new List<int>();
                    for (long c = 0; c < nt; c++)
                    {
                        for (long g = 0; g < groups; g++)
                        {
                            int found = -1;
                            for (int i = 0; i < r && (g * r) + i < kc; i++)
                            {
                                if (Nonzero(k0 + (g * r) + i, n0 + c, dense))
                                {
                                    if (found >= 0)
                                    {
                                        throw new CompileException(Compiler.Str($"layer '{layer}': weights do not fit nofm 1:{r}: column {n0 + c} has two nonzeros in rows {k0 + (g * r)}..{k0 + (g * r) + r - 1}"));
                                    }

                                    found = i;
                                }
                            }

                            if (found >= 0)
                            {
                                Value(k0 + (g * r) + found, n0 + c, dense);
                            }
                            else
                            {
                                Zero();
                            }

                            offsets.Add(Math.Max(0, found));
                        }
                    }

                    var meta = new byte[((offsets.Count * bits) + 7) / 8];
                    for (int i = 0; i < offsets.Count; i++)
                    {
                        for (int b = 0; b < bits; b++)
                        {
                            if (((offsets[i] >> b) & 1) != 0)
                            {
                                int bit = (i * bits) + b;
                                meta[bit / 8] |= (byte)(1 << (bit % 8));
                            }
                        }
                    }

                    outp.AddRange(meta);
                    break;
                }

            case SparseFormat.Bitmap:
                {
                    // Hierarchical: one bit per (column, 32-row segment) holding nonzeros, then one byte per nonzero
                    // (row within its segment in bits 0-4, bit 7 = last nonzero of the segment), then the values.
                    long segs = (kc + 31) / 32;
                    var top = new byte[((nt * segs) + 7) / 8];
                    var index = new List<byte>();
                    for (long c = 0; c < nt; c++)
                    {
                        for (long g = 0; g < segs; g++)
                        {
                            int last = -1;
                            for (long k = g * 32; k < Math.Min(kc, (g * 32) + 32); k++)
                            {
                                if (Nonzero(k0 + k, n0 + c, dense))
                                {
                                    index.Add((byte)(k - (g * 32)));
                                    last = index.Count - 1;
                                }
                            }

                            if (last >= 0)
                            {
                                long bit = (c * segs) + g;
                                top[bit / 8] |= (byte)(1 << (int)(bit % 8));
                                index[last] |= 0x80;
                            }
                        }
                    }

                    outp.AddRange(top);
                    outp.AddRange(index);
                    for (long c = 0; c < nt; c++)
                    {
                        for (long k = 0; k < kc; k++)
                        {
                            if (Nonzero(k0 + k, n0 + c, dense))
                            {
                                Value(k0 + k, n0 + c, dense);
                            }
                        }
                    }

                    break;
                }

            case SparseFormat.Csr:
                {
                    var rows = new List<long>();
                    var cols = new List<long>();
                    long count = 0;
                    Int32(0);
                    for (long c = 0; c < nt; c++)
                    {
                        for (long k = 0; k < kc; k++)
                        {
                            if (Nonzero(k0 + k, n0 + c, dense))
                            {
                                rows.Add(k);
                                cols.Add(c);
                                count++;
                            }
                        }

                        Int32(count);
                    }

                    foreach (long k in rows)
                    {
                        Int16(k);
                    }

                    for (int i = 0; i < rows.Count; i++)
                    {
                        Value(k0 + rows[i], n0 + cols[i], dense);
                    }

                    break;
                }

            case SparseFormat.BlockCsr:
                {
                    var blocks = new List<(long Block, long Col)>();
                    Int32(0);
                    for (long c = 0; c < nt; c++)
                    {
                        for (long b = 0; b * 4 < kc; b++)
                        {
                            bool any = false;
                            for (long i = b * 4; i < Math.Min(kc, (b * 4) + 4); i++)
                            {
                                any |= Nonzero(k0 + i, n0 + c, dense);
                            }

                            if (any)
                            {
                                blocks.Add((b, c));
                            }
                        }

                        Int32(blocks.Count);
                    }

                    foreach ((long b, _) in blocks)
                    {
                        Int16(b);
                    }

                    foreach ((long b, long c) in blocks)
                    {
                        for (long i = b * 4; i < (b * 4) + 4; i++)
                        {
                            if (i < kc)
                            {
                                Value(k0 + i, n0 + c, dense);
                            }
                            else
                            {
                                Zero();
                            }
                        }
                    }

                    break;
                }
        }

        return [.. outp];
    }
}
