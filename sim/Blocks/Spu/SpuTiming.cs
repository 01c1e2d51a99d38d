using Antoum.Isa;

namespace Antoum.Sim.Blocks.Spu;

// SPU timing model: what one sparse MAC array (SPU) takes for one GEMM, as a pure, allocation-free closed form.
//
// Summary: dense fold-based systolic timing in the SCALE-Sim formulation (Samajdar et al., ISPASS 2020), for the
//   output-, weight- and input-stationary dataflows, extended with weight sparsity in five storage formats and
//   optional activation zero skipping ("dual sparsity"). Convolutions go through im2col (M = N·P·Q, N = filters,
//   K = R·S·C). See docs/spu.md for the derivation, the formats table and how to compare with SCALE-Sim.
// Parameters (SpuModelParams, from chip.spu): rows R, cols C, dataflow, pipeline latency, BF16 rate divisor, the
//   highest native sparsity step, per-format decode cost / index bits / pointer bits / bitmap block / block shape /
//   imbalance model, activation zero fraction and skip efficiency.
// Statistics (SpuCost): cycles, compute cycles, folds, effective reduction length, useful MACs (non-zero weight
//   MACs actually performed), issued MAC slots (R·C·compute cycles), dense-equivalent MACs, weight value and
//   metadata bytes, SCALE-Sim mapping efficiency and utilization, SRAM operand reads/writes (SCALE-Sim counting).
// Timing assumptions:
//   * Mapping (SCALE-Sim v2 systolic_compute_{os,ws,is}): os Sr = M, Sc = N, T = K; ws Sr = K, Sc = N, T = M;
//     is Sr = K, Sc = M, T = N. Folds = ceil(Sr/R)·ceil(Sc/C), run back to back, each 2R + C + T − 2 cycles for
//     ws/is and R + C + T − 2 for os (SCALE-Sim v2: the os drain overlaps the next fold); partial folds take as
//     long as full ones, as SCALE-Sim pads them with idle PEs.
//   * Weight sparsity shrinks the reduction length K (T for os, Sr for ws/is). Ratios that are not a native
//     step (1, 2, 4, … up to maxWeightSparsity) run at the next lower native step (zeros are stored as padding).
//   * Unstructured formats (bitmap, CSR, block-CSR) are load-imbalanced: the C columns of the array advance in
//     lockstep, so a fold lasts as long as its densest column: the expected maximum of C Binomial(K, 1/step)
//     non-zero counts, approximated as mean + sd·sqrt(2·ln C). Balanced (N:M) formats have factor 1.
//   * Index decode costs a fixed number of cycles per fold per format (not overlapped with the fold).
//   * Activation zero skipping shrinks the reduction length again by zeroFraction × skipEfficiency.
//   * BF16 multiplies every cycle (including the pipeline latency) by the BF16 rate divisor.
//   * The pipeline latency is added once per operation, after the folds.
//   * Calibration (chip.calibration.spuFoldOverlapPercent, default 0): that share of each fold's fill and drain
//     (FoldCycles with T = 0) after the first is hidden by preloading the next fold's operands during the stream;
//     the first fold of an operation issued back to back (backToBack: no stall since the SPU's previous operation,
//     every token it waited for already signalled) overlaps the previous operation's last fold the same way.

/// <summary>Systolic dataflow of the MAC array.</summary>
public enum SpuDataflow : byte
{
    /// <summary>Output stationary: outputs stay in the PEs, activations and weights stream.</summary>
    Os,

    /// <summary>Weight stationary: a weight tile is preloaded, activations stream, partial sums flow down.</summary>
    Ws,

    /// <summary>Input stationary: an activation tile is preloaded, weights stream, partial sums flow down.</summary>
    Is,
}

/// <summary>How the non-zeros of an unstructured format spread over the array columns.</summary>
public enum SparseImbalance : byte
{
    /// <summary>Every column holds the same number of non-zeros (factor 1).</summary>
    Balanced,

    /// <summary>Each column's count is Binomial(K, 1/step); a fold lasts as long as the expected maximum.</summary>
    Binomial,
}

/// <summary>A GEMM C[M×N] = A[M×K] · B[K×N].</summary>
public readonly record struct GemmShape(long M, long N, long K)
{
    /// <summary>The im2col GEMM of a convolution: M = batch·P·Q, N = filters, K = R·S·C.</summary>
    public static GemmShape Conv(long batch, long h, long w, long c, long filters, long r, long s, long stride, long pad)
    {
        long p = ConvOut(h, r, stride, pad);
        long q = ConvOut(w, s, stride, pad);
        return new GemmShape(batch * p * q, filters, r * s * c);
    }

    /// <summary>Output height/width of a convolution: (in + 2·pad − filter) / stride + 1 (0 when the filter does not fit).</summary>
    public static long ConvOut(long input, long filter, long stride, long pad)
    {
        long span = input + (2 * pad) - filter;
        return span < 0 ? 0 : (span / stride) + 1;
    }
}

