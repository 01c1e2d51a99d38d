namespace Antoum.Isa;

/// <summary>
/// The operands of a <c>conv</c> instruction and the shapes they imply (docs/isa.md). H and W are the whole input
/// image; ROWS (0: all P output rows) and ROW0 select a strip of output rows, and IN then holds only the input rows
/// the strip reads (its window, clamped to the image), per sample one after another. PAD zero-pads every side of the
/// image; a strip's window has no padding rows stored (rows outside the image read as zero).
/// </summary>
public readonly record struct ConvGeometry(long N, long H, long W, long C, long K, long R, long S, long Stride, long Pad, long Rows, long Row0)
{
    /// <summary>Decodes the packed operands of a conv instruction (A: n h w c; B: k r s stride pad; F: rows row0).</summary>
    public static ConvGeometry Decode(in Instruction i) => new(
        i.A & 0xFFFF, (i.A >> 16) & 0xFFFF, (i.A >> 32) & 0xFFFF, (i.A >> 48) & 0xFFFF,
        i.B & 0xFFFF, (i.B >> 16) & 0xFF, (i.B >> 24) & 0xFF, (i.B >> 32) & 0xFF, (i.B >> 40) & 0xFF,
        i.F & 0xFFFF, (i.F >> 16) & 0xFFFF);

    /// <summary>Packs the A word (n, h, w, c).</summary>
    public long PackA() => (N & 0xFFFF) | ((H & 0xFFFF) << 16) | ((W & 0xFFFF) << 32) | ((C & 0xFFFF) << 48);

    /// <summary>Packs the B word (k, r, s, stride, pad).</summary>
    public long PackB() => (K & 0xFFFF) | ((R & 0xFF) << 16) | ((S & 0xFF) << 24) | ((Stride & 0xFF) << 32) | ((Pad & 0xFF) << 40);

    /// <summary>Packs the F word (rows, row0).</summary>
    public long PackF() => (Rows & 0xFFFF) | ((Row0 & 0xFFFF) << 16);

    /// <summary>Output height of the whole image: (H + 2·pad − R) / stride + 1 (0 when the filter does not fit).</summary>
    public long P => Out(H, R, Stride, Pad);

    /// <summary>Output width: (W + 2·pad − S) / stride + 1.</summary>
    public long Q => Out(W, S, Stride, Pad);

    /// <summary>Whether ROWS selects a strip (else the whole image of every sample).</summary>
    public bool IsStrip => Rows != 0;

    /// <summary>Output rows computed per sample.</summary>
    public long OutRows => IsStrip ? Rows : P;

    /// <summary>First input row of IN per sample (strip: the window's first row inside the image).</summary>
    public long InRow0 => IsStrip ? Math.Max(0, (Row0 * Stride) - Pad) : 0;

    /// <summary>Input rows held in IN per sample (strip: the window clamped to the image; whole: H).</summary>
    public long InRows => IsStrip ? Math.Max(0, Math.Min(H, ((Row0 + Rows - 1) * Stride) - Pad + R) - InRow0) : H;

    /// <summary>The implicit GEMM: M = N·rows·Q, N = K, K = R·S·C.</summary>
    public (long M, long N, long K) Gemm => (N * OutRows * Q, K, R * S * C);

    /// <summary>Elements of IN.</summary>
    public long InElements => N * InRows * W * C;

    /// <summary>Null when the strip is inside the image, else what is wrong.</summary>
    public string? Check()
    {
        if (!IsStrip)
        {
            return Row0 != 0 ? "row0 needs rows (a strip); rows 0 is the whole image" : null;
        }

        return Row0 + Rows > P ? $"rows {Row0}..{Row0 + Rows - 1} outside the {P} output rows" : null;
    }

    private static long Out(long input, long filter, long stride, long pad)
    {
        long span = input + (2 * pad) - filter;
        return span < 0 || stride < 1 ? 0 : (span / stride) + 1;
    }
}
