namespace Antoum.Tests.Spu;

/// <summary>
/// The SPU timing rule of docs/spu.md, restated independently of the product code so tests can compute expected
/// cycle counts: format 0 dense, 1 nofm, 2 bitmap, 3 csr, 4 blockcsr; costs are the shipped configuration's.
/// </summary>
internal static class SpuRule
{
    // (decode cycles per fold, block extent along K, block extent along N, binomial imbalance) of formats 0..4,
    // as configs/antoum.json sets them.
    private static readonly (int Decode, int BlockK, int BlockN, bool Binomial)[] s_formats =
    [
        (0, 1, 1, false), (1, 1, 1, false), (2, 1, 1, true), (4, 1, 1, true), (2, 4, 1, true),
    ];

    public static long Ceil(long a, long b) => (a + b - 1) / b;

    /// <summary>Largest power of two not above the ratio, at most 32.</summary>
    public static int Step(int ratio)
    {
        int s = 1;
        while (s < 32 && s * 2 <= ratio)
        {
            s *= 2;
        }

        return s;
    }

    /// <summary>Reduction length one column runs after weight sparsity (before activation skipping).</summary>
    public static long ReducedK(long k, int format, int ratio, int cols)
    {
        int step = Step(ratio);
        if (format == 0 || step == 1)
        {
            return k;
        }

        (int _, int bk, int bn, bool binomial) = s_formats[format];
        long positions = Ceil(k, bk);
        long lanes = Ceil(cols, bn);
        long blocks = positions / step + (positions % step == 0 ? 0 : 1);
        if (binomial && lanes > 1)
        {
            double q = 1.0 / step;
            double expectedMax = (positions * q) + (Math.Sqrt(positions * q * (1 - q)) * Math.Sqrt(2 * Math.Log(lanes)));
            blocks = Math.Min(positions, (long)Math.Ceiling(expectedMax));
        }

        return Math.Min(k, blocks * bk);
    }

    /// <summary>Total cycles of a matmul on one SPU with the shipped defaults (pipeline latency 8).</summary>
    public static long Cycles(string dataflow, int rows, int cols, long m, long n, long k, int format, int ratio, bool bf16, int pipeline = 8, int bf16Divisor = 2)
    {
        long kr = ReducedK(k, format, ratio, cols);
        (long sr, long sc, long t) = dataflow switch
        {
            "os" => (m, n, kr),
            "ws" => (kr, n, m),
            _ => (kr, m, n),
        };
        long folds = Ceil(sr, rows) * Ceil(sc, cols);
        long fill = dataflow == "os" ? rows : 2L * rows; // SCALE-Sim v2: the os drain overlaps the next fold
        long c = (folds * (fill + cols + t - 2 + s_formats[format].Decode)) + pipeline;
        return bf16 ? c * bf16Divisor : c;
    }
}