/// <summary>Cost parameters of one sparse weight format.</summary>
/// <param name="DecodeCyclesPerFold">Index-decode cycles added to every fold.</param>
/// <param name="IndexBits">Metadata bits per stored non-zero (per non-zero block for block-CSR).</param>
/// <param name="PointerBits">Bits per row pointer (CSR: per filter + 1; block-CSR: per block row + 1); 0 = none.</param>
/// <param name="BitmapBlock">Weights covered by one first-level bitmap bit along K (hierarchical bitmap); 0 = no bitmap.</param>
/// <param name="BlockN">Block extent along the filters (block-CSR), 1 otherwise.</param>
/// <param name="BlockK">Block extent along the reduction (block-CSR), 1 otherwise.</param>
/// <param name="Imbalance">Load-imbalance model.</param>
public readonly record struct SparseFormatParams(
    int DecodeCyclesPerFold,
    int IndexBits,
    int PointerBits,
    int BitmapBlock,
    int BlockN,
    int BlockK,
    SparseImbalance Imbalance);

/// <summary>Everything the SPU timing needs, resolved from the configuration.</summary>
public readonly record struct SpuModelParams
{
    public required int Rows { get; init; }

    public required int Cols { get; init; }

    public required SpuDataflow Dataflow { get; init; }

    public required int PipelineLatency { get; init; }

    public required int Bf16RateDivisor { get; init; }

    /// <summary>Highest native sparsity step (a power of two).</summary>
    public required int MaxWeightSparsity { get; init; }

    public required SparseFormatParams NofM { get; init; }

    public required SparseFormatParams Bitmap { get; init; }

    public required SparseFormatParams Csr { get; init; }

    public required SparseFormatParams BlockCsr { get; init; }

    /// <summary>Fraction of zero activations, in percent (0 = activation skipping off).</summary>
    public int ActivationZeroPercent { get; init; }

    /// <summary>Share of the zero activations the array actually skips, in percent.</summary>
    public int ActivationSkipEfficiencyPercent { get; init; }

    /// <summary>
    /// Calibration (chip.calibration.spuFoldOverlapPercent): share, in percent, of every fold's fill and drain after
    /// the first that is hidden behind the previous fold's stream, and of the first fold's when the operation is issued
    /// back to back after the SPU's previous one (no stall in between). 0 = SCALE-Sim's count.
    /// </summary>
    public int FoldOverlapPercent { get; init; }

    /// <summary>The parameters of a format (dense has no metadata and no decode cost).</summary>
    public SparseFormatParams Format(SparseFormat format) => format switch
    {
        SparseFormat.NofM => NofM,
        SparseFormat.Bitmap => Bitmap,
        SparseFormat.Csr => Csr,
        SparseFormat.BlockCsr => BlockCsr,
        _ => new SparseFormatParams(0, 0, 0, 0, 1, 1, SparseImbalance.Balanced),
    };

    /// <summary>Defaults equal to the shipped configuration (configs/antoum.json), for tests and tools.</summary>
    public static SpuModelParams Default(int rows = 16, int cols = 32, SpuDataflow dataflow = SpuDataflow.Ws) => new()
    {
        Rows = rows,
        Cols = cols,
        Dataflow = dataflow,
        PipelineLatency = 8,
        Bf16RateDivisor = 2,
        MaxWeightSparsity = 32,
        NofM = new SparseFormatParams(1, 5, 0, 0, 1, 1, SparseImbalance.Balanced),
        Bitmap = new SparseFormatParams(2, 8, 0, 32, 1, 1, SparseImbalance.Binomial),
        Csr = new SparseFormatParams(4, 16, 32, 0, 1, 1, SparseImbalance.Binomial),
        BlockCsr = new SparseFormatParams(2, 16, 32, 0, 1, 4, SparseImbalance.Binomial),
    };
}

