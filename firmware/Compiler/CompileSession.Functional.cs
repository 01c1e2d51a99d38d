using Antoum.Firmware.Workloads;
using Antoum.Isa;

namespace Antoum.Firmware.Compiler;

/// <summary>
/// Functional compiles (docs/functional.md): the same partitioning, tiling, buffers and tokens as a timing compile,
/// but without loops and with the exact address of every tile, packed weights and a tensor map, so that the
/// simulator's engines can compute real values. Layouts: activations row-major per sample (conv NHWC, gemm [M][K],
/// attention Q [H][S][D], Kᵀ [H][D][S], V [H][S][D] one after the other), samples one after the other; conv A tiles are
/// formed by the DMA (im2col rows, padding copied from a zero region); in split/broadcast modes activations live on
/// the chip's DRAM interface 0 (the timing compile takes them as interleaved over the interfaces).
/// </summary>
internal sealed partial class CompileSession
{
    private readonly Dictionary<string, FnArea> _fnAreas = new(StringComparer.Ordinal);
    private readonly List<PackedWeights> _fnPacked = [];
    private long _mbFirst;
    private int _fnRqScale = 1;
    private int _fnRqShift;
    private Loc _zeros;
    private ulong _fnNext;
    private FnArea? _fnArea;
    private GemmPhase? _fnPhase;
    private int _fnPhaseIndex;
    private long _fnColOffset;
    private long _fnFullN;
    private Loc _fnResidual;
    private readonly Dictionary<int, ulong> _fnConsts = [];

    private bool Fn => _options.Data is not null;

    private sealed record FnArea(ulong Offset, long Bytes, Dictionary<(long Problem, long Ni, int J), (long Offset, long Bytes)> Blocks);

    /// <summary>A zero region (conv padding) after the timing layout; packed weights are placed after it as groups are compiled.</summary>
    private void FnLayout(ref ulong at)
    {
        FunctionalData data = _options.Data!;
        if (data.Layers.Count != _graph.Layers.Count)
        {
            throw new CompileException(Compiler.Str($"functional data has {data.Layers.Count} layer entries; the graph has {_graph.Layers.Count} layers"));
        }

        foreach (Layer l in _graph.Layers)
        {
            string? why = FunctionalSupport(l);
            if (why is not null)
            {
                throw new CompileException(Compiler.Str($"layer '{l.Name}': {why}"));
            }
        }

        // Residuals: an add/mul's second operand is the output of the last add/mul before it, or the network input.
        long resBytes = InputBytesPerSample();
        string resName = "the network input";
        foreach (Layer l in _graph.Layers)
        {
            if (KeepsResidual(l))
            {
                long bytes = l.Elements * Lowering.ElementBytes(l);
                if (bytes != resBytes)
                {
                    throw new CompileException(Compiler.Str(
                        $"layer '{l.Name}': its residual operand ({resName}) has {resBytes} B per sample; the {l.Op.ToString().ToLowerInvariant()} reads {bytes} B ({l.Elements} x {Lowering.ElementBytes(l)} B)"));
                }

                resName = Compiler.Str($"the output of '{l.Name}'");
            }
        }

        _zeros = new Loc(MemSpace.Dram, at, _t.L1Bytes);
        at += (ulong)Align(_t.L1Bytes);
        _fnResidual = new Loc(MemSpace.Dram, at, _dramAct[0].Size);
        at += (ulong)_dramAct[0].Size;
        _fnNext = at;
    }

    private bool HasResiduals => _graph.Layers.Any(KeepsResidual);

