namespace Antoum.Firmware.Compiler;

/// <summary>
/// Where each weight staging of a micro-batch goes in the weight ring (<see cref="WeightRing.Plan"/>): its bytes and
/// offset, the free tokens the prefetch queue waits for before copying it, and the frees the queue signals itself at
/// segment start.
/// </summary>
public sealed record RingPlan(long[] Bytes, long[] Offsets, int[] Waits, int Presignal);

/// <summary>The weight-stage ring of a micro-batched segment (<see cref="CompileOptions.WeightLookahead"/>, docs/compiler.md).</summary>
public static class WeightRing
{
    /// <summary>
    /// Every micro-batch places its L stagings (<paramref name="bytes"/>, in emission order) from offset 0 on, one
    /// after another (4 KiB aligned), wrapping to 0 when one does not fit the end of <paramref name="ring"/> bytes, so
    /// every micro-batch has the same layout and waits (a loop body of two micro-batches stays exact). Staging j may be
    /// copied once the latest earlier staging whose bytes it overlaps (counting back into the previous micro-batch,
    /// d_j stagings before it) has been released. Frees are signalled in staging order (channel 0, at the end of each
    /// staged phase), so the queue waits for frees up to that one: in the steady state the waits before staging j are
    /// R_j − R_(j−1), R_j = max(max over j' ≤ j of (j' − d_j' + 1), c − L), c = max over all j of (j − d_j + 1),
    /// R_(−1) = c − L; they sum to L per micro-batch. The queue pre-signals P = L − c frees at segment start, so the
    /// first micro-batch waits exactly as later ones, and P frees are left when the segment ends.
    /// </summary>
    public static RingPlan Plan(long[] bytes, long ring)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        int n = bytes.Length;
        if (n == 0)
        {
            throw new ArgumentException("a weight ring needs at least one staging", nameof(bytes));
        }

        long[] off = new long[n];
        long at = 0;
        for (int j = 0; j < n; j++)
        {
            if (bytes[j] > ring)
            {
                throw new ArgumentException($"staging {j} ({bytes[j]} B) is larger than the ring ({ring} B)", nameof(bytes));
            }

            if (at + bytes[j] > ring)
            {
                at = 0;
            }

            off[j] = at;
            at = (at + bytes[j] + 4095) / 4096 * 4096;
        }

        bool Overlap(int a, int b) => off[a] < off[b] + bytes[b] && off[b] < off[a] + bytes[a];
        int[] d = new int[n];
        for (int j = 0; j < n; j++)
        {
            d[j] = n; // the same staging of the previous micro-batch always overlaps
            for (int back = 1; back < n; back++)
            {
                if (Overlap(j, (((j - back) % n) + n) % n))
                {
                    d[j] = back;
                    break;
                }
            }
        }

        int c = int.MinValue;
        for (int j = 0; j < n; j++)
        {
            c = Math.Max(c, j - d[j] + 1);
        }

        int[] waits = new int[n];
        int prev = c - n, run = int.MinValue;
        for (int j = 0; j < n; j++)
        {
            run = Math.Max(run, j - d[j] + 1);
            int r = Math.Max(run, c - n);
            waits[j] = r - prev;
            prev = r;
        }

        return new RingPlan(bytes, off, waits, n - c);
    }
}