/// <summary>The cost of one GEMM on one SPU.</summary>
public readonly record struct SpuCost
{
    /// <summary>Total cycles: compute cycles plus the pipeline latency (BF16: times the rate divisor).</summary>
    public long Cycles { get; init; }

    /// <summary>Fold cycles plus index decode (BF16: times the rate divisor); no pipeline latency.</summary>
    public long ComputeCycles { get; init; }

    /// <summary>Index-decode cycles included in <see cref="ComputeCycles"/> (INT8 cycles).</summary>
    public long DecodeCycles { get; init; }

    /// <summary>Sparsity step the hardware ran at (1 for dense).</summary>
    public int NativeRatio { get; init; }

    /// <summary>Reduction length after weight sparsity, load imbalance and activation skipping.</summary>
    public long EffectiveK { get; init; }

    public long Sr { get; init; }

    public long Sc { get; init; }

    public long T { get; init; }

    public long RowFolds { get; init; }

    public long ColFolds { get; init; }

    public long Folds => RowFolds * ColFolds;

    /// <summary>Non-zero-weight MACs performed: M·N·ceil(K/ratio), less skipped zero activations.</summary>
    public long UsefulMacs { get; init; }

    /// <summary>MAC slots spent: R·C·compute cycles.</summary>
    public long IssuedMacs { get; init; }

    /// <summary>M·N·K: the dense work the GEMM stands for.</summary>
    public long DenseEquivalentMacs { get; init; }

    /// <summary>Bytes of stored weight values (non-zeros, or non-zero blocks).</summary>
    public long WeightBytes { get; init; }

    /// <summary>Bytes of sparse-format metadata (indices, pointers, bitmaps).</summary>
    public long MetadataBytes { get; init; }

    /// <summary>SCALE-Sim mapping efficiency: mean over folds of used PEs / (R·C) = Sr·Sc / (folds·R·C).</summary>
    public double MappingEfficiency { get; init; }

    /// <summary>Useful MACs / issued MAC slots.</summary>
    public double Utilization { get; init; }

    /// <summary>Activation elements read from SRAM (SCALE-Sim counting: re-read per fold that needs them).</summary>
    public long IfmapReads { get; init; }

    /// <summary>Weight elements read from SRAM (after sparsity; metadata is counted separately).</summary>
    public long FilterReads { get; init; }

    /// <summary>Output (or partial-sum) elements written to SRAM.</summary>
    public long OfmapWrites { get; init; }

    /// <summary>How many times the weights (and their metadata) are read: rows folds (os), 1 (ws), column folds (is).</summary>
    public long FilterPasses { get; init; }
}

/// <summary>The SPU timing functions (see the header comment of this file and docs/spu.md).</summary>
public static class SpuTiming
{
    /// <summary>Native sparsity step for a requested ratio: the largest power of two ≤ ratio, capped at the maximum.</summary>
    public static int NativeRatio(int ratio, int maxWeightSparsity)
    {
        int r = Math.Clamp(ratio, 1, Math.Max(1, maxWeightSparsity));
        int step = 1;
        while (step * 2 <= r)
        {
            step *= 2;
        }

        return step;
    }

    /// <summary>
    /// Cycles of one fold, as SCALE-Sim v2 counts them: ws and is 2R + C + T − 2 (load the stationary tile, stream,
    /// drain the partial sums); os R + C + T − 2 (skewed operands meet in every PE; the results drain while the next
    /// fold streams in, so the drain is not counted).
    /// </summary>
    public static long FoldCycles(SpuDataflow dataflow, int rows, int cols, long t) =>
        (dataflow == SpuDataflow.Os ? rows : 2L * rows) + cols + t - 2;

    /// <summary>
    /// Reduction length one array column processes for a format at a native step, before activation skipping:
    /// dense K; balanced ceil(K/step); binomial formats the expected maximum over the lockstep columns.
    /// </summary>
    public static long SparseReductionLength(in SpuModelParams p, SparseFormat format, long k, int step)
    {
        if (format == SparseFormat.Dense || step <= 1)
        {
            return k;
        }

        SparseFormatParams f = p.Format(format);
        int blockK = Math.Max(1, f.BlockK);
        long positions = CeilDiv(k, blockK);
        long lanes = Math.Max(1, CeilDiv(p.Cols, Math.Max(1, f.BlockN)));
        long blocks;
        if (f.Imbalance == SparseImbalance.Balanced || lanes == 1)
        {
            blocks = CeilDiv(positions, step);
        }
        else
        {
            double prob = 1.0 / step;
            double mean = positions * prob;
            double sd = Math.Sqrt(positions * prob * (1.0 - prob));
            blocks = Math.Min(positions, (long)Math.Ceiling(mean + (sd * Math.Sqrt(2.0 * Math.Log(lanes)))));
        }

        return Math.Min(k, blocks * blockK);
    }