    /// <summary>True when no add/mul comes before layer <paramref name="li"/> (the residual is then the network input).</summary>
    private bool ResidualIsInput(int li)
    {
        for (int i = 0; i < li; i++)
        {
            if (KeepsResidual(_graph.Layers[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Micro-batched: a segment with an add/mul whose residual is the network input (no add/mul before the segment)
    /// copies the micro-batch's input from the host into the residual region (the staged DRAM copy may be overwritten
    /// by a later segment boundary).
    /// </summary>
    private void FnResidualFromHost(StreamBuilder d, int chip, int k, Segment seg, long samples)
    {
        bool needs = false;
        for (int li = seg.First; li <= seg.Last; li++)
        {
            needs |= KeepsResidual(_graph.Layers[li]) && ResidualIsInput(li);
        }

        if (!needs)
        {
            return;
        }

        long inPerSample = InputBytesPerSample();
        (long first, _) = UnitFirst(chip, k);
        d.Copy(_l2Residual.At(0), MemRef.Of(MemSpace.Host, (ulong)((first + _mbFirst) * inPerSample)), samples * inPerSample);
        _hostBytes += samples * inPerSample;
    }

    /// <summary>Null when functional mode supports the layer, else why not.</summary>
    public static string? FunctionalSupport(Layer l)
    {
        return l.Op switch
        {
            OpKind.Conv or OpKind.Gemm => null,
            OpKind.Attention or OpKind.Softmax or OpKind.Gelu or OpKind.LayerNorm => l.Precision == LayerPrecision.Bf16 ? null
                : "functional mode computes softmax/attention/gelu/layernorm in BF16 only (INT8 softmax and layernorm have no defined scaling)",
            OpKind.Add or OpKind.Mul or OpKind.Resize => null,
            OpKind.Pool => !string.Equals(l.PoolKind, "avg", StringComparison.OrdinalIgnoreCase) || l.Precision == LayerPrecision.Bf16 ? null
                : "functional mode computes average pooling in BF16 only (INT8 window sums saturate)",
            _ => $"functional mode does not support {l.Op.ToString().ToLowerInvariant()} layers (supported: conv, gemm, attention, softmax, gelu, layernorm, add, mul, pool, resize)",
        };
    }

    private long ChipFirst(int chip)
    {
        long first = 0;
        for (int c = 0; c < chip; c++)
        {
            first += _chipSamples[c];
        }

        return first;
    }

    /// <summary>Index of the first sample of unit (chip, cluster) in the batch, and its offset within the chip's share.</summary>
    private (long First, long WithinChip) UnitFirst(int chip, int cluster)
    {
        long[] shares = _mode == PartitionMode.PerCluster ? _clusterSamples[chip] : Compiler.Shares(_chipSamples[chip], _t.Clusters);
        long within = 0;
        for (int k = 0; k < cluster; k++)
        {
            within += shares[k];
        }

        return (ChipFirst(chip) + within, within);
    }

    /// <summary>An activation address: split/broadcast keep a chip's activations on its DRAM interface 0.</summary>
    private MemRef Act(Loc loc, long offset)
    {
        return _mode != PartitionMode.PerCluster && loc.Space == MemSpace.Dram
            ? new MemRef(MemSpace.Dram, MemRef.Local, 0, MemRef.Local, loc.Base + (ulong)offset)
            : loc.At(offset);
    }

    private ulong HostOutputBase(long inPerSample) => (ulong)Align(_batch * inPerSample);

    private void FnHostInput(Loc input, long inPerSample)
    {
        ForEachDma((c, k, d) =>
        {
            long n = HostShare(c, k);
            if (n == 0)
            {
                return;
            }

            (long first, long within) = UnitFirst(c, k);
            long unitOffset = _mode == PartitionMode.PerCluster ? 0 : within;
            d.Copy(Act(input, unitOffset * inPerSample), MemRef.Of(MemSpace.Host, (ulong)(first * inPerSample)), n * inPerSample);
            _hostBytes += n * inPerSample;
            if (_mb == 0 && HasResiduals)
            {
                // The network input is the first add/mul's residual operand (layer-by-layer schedule: a DRAM region).
                d.Copy(Act(_fnResidual, unitOffset * inPerSample), MemRef.Of(MemSpace.Host, (ulong)(first * inPerSample)), n * inPerSample);
                _hostBytes += n * inPerSample;
            }
        });

        // split/broadcast: every cluster reads the whole chip's input, which the clusters copied in parts, so the
        // chip's DMA engines meet before the first layer (a race that the functional tests found; timing compiles now
        // add the same barrier; see docs/functional.md).
        if (_mode != PartitionMode.PerCluster)
        {
            ChipBarriers();
        }
    }

    private void FnHostOutput(StreamBuilder d, int c, int k, Loc output, long outPerSample)
    {
        long n = HostShare(c, k);
        if (n == 0)
        {
            return;
        }

        long inPerSample = InputBytesPerSample();
        (long first, long within) = UnitFirst(c, k);
        long unitOffset = _mode == PartitionMode.PerCluster ? 0 : within;
        d.Copy(MemRef.Of(MemSpace.Host, HostOutputBase(inPerSample) + (ulong)(first * outPerSample)), Act(output, unitOffset * outPerSample), n * outPerSample);
        _hostBytes += n * outPerSample;
    }

    private TensorMap FnMap(long inPerSample, long outPerSample)
    {
        var places = new List<TensorPlacement>
        {
            new("network input (sample i at offset + i x bytes per sample)", "host", "host", 0, _batch * inPerSample),
            new("network output", "host", "host", HostOutputBase(inPerSample), _batch * outPerSample),
            new("activations A", _mode == PartitionMode.PerCluster ? "each cluster's interface" : "each chip's interface 0", "dram", _dramAct[0].Base, _dramAct[0].Size),
            new("activations B (network input staging)", _mode == PartitionMode.PerCluster ? "each cluster's interface" : "each chip's interface 0", "dram", _dramAct[1].Base, _dramAct[1].Size),
            new("scratch (attention scores)", _mode == PartitionMode.PerCluster ? "each cluster's interface" : "each chip's interface 0", "dram", _dramScratch.Base, _dramScratch.Size),
            new("zeros (conv padding)", "every interface", "dram", _zeros.Base, _zeros.Size),
        };
        foreach (PackedWeights w in _fnPacked)
        {
            places.Add(new TensorPlacement(Compiler.Str($"layer '{_graph.Layers[w.Layer].Name}' packed weights ({Lowering.Flags(_graph.Layers[w.Layer].Sparsity)})"),
                "every interface", "dram", w.DramOffset, w.Bytes.Length));
        }

        if (_mb > 0)
        {
            places.Add(new TensorPlacement(Compiler.Str($"micro-batch activation area ({_mb} samples)"), "each cluster", "l2", _l2Area.Base, _l2Area.Size));
        }

        return new TensorMap
        {
            HostInputOffset = 0,
            InputBytesPerSample = inPerSample,
            HostOutputOffset = HostOutputBase(inPerSample),
            OutputBytesPerSample = outPerSample,
            Batch = _batch,
            Weights = _fnPacked,
            Placements = places,
        };
    }

    /// <summary>Per GEMM group: phase, column offset (broadcast), requantization, packed weights (staged to L2 when micro-batched).</summary>
    private void FnBeginGroup(int li, Layer layer, int pi, int chip, (int K, int S)[] slots, GemmPhase g, GemmPlan plan, LayerReport rep)
    {
        _fnPhase = g;
        _fnPhaseIndex = pi;
        var full = (GemmPhase)Lowering.Phases(layer, 1)[pi];
        _fnFullN = full.N;
        _fnColOffset = 0;
        if (_mode == PartitionMode.Broadcast)
        {
            long[] cols = Compiler.Shares(full.N, _t.Clusters);
            for (int k = 0; k < slots[0].K; k++)
            {
                _fnColOffset += cols[k];
            }
        }

        LayerData? data = _options.Data!.Layers[li];
        _fnRqScale = data?.RqScale ?? 1;
        _fnRqShift = data?.RqShift ?? 0;
        _fnArea = null;
        if (!g.SharedWeights)
        {
            return;
        }

        _fnArea = FnWeights(li, layer, pi, g, full.N, plan);
        if (_weightsFromL2 && _fnArea.Bytes > _l2Weights.Size)
        {
            _weightsFromL2 = false;
        }

        if (_weightsFromL2)
        {
            StageWeights(chip, slots[0].K, MemRef.Of(MemSpace.Dram, _fnArea.Offset), _fnArea.Bytes, rep);
        }
    }

    /// <summary>Packs the weight tiles of a group (one block per problem, N tile and K chunk), once per distinct plan.</summary>
    private FnArea FnWeights(int li, Layer layer, int pi, GemmPhase g, long fullN, GemmPlan plan)
    {
        string key = Compiler.Str($"{li}:{pi}:{_fnColOffset}:{g.N}:{plan.Nt}:{plan.Kt}:{plan.Window}");
        if (_fnAreas.TryGetValue(key, out FnArea? area))
        {
            return area;
        }

        byte[] dense = _options.Data!.Layers[li]?.Weights
            ?? throw new CompileException(Compiler.Str($"layer '{layer.Name}': functional compile needs its weights"));
        int es = plan.ElementBytes;
        long perProblem = g.K * fullN * es;
        if (dense.LongLength != perProblem * g.Problems)
        {
            throw new CompileException(Compiler.Str($"layer '{layer.Name}': expected {perProblem * g.Problems} weight bytes ({g.Problems} x {g.K} x {fullN} x {es} B), got {dense.LongLength}"));
        }

        long chunkCount = (g.K + plan.Kt - 1) / plan.Kt;
        if (plan.Flags.Format == SparseFormat.NofM && chunkCount > 1 && plan.Kt % plan.Flags.Ratio != 0)
        {
            throw new CompileException(Compiler.Str(
                $"layer '{layer.Name}': K chunks of {plan.Kt} rows split the groups of {plan.Flags.Ratio} rows of its nofm weights (a chunk must start at a group boundary; the timing compile does not check this)"));
        }

        var blocks = new Dictionary<(long, long, int), (long, long)>();
        var bytes = new List<byte>();
        long chunks = (g.K + plan.Kt - 1) / plan.Kt;
        for (long p = 0; p < g.Problems; p++)
        {
            ReadOnlySpan<byte> slice = dense.AsSpan((int)(p * perProblem), (int)perProblem);
            for (long ni = 0; ni * plan.Nt < g.N; ni++)
            {
                long nt = Math.Min(plan.Nt, g.N - (ni * plan.Nt));
                for (int j = 0; j < chunks; j++)
                {
                    long k0 = j * plan.Kt;
                    long kc = Math.Min(plan.Kt, g.K - k0);
                    ReadOnlySpan<byte> rows = slice;
                    if (plan.Window && chunks > 1)
                    {
                        // A window chunk holds channels [j·Cc, j·Cc + cc) of every filter tap: its K rows (r, s, c) in RSC
                        // order are gathered from the layer's rows (r·S + s)·C/groups + c.
                        rows = WindowChunkRows(slice, layer, fullN, j * plan.Cc, kc / ((long)layer.R * layer.S), es);
                        k0 = 0;
                    }

                    byte[] block = WeightPacking.Pack(rows, fullN, k0, kc, _fnColOffset + (ni * plan.Nt), nt, es, plan.Flags, layer.Name);
                    if (block.Length > plan.WBytes)
                    {
                        throw new CompileException(Compiler.Str(
                            $"layer '{layer.Name}': packed weight tile ({block.Length} B) exceeds its L1 buffer ({plan.WBytes} B): the weights are denser than {plan.Flags}"));
                    }

                    blocks[(p, ni, j)] = (bytes.Count, block.Length);
                    bytes.AddRange(block);
                }
            }
        }

        area = new FnArea(_fnNext, Math.Max(1, bytes.Count), blocks);
        _fnPacked.Add(new PackedWeights(li, _fnNext, [.. bytes]));
        _fnNext += (ulong)Align(Math.Max(1, bytes.Count));
        if (_fnNext > (ulong)_t.DramBytesPerInterface)
        {
            throw new CompileException(Compiler.Str($"layer '{layer.Name}': packed weights exceed the DRAM interface ({_t.DramBytesPerInterface} B)"));
        }

        _fnAreas[key] = area;
        return area;
    }

    /// <summary>The K rows (r, s, c) for c in [c0, c0 + cc) of a conv's dense [R·S·Cg][N] weights, in RSC order.</summary>
    private static byte[] WindowChunkRows(ReadOnlySpan<byte> dense, Layer layer, long n, long c0, long cc, int es)
    {
        long cg = layer.C / Math.Max(1, layer.Groups);
        long taps = (long)layer.R * layer.S;
        long rowBytes = n * es;
        var rows = new byte[taps * cc * rowBytes];
        for (long t = 0; t < taps; t++)
        {
            dense.Slice((int)(((t * cg) + c0) * rowBytes), (int)(cc * rowBytes)).CopyTo(rows.AsSpan((int)(t * cc * rowBytes)));
        }

        return rows;
    }

    /// <summary>The A operand of a tile at <paramref name="pos"/>, K chunk <paramref name="j"/>, into L1 as an [M][kc] tile.</summary>
    private void FnACopy(int li, StreamBuilder d, MemRef l1, Loc src, (long Problem, long Mi, long Ni) pos, TileClass tc, int j, GemmPlan plan)
    {
        if (plan.Window)
        {
            FnWindow(d, _graph.Layers[li], l1, src, pos, tc, j, plan);
            return;
        }

        FnATile(d, _graph.Layers[li], l1, src, pos.Problem, pos.Mi * plan.Mt, tc.M, j * plan.Kt, tc.Chunks[j], plan.ElementBytes, _fnPhase!);
    }

    /// <summary>
    /// The input window of window tile <paramref name="pos"/>, K chunk <paramref name="j"/> (channels [j·Cc, j·Cc + kc/(R·S))
    /// of problem p's group), into L1 as the conv instruction reads it: per sample the input rows the strip reads
    /// (<see cref="ConvGeometry.InRow0"/>, <see cref="ConvGeometry.InRows"/>), W pixels of those channels each. All
    /// channels: one contiguous copy (the NHWC rows of consecutive samples are contiguous too); else one copy2d.
    /// </summary>
    private void FnWindow(StreamBuilder d, Layer layer, MemRef l1, Loc src, (long Problem, long Mi, long Ni) pos, TileClass tc, int j, GemmPlan plan)
    {
        int es = plan.ElementBytes;
        ConvGeometry cg = WindowConv(layer, plan, tc.M, tc.N, pos.Mi, tc.Chunks[j], exact: true);
        long pq = cg.P * cg.Q;
        long m0 = pos.Mi * plan.Mt;
        long sample = m0 / pq;
        long c0 = (pos.Problem * (layer.C / Math.Max(1, layer.Groups))) + (j * plan.Cc);
        long pixels = cg.N * cg.InRows * layer.W;
        long from = ((((sample * layer.H) + cg.InRow0) * layer.W * layer.C) + c0) * es;
        if (cg.C == layer.C)
        {
            d.Copy(l1, Act(src, from), pixels * layer.C * es);
        }
        else
        {
            d.Copy2d(l1, Act(src, from), pixels, cg.C * es, cg.C * es, layer.C * es);
        }
    }

    /// <summary>The weight tile (packed block, or the B operand rows from the layer input) of a tile at <paramref name="pos"/>, K chunk <paramref name="j"/>.</summary>
    private void FnWCopy(int li, StreamBuilder d, MemRef l1, Loc? bLoc, (long Problem, long Mi, long Ni) pos, TileClass tc, int j, GemmPlan plan)
    {
        int es = plan.ElementBytes;
        long kc = tc.Chunks[j], k0 = j * plan.Kt, n0 = pos.Ni * plan.Nt;
        if (bLoc is { } bl)
        {
            long bBase = FnBOffset(_graph.Layers[li], pos.Problem);
            d.Copy2d(l1, Act(bl, bBase + (((k0 * _fnFullN) + _fnColOffset + n0) * es)), kc, tc.N * es, tc.N * es, _fnFullN * es);
            return;
        }

        FnArea area = _fnArea!;
        (long off, long bytes) = area.Blocks[(pos.Problem, pos.Ni, j)];
        MemRef wSrc = _weightsFromL2 ? _l2Weights.At(off) : MemRef.Of(MemSpace.Dram, area.Offset + (ulong)off);
        d.Copy(l1, wSrc, bytes);
    }

    /// <summary>The drain of a tile at <paramref name="pos"/> from output buffer <paramref name="cParity"/>: rows into the row-major output.</summary>
    private Drain FnDrainTo(int li, Loc dst, (long Problem, long Mi, long Ni) pos, TileClass tc, GemmPlan plan, int cParity)
    {
        (long cBase, long rowStride) = FnCOffset(_graph.Layers[li], pos.Problem, _fnPhase!);
        int ob = plan.OutBytes;
        MemRef cDst = Act(dst, cBase + ((((pos.Mi * plan.Mt) * rowStride) + _fnColOffset + (pos.Ni * plan.Nt)) * ob));
        return new Drain(tc.M * tc.N * ob, cParity, plan.C(cParity), cDst) { Rows = tc.M, DstStride = rowStride * ob };
    }

    /// <summary>Moves rows [m0, m0+mt) × reduction [k0, k0+kc) of problem p's A operand into L1 as an [mt][kc] tile.</summary>
    private void FnATile(StreamBuilder d, Layer layer, MemRef l1, Loc src, long p, long m0, long mt, long k0, long kc, int es, GemmPhase g)
    {
        if (layer.Op != OpKind.Conv)
        {
            long aBase = FnAOffset(layer, p);
            d.Copy2d(l1, Act(src, aBase + (((m0 * g.K) + k0) * es)), mt, kc * es, kc * es, g.K * es);
            return;
        }

        // im2col rows from the NHWC input: runs of consecutive source elements become one copy, padding comes from
        // the zero region.
        long pOut = Lowering.ConvOut(layer.H, layer.R, layer.Stride, layer.Pad);
        long qOut = Lowering.ConvOut(layer.W, layer.S, layer.Stride, layer.Pad);
        long cg = layer.C / Math.Max(1, layer.Groups);
        for (long i = 0; i < mt; i++)
        {
            long m = m0 + i;
            long n = m / (pOut * qOut), pp = m % (pOut * qOut) / qOut, q = m % qOut;
            long runStart = 0, runSrc = 0, runLen = 0;
            void Flush()
            {
                if (runLen == 0)
                {
                    return;
                }

                MemRef to = l1 with { Offset = l1.Offset + (ulong)(((i * kc) + runStart) * es) };
                d.Copy(to, runSrc < 0 ? _zeros.At(0) : Act(src, runSrc), runLen * es);
                runLen = 0;
            }

            for (long kk = k0; kk < k0 + kc; kk++)
            {
                long r = kk / (layer.S * cg), rem = kk % (layer.S * cg), s = rem / cg, c = rem % cg;
                long h = (pp * layer.Stride) - layer.Pad + r, w = (q * layer.Stride) - layer.Pad + s;
                long at = h >= 0 && h < layer.H && w >= 0 && w < layer.W ? ((((((n * layer.H) + h) * layer.W) + w) * layer.C) + (p * cg) + c) * es : -1;
                bool extends = runLen > 0 && ((at < 0 && runSrc < 0) || (at >= 0 && runSrc >= 0 && at == runSrc + (runLen * es)));
                if (!extends)
                {
                    Flush();
                    runStart = kk - k0;
                    runSrc = at;
                }

                runLen++;
            }

            Flush();
        }
    }

    /// <summary>Byte offset of problem p's A operand ([M][K] row-major) in the phase's source region.</summary>
    private long FnAOffset(Layer layer, long p)
    {
        int es = Lowering.ElementBytes(layer);
        if (layer.Op != OpKind.Attention)
        {
            return 0;
        }

        long hsd = (long)layer.Heads * layer.Seq * layer.HeadDim;
        long n = p / layer.Heads, h = p % layer.Heads;
        return _fnPhaseIndex == 0
            ? ((n * 3 * hsd) + (h * layer.Seq * layer.HeadDim)) * es
            : p * layer.Seq * layer.Seq * es;
    }

    /// <summary>Byte offset of problem p's B operand ([K][N] row-major) in the layer input (attention: Kᵀ, then V).</summary>
    private long FnBOffset(Layer layer, long p)
    {
        int es = Lowering.ElementBytes(layer);
        long hsd = (long)layer.Heads * layer.Seq * layer.HeadDim;
        long n = p / layer.Heads, h = p % layer.Heads;
        return ((n * 3 * hsd) + ((_fnPhaseIndex == 0 ? 1 : 2) * hsd) + (h * layer.Seq * layer.HeadDim)) * es;
    }

    /// <summary>Byte offset of problem p's output [M][rowStride] and its row stride in elements (conv: groups side by side).</summary>
    private (long Base, long RowStride) FnCOffset(Layer layer, long p, GemmPhase g)
    {
        int ob = Lowering.ElementBytes(layer);
        var full = (GemmPhase)Lowering.Phases(layer, 1)[_fnPhaseIndex];
        return layer.Op switch
        {
            OpKind.Conv => (p * full.N * ob, layer.K),
            OpKind.Attention => (p * g.M * full.N * ob, full.N),
            _ => (0, full.N),
        };
    }

    /// <summary>Offset in rows of cluster k's share of a vector phase (split/broadcast deal rows over the clusters).</summary>
    private long FnRowOffset(Layer layer, int pi, int chip, int k)
    {
        if (_mode == PartitionMode.PerCluster)
        {
            return 0;
        }

        var whole = (VectorPhase)Lowering.Phases(layer, _chipSamples[chip])[pi];
        long[] shares = Compiler.Shares(whole.Rows, _t.Clusters);
        long off = 0;
        for (int i = 0; i < k; i++)
        {
            off += shares[i];
        }

        return off;
    }

    /// <summary>
    /// A vector phase over rows [rowOff, rowOff + v.Rows) with exact addresses: SFA functions in one instruction;
    /// softmax per row max, subtract, exp (SFA), per row sum, reciprocal (SFA), per row multiply.
    /// </summary>
    private void FnVector(int li, Layer layer, StreamBuilder d, StreamBuilder vpu, StreamBuilder sfa, int k, VectorPhase v, long rowOff, Loc src, Loc dst, LayerReport rep)
    {
        Precision prec = layer.Precision == LayerPrecision.Bf16 ? Precision.Bf16 : Precision.Int8;
        int es = Lowering.ElementBytes(layer);
        if (layer.Op is OpKind.Add or OpKind.Mul)
        {
            FnElementwise(layer, d, vpu, k, v, rowOff, src, dst, prec, es, rep);
            return;
        }

        if (layer.Op == OpKind.Resize)
        {
            FnResize(layer, d, vpu, k, v.Rows, rowOff, src, dst, prec, es, rep);
            return;
        }

        if (layer.Op == OpKind.LayerNorm)
        {
            FnLayerNorm(li, layer, d, vpu, sfa, k, v, rowOff, src, dst, rep);
            return;
        }

        if (layer.Op == OpKind.Pool)
        {
            FnPool(li, layer, d, vpu, k, v.Rows, rowOff, src, dst, prec, es, rep);
            return;
        }

        long cols = v.Cols, rows = v.Rows;
        MemRef Src(long r) => Act(src, (rowOff + r) * cols * es);
        MemRef Dst(long r) => Act(dst, (rowOff + r) * cols * es);
        int vpuGo = ClusterToken(k, VpuGo), vpuDone = ClusterToken(k, VpuDone), sfaGo = ClusterToken(k, SfaGo), sfaDone = ClusterToken(k, SfaDone);
        int toSfa = ClusterToken(k, VpuToSfa), toVpu = ClusterToken(k, SfaToVpu);
        if (v.Kind == VectorKind.Sfa)
        {
            d.Signal(sfaGo);
            sfa.Wait(sfaGo);
            sfa.Sfa(v.Func, Dst(0), Src(0), rows * cols, prec);
            sfa.Signal(sfaDone);
            sfa.HasWork = true;
            d.Wait(sfaDone);
            rep.VectorInstructions += 1;
            return;
        }

        if (v.Kind != VectorKind.Softmax)
        {
            throw new CompileException(Compiler.Str($"layer '{layer.Name}': functional mode has no lowering for {v.Kind}"));
        }

        long slot = Align(rows * 4);
        if (3 * slot > _l2Scratch.Size)
        {
            throw new CompileException(Compiler.Str($"layer '{layer.Name}': {rows} softmax rows on one cluster need {3 * slot} B of L2 scratch; it has {_l2Scratch.Size} B"));
        }

        MemRef Max(long r) => _l2Scratch.At(r * es);
        MemRef Sum(long r) => _l2Scratch.At(slot + (r * es));
        MemRef Inv(long r) => _l2Scratch.At((2 * slot) + (r * es));
        d.Signal(vpuGo);
        vpu.Wait(vpuGo);
        vpu.HasWork = true;
        sfa.HasWork = true;
        for (long r = 0; r < rows; r++)
        {
            vpu.Vreduce(ReduceOp.Max, Max(r), Src(r), cols, prec);
            vpu.Vop(VpuOp.Sub, Dst(r), Src(r), Max(r), cols, prec, bcast: true);
        }

        void SfaStep(SfaFunc func, MemRef to, MemRef from, long elems)
        {
            vpu.Signal(toSfa);
            sfa.Wait(toSfa);
            sfa.Sfa(func, to, from, elems, prec);
            sfa.Signal(toVpu);
            vpu.Wait(toVpu);
        }

        SfaStep(SfaFunc.Exp, Dst(0), Dst(0), rows * cols);
        for (long r = 0; r < rows; r++)
        {
            vpu.Vreduce(ReduceOp.Sum, Sum(r), Dst(r), cols, prec);
        }

        SfaStep(SfaFunc.Recip, Inv(0), Sum(0), rows);
        for (long r = 0; r < rows; r++)
        {
            vpu.Vop(VpuOp.Mul, Dst(r), Dst(r), Inv(r), cols, prec, bcast: true);
        }

        rep.VectorInstructions += (4 * rows) + 2;
        vpu.Signal(vpuDone);
        d.Wait(vpuDone);
    }

    /// <summary>
    /// add/mul over rows [rowOff, rowOff + v.Rows) with the residual operand: in the micro-batched schedule the
    /// residual region (the add writes it in place, as in timing compiles), else a DRAM residual region that the
    /// DMA refreshes with the add's output.
    /// </summary>
    private void FnElementwise(Layer layer, StreamBuilder d, StreamBuilder vpu, int k, VectorPhase v, long rowOff, Loc src, Loc dst, Precision prec, int es, LayerReport rep)
    {
        long n = v.Rows * v.Cols;
        MemRef other = _only is not null ? _l2Residual.At(rowOff * es) : Act(_fnResidual, rowOff * es);
        int vpuGo = ClusterToken(k, VpuGo), vpuDone = ClusterToken(k, VpuDone);
        d.Signal(vpuGo);
        vpu.Wait(vpuGo);
        vpu.HasWork = true;
        vpu.Vop(v.Op, Act(dst, rowOff * es), Act(src, rowOff * es), other, n, prec);
        vpu.Signal(vpuDone);
        d.Wait(vpuDone);
        rep.VectorInstructions += 1;
        if (_only is null)
        {
            d.Copy(Act(_fnResidual, rowOff * es), Act(dst, rowOff * es), n * es);
        }
    }

    /// <summary>
    /// Pooling over output elements [rowOff, rowOff + rows) (NHWC, a share may start inside a pixel): per output pixel
    /// the in-bounds window positions in (r, s) order, the first copied, the others combined with max (max pool) or
    /// add (avg pool) over the pixel's channels; avg then scales by 1/(R·S) (padding counts as zero).
    /// </summary>
    private void FnPool(int li, Layer layer, StreamBuilder d, StreamBuilder vpu, int k, long rows, long rowOff, Loc src, Loc dst, Precision prec, int es, LayerReport rep)
    {
        int vpuGo = ClusterToken(k, VpuGo), vpuDone = ClusterToken(k, VpuDone);
        d.Signal(vpuGo);
        vpu.Wait(vpuGo);
        vpu.HasWork = true;
        rep.VectorInstructions += FnPoolRange(li, layer, vpu, rowOff, rowOff + rows, src, dst, prec, es);
        vpu.Signal(vpuDone);
        d.Wait(vpuDone);
    }

    /// <summary>
    /// The pooling vops of output elements [<paramref name="from"/>, <paramref name="end"/>) (<see cref="FnPool"/>;
    /// a fused pool calls it per block of output rows); returns the number of vops.
    /// </summary>
    private long FnPoolRange(int li, Layer layer, StreamBuilder vpu, long from, long end, Loc src, Loc dst, Precision prec, int es)
    {
        bool avg = string.Equals(layer.PoolKind, "avg", StringComparison.OrdinalIgnoreCase);
        long pOut = Lowering.ConvOut(layer.H, layer.R, layer.Stride, layer.Pad), qOut = Lowering.ConvOut(layer.W, layer.S, layer.Stride, layer.Pad);
        long c = layer.C;
        MemRef scale = default;
        if (avg)
        {
            if (!_fnConsts.TryGetValue(li, out ulong at))
            {
                // 1/(R·S) rounded to BF16, nearest even (positive and finite).
                int full = BitConverter.SingleToInt32Bits(1f / (layer.R * layer.S));
                ushort bits = (ushort)((full + 0x7FFF + ((full >> 16) & 1)) >> 16);

                at = _fnNext;
                _fnPacked.Add(new PackedWeights(li, at, [(byte)bits, (byte)(bits >> 8)]));
                _fnNext += 4096;
                _fnConsts[li] = at;
            }

            scale = MemRef.Of(MemSpace.Dram, at);
        }

        long vops = 0;
        long e = from;
        while (e < end)
        {
            long pix = e / c, c0 = e % c, c1 = Math.Min(c, c0 + (end - e));
            long n = pix / (pOut * qOut), pp = pix % (pOut * qOut) / qOut, q = pix % qOut;
            MemRef to = Act(dst, e * es);
            bool first = true;
            for (long r = 0; r < layer.R; r++)
            {
                for (long s = 0; s < layer.S; s++)
                {
                    long h = (pp * layer.Stride) - layer.Pad + r, w = (q * layer.Stride) - layer.Pad + s;
                    if (h < 0 || h >= layer.H || w < 0 || w >= layer.W)
                    {
                        continue;
                    }

                    MemRef fromRef = Act(src, ((((((n * layer.H) + h) * layer.W) + w) * c) + c0) * es);
                    vpu.Vop(first ? VpuOp.Copy : avg ? VpuOp.Add : VpuOp.Max, to, first ? fromRef : to, fromRef, c1 - c0, prec);
                    first = false;
                    vops++;
                }
            }

            if (avg)
            {
                vpu.Vop(VpuOp.Scale, to, to, scale, c1 - c0, prec);
                vops++;
            }

            e += c1 - c0;
        }

        return vops;
    }

    /// <summary>Nearest-neighbour resize over output elements [rowOff, rowOff + rows): per output pixel (piece) one VPU copy of its channels from input pixel (h / Scale, w / Scale).</summary>
    private void FnResize(Layer layer, StreamBuilder d, StreamBuilder vpu, int k, long rows, long rowOff, Loc src, Loc dst, Precision prec, int es, LayerReport rep)
    {
        long scale = Math.Max(1, layer.Scale), ho = layer.H * scale, wo = layer.W * scale, c = layer.C;
        int vpuGo = ClusterToken(k, VpuGo), vpuDone = ClusterToken(k, VpuDone);
        d.Signal(vpuGo);
        vpu.Wait(vpuGo);
        vpu.HasWork = true;
        long e = rowOff, end = rowOff + rows;
        while (e < end)
        {
            long pix = e / c, c0 = e % c, c1 = Math.Min(c, c0 + (end - e));
            long n = pix / (ho * wo), h = pix % (ho * wo) / wo / scale, w = pix % wo / scale;
            MemRef from = Act(src, ((((((n * layer.H) + h) * layer.W) + w) * c) + c0) * es);
            vpu.Vop(VpuOp.Copy, Act(dst, e * es), from, from, c1 - c0, prec);
            rep.VectorInstructions += 1;
            e += c1 - c0;
        }

        vpu.Signal(vpuDone);
        d.Wait(vpuDone);
    }

    /// <summary>BF16 bits of <paramref name="v"/>, rounded to nearest even (finite values).</summary>
    private static ushort Bf16Bits(float v)
    {
        int full = BitConverter.SingleToInt32Bits(v);
        return (ushort)((full + 0x7FFF + ((full >> 16) & 1)) >> 16);
    }

    /// <summary>
    /// Layer normalisation (BF16) over rows [rowOff, rowOff + v.Rows) of v.Cols: per row sum, × 1/cols (mean), x − mean,
    /// squares, sum, × 1/cols, + ε (variance); SFA rsqrt over the cluster's rows; per row × rsqrt, × γ, + β. γ, β,
    /// 1/cols and ε = 1e-5 (BF16) are written by the loader to DRAM; row statistics and the squares in L2 scratch.
    /// </summary>
    private void FnLayerNorm(int li, Layer layer, StreamBuilder d, StreamBuilder vpu, StreamBuilder sfa, int k, VectorPhase v, long rowOff, Loc src, Loc dst, LayerReport rep)
    {
        const Precision prec = Precision.Bf16;
        const int es = 2;
        long cols = v.Cols, rows = v.Rows;
        if (!_fnConsts.TryGetValue(li, out ulong at))
        {
            byte[] gb = _options.Data!.Layers[li]?.Weights
                ?? throw new CompileException(Compiler.Str($"layer '{layer.Name}': functional compile needs its gamma and beta"));
            if (gb.LongLength != 2 * cols * es)
            {
                throw new CompileException(Compiler.Str($"layer '{layer.Name}': expected {2 * cols * es} gamma/beta bytes, got {gb.LongLength}"));
            }

            var bytes = new byte[gb.Length + 4];
            gb.CopyTo(bytes, 0);
            ushort inv = Bf16Bits(1f / cols), eps = Bf16Bits(1e-5f);
            bytes[gb.Length] = (byte)inv;
            bytes[gb.Length + 1] = (byte)(inv >> 8);
            bytes[gb.Length + 2] = (byte)eps;
            bytes[gb.Length + 3] = (byte)(eps >> 8);
            at = _fnNext;
            _fnPacked.Add(new PackedWeights(li, at, bytes));
            _fnNext += (ulong)Align(bytes.Length);
            _fnConsts[li] = at;
        }

        MemRef gamma = MemRef.Of(MemSpace.Dram, at), beta = MemRef.Of(MemSpace.Dram, at + (ulong)(cols * es));
        MemRef invCols = MemRef.Of(MemSpace.Dram, at + (ulong)(2 * cols * es)), eps1 = MemRef.Of(MemSpace.Dram, at + (ulong)((2 * cols * es) + 2));
        long slot = Align(rows * es);
        if ((3 * slot) + (cols * es) > _l2Scratch.Size)
        {
            throw new CompileException(Compiler.Str($"layer '{layer.Name}': {rows} layernorm rows on one cluster need {(3 * slot) + (cols * es)} B of L2 scratch; it has {_l2Scratch.Size} B"));
        }

        MemRef Src(long r) => Act(src, (rowOff + r) * cols * es);
        MemRef Dst(long r) => Act(dst, (rowOff + r) * cols * es);
        MemRef Mean(long r) => _l2Scratch.At(r * es);
        MemRef Var(long r) => _l2Scratch.At(slot + (r * es));
        MemRef Rs(long r) => _l2Scratch.At((2 * slot) + (r * es));
        MemRef sq = _l2Scratch.At(3 * slot);
        int vpuGo = ClusterToken(k, VpuGo), vpuDone = ClusterToken(k, VpuDone), toSfa = ClusterToken(k, VpuToSfa), toVpu = ClusterToken(k, SfaToVpu);
        d.Signal(vpuGo);
        vpu.Wait(vpuGo);
        vpu.HasWork = true;
        sfa.HasWork = true;
        for (long r = 0; r < rows; r++)
        {
            vpu.Vreduce(ReduceOp.Sum, Mean(r), Src(r), cols, prec);
            vpu.Vop(VpuOp.Scale, Mean(r), Mean(r), invCols, 1, prec);
            vpu.Vop(VpuOp.Sub, Dst(r), Src(r), Mean(r), cols, prec, bcast: true);
            vpu.Vop(VpuOp.Mul, sq, Dst(r), Dst(r), cols, prec);
            vpu.Vreduce(ReduceOp.Sum, Var(r), sq, cols, prec);
            vpu.Vop(VpuOp.Scale, Var(r), Var(r), invCols, 1, prec);
            vpu.Vop(VpuOp.Add, Var(r), Var(r), eps1, 1, prec, bcast: true);
        }

        vpu.Signal(toSfa);
        sfa.Wait(toSfa);
        sfa.Sfa(SfaFunc.Rsqrt, Rs(0), Var(0), rows, prec);
        sfa.Signal(toVpu);
        vpu.Wait(toVpu);
        for (long r = 0; r < rows; r++)
        {
            vpu.Vop(VpuOp.Mul, Dst(r), Dst(r), Rs(r), cols, prec, bcast: true);
            vpu.Vop(VpuOp.Mul, Dst(r), Dst(r), gamma, cols, prec);
            vpu.Vop(VpuOp.Add, Dst(r), Dst(r), beta, cols, prec);
        }

        rep.VectorInstructions += (10 * rows) + 1;
        vpu.Signal(vpuDone);
        d.Wait(vpuDone);
    }
}
