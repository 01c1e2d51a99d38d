using System.Globalization;
using System.Text;

namespace Antoum.Isa;

/// <summary>
/// FLAGS operand of <c>matmul</c> and <c>conv</c>. Text: space-separated "fmt=NAME[:RATIO] [acc] [bias] [rq=SCALE:SHIFT] [obf16]".
/// Packed (bits of the slot): format 0-2, sparsity ratio 3-8 (1..32), acc 9, bias 10, rq 11, rq scale 12-27 (0..65535),
/// rq shift 28-33 (0..31), obf16 34 (BF16 result rounded from the FP32 accumulators). Precision shares the slot at bits 48-55.
/// </summary>
public readonly record struct SpuFlags(SparseFormat Format, int Ratio, bool Accumulate, bool Bias, bool Requantize, int RqScale, int RqShift)
{
    public const long Mask = (1L << 35) - 1;
    public const int MaxRatio = 32;
    public const int MaxRqScale = 65535;
    public const int MaxRqShift = 31;

    private static readonly string[] s_formats = ["dense", "nofm", "bitmap", "csr", "blockcsr"];

    public static SpuFlags Dense => new(SparseFormat.Dense, 1, false, false, false, 0, 0);

    /// <summary>
    /// BF16 only: the result is rounded to BF16 (nearest even) from the FP32 accumulators and written as BF16 (2 bytes
    /// per element) over the first M×N×2 bytes of C, like <c>rq</c> does for INT8.
    /// </summary>
    public bool OutBf16 { get; init; }

    public long Pack()
    {
        return ((long)Format & 7)
            | ((long)(Ratio & 0x3F) << 3)
            | (Accumulate ? 1L << 9 : 0)
            | (Bias ? 1L << 10 : 0)
            | (Requantize ? 1L << 11 : 0)
            | ((long)(RqScale & 0xFFFF) << 12)
            | ((long)(RqShift & 0x3F) << 28)
            | (OutBf16 ? 1L << 34 : 0);
    }

    public static SpuFlags Unpack(long packed)
    {
        return new SpuFlags(
            (SparseFormat)(packed & 7),
            (int)((packed >> 3) & 0x3F),
            (packed & (1L << 9)) != 0,
            (packed & (1L << 10)) != 0,
            (packed & (1L << 11)) != 0,
            (int)((packed >> 12) & 0xFFFF),
            (int)((packed >> 28) & 0x3F))
        {
            OutBf16 = (packed & (1L << 34)) != 0,
        };
    }

    /// <summary>Null when the packed value is valid, else what is wrong.</summary>
    public static string? Check(long packed)
    {
        if ((packed & ~Mask) != 0)
        {
            return "flags have reserved bits set";
        }

        SpuFlags f = Unpack(packed);
        if ((byte)f.Format > (byte)SparseFormat.BlockCsr)
        {
            return "sparse format not defined";
        }

        if (f.Ratio < 1 || f.Ratio > MaxRatio)
        {
            return $"sparsity ratio must be 1..{MaxRatio}";
        }

        if (f.Format == SparseFormat.Dense && f.Ratio != 1)
        {
            return "dense weights have sparsity ratio 1";
        }

        if (!f.Requantize && (f.RqScale != 0 || f.RqShift != 0))
        {
            return "requantize scale/shift set without rq";
        }

        if (f.OutBf16 && f.Requantize)
        {
            return "obf16 and rq exclude each other";
        }

        if (f.RqShift > MaxRqShift)
        {
            return $"requantize shift must be 0..{MaxRqShift}";
        }

        return null;
    }

    public override string ToString()
    {
        var sb = new StringBuilder("fmt=");
        sb.Append(s_formats[(int)Format % s_formats.Length]);
        if (Format != SparseFormat.Dense)
        {
            sb.Append(CultureInfo.InvariantCulture, $":{Ratio}");
        }

        if (Accumulate)
        {
            sb.Append(" acc");
        }

        if (Bias)
        {
            sb.Append(" bias");
        }

        if (Requantize)
        {
            sb.Append(CultureInfo.InvariantCulture, $" rq={RqScale}:{RqShift}");
        }

        if (OutBf16)
        {
            sb.Append(" obf16");
        }

        return sb.ToString();
    }

    /// <summary>Parses the text form. Returns null on success, else (error, offending word).</summary>
    public static (string Expected, string Got)? TryParse(string text, out SpuFlags flags)
    {
        flags = Dense;
        bool sawFormat = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string raw in text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string word = raw.ToLowerInvariant();
            string key = word.Split('=')[0];
            if (!seen.Add(key))
            {
                return ("expected each flag once", raw);
            }

            if (key == "fmt")
            {
                if (!word.StartsWith("fmt=", StringComparison.Ordinal))
                {
                    return ("expected fmt=dense|nofm|bitmap|csr|blockcsr[:RATIO]", raw);
                }

                string[] parts = word[4..].Split(':');
                int format = Array.IndexOf(s_formats, parts[0]);
                if (format < 0 || parts.Length > 2)
                {
                    return ("expected fmt=dense|nofm|bitmap|csr|blockcsr[:RATIO]", raw);
                }

                int ratio = 1;
                if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out ratio) || ratio < 1 || ratio > MaxRatio))
                {
                    return ($"expected a sparsity ratio in 1..{MaxRatio}", raw);
                }

                if (format == 0 && ratio != 1)
                {
                    return ("expected no ratio (or :1) for fmt=dense", raw);
                }

                flags = flags with { Format = (SparseFormat)format, Ratio = ratio };
                sawFormat = true;
            }
            else if (word == "acc")
            {
                flags = flags with { Accumulate = true };
            }
            else if (word == "bias")
            {
                flags = flags with { Bias = true };
            }
            else if (word == "obf16")
            {
                flags = flags with { OutBf16 = true };
            }
            else if (key == "rq" && word.Length > 3)
            {
                string[] parts = word[3..].Split(':');
                if (parts.Length != 2
                    || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int scale) || scale > MaxRqScale
                    || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int shift) || shift > MaxRqShift)
                {
                    return ($"expected rq=SCALE:SHIFT with SCALE in 0..{MaxRqScale} and SHIFT in 0..{MaxRqShift}", raw);
                }

                flags = flags with { Requantize = true, RqScale = scale, RqShift = shift };
            }
            else
            {
                return ("expected a flag (fmt=FORMAT[:RATIO], acc, bias, rq=SCALE:SHIFT, obf16)", raw);
            }
        }

        if (!sawFormat)
        {
            return ("expected flags starting with fmt=FORMAT[:RATIO]", text.Trim());
        }

        return null;
    }
}