    /// <summary>
    /// Cost of C = A·B on one SPU; <paramref name="ratio"/> is the requested weight sparsity (1 = dense).
    /// <paramref name="backToBack"/>: the operation follows the SPU's previous operation without a stall (see
    /// <see cref="SpuModelParams.FoldOverlapPercent"/>), so its first fold's fill is hidden in the same share as every
    /// later fold's; false (a lone operation) is the single-instruction rule.
    /// </summary>
    public static SpuCost Gemm(in SpuModelParams p, GemmShape shape, Precision precision, SparseFormat format, int ratio, bool backToBack = false)
    {
        long m = shape.M, n = shape.N, k = shape.K;
        int step = format == SparseFormat.Dense ? 1 : NativeRatio(ratio, p.MaxWeightSparsity);
        long kSparse = SparseReductionLength(p, format, k, step);
        long skipBasis = (long)p.ActivationZeroPercent * p.ActivationSkipEfficiencyPercent; // out of 10 000
        long kEff = Math.Max(1, CeilDiv(kSparse * (10_000 - skipBasis), 10_000));

        (long sr, long sc, long t) = p.Dataflow switch
        {
            SpuDataflow.Os => (m, n, kEff),
            SpuDataflow.Ws => (kEff, n, m),
            _ => (kEff, m, n),
        };
        long rowFolds = CeilDiv(sr, p.Rows);
        long colFolds = CeilDiv(sc, p.Cols);
        long folds = rowFolds * colFolds;
        SparseFormatParams f = p.Format(format);
        long decode = folds * f.DecodeCyclesPerFold;
        long divisor = precision == Precision.Bf16 ? p.Bf16RateDivisor : 1;
        long fill = FoldCycles(p.Dataflow, p.Rows, p.Cols, 0);
        long overlapped = folds == 0 ? 0 : folds - 1 + (backToBack ? 1 : 0);
        long hidden = overlapped * fill * p.FoldOverlapPercent / 100;
        long compute = ((folds * FoldCycles(p.Dataflow, p.Rows, p.Cols, t)) - hidden + decode) * divisor;
        long cycles = compute + (p.PipelineLatency * divisor);

        long kNonZero = CeilDiv(k, Math.Max(1, ratio));
        long useful = (long)((Int128)m * n * kNonZero * (10_000 - skipBasis) / 10_000); // Int128: the product exceeds 64 bits near 10^15 MACs
        long issued = (long)p.Rows * p.Cols * compute;
        int elemBytes = precision == Precision.Bf16 ? 2 : 1;
        (long weightBytes, long metadataBytes) = Storage(f, format, n, k, step, elemBytes);
        long filterPasses = p.Dataflow switch { SpuDataflow.Os => rowFolds, SpuDataflow.Ws => 1, _ => colFolds };
        (long ifmapReads, long filterReads, long ofmapWrites) = p.Dataflow switch
        {
            SpuDataflow.Os => (colFolds * m * kEff, rowFolds * kEff * n, m * n),
            SpuDataflow.Ws => (colFolds * m * kEff, kEff * n, rowFolds * m * n),
            _ => (m * kEff, colFolds * kEff * n, rowFolds * m * n),
        };

        return new SpuCost
        {
            Cycles = cycles,
            ComputeCycles = compute,
            DecodeCycles = decode,
            NativeRatio = step,
            EffectiveK = kEff,
            Sr = sr,
            Sc = sc,
            T = t,
            RowFolds = rowFolds,
            ColFolds = colFolds,
            UsefulMacs = useful,
            IssuedMacs = issued,
            DenseEquivalentMacs = m * n * k,
            WeightBytes = weightBytes,
            MetadataBytes = metadataBytes,
            MappingEfficiency = folds == 0 ? 0.0 : (double)sr * sc / ((double)folds * p.Rows * p.Cols),
            Utilization = issued == 0 ? 0.0 : (double)useful / issued,
            IfmapReads = ifmapReads,
            FilterReads = filterReads,
            OfmapWrites = ofmapWrites,
            FilterPasses = filterPasses,
        };
    }

    /// <summary>Stored bytes of a K×N weight matrix in a format at a native step: (values, metadata).</summary>
    public static (long ValueBytes, long MetadataBytes) Storage(in SparseFormatParams f, SparseFormat format, long n, long k, int step, int elemBytes)
    {
        if (format == SparseFormat.Dense)
        {
            return (k * n * elemBytes, 0);
        }

        long bits;
        long values;
        if (format == SparseFormat.BlockCsr)
        {
            int bn = Math.Max(1, f.BlockN), bk = Math.Max(1, f.BlockK);
            long blockRows = CeilDiv(n, bn);
            long blocks = blockRows * CeilDiv(CeilDiv(k, bk), step);
            values = blocks * bn * bk;
            bits = (blocks * f.IndexBits) + (f.PointerBits == 0 ? 0 : (blockRows + 1) * f.PointerBits);
        }
        else
        {
            long nnz = n * CeilDiv(k, step);
            values = nnz;
            bits = nnz * f.IndexBits;
            if (f.PointerBits > 0)
            {
                bits += (n + 1) * f.PointerBits;
            }

            if (f.BitmapBlock > 0)
            {
                bits += n * CeilDiv(k, f.BitmapBlock);
            }
        }

        return (values * elemBytes, CeilDiv(bits, 8));
    }

    public static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
