namespace Antoum.Tests.Spu;

/// <summary>
/// A cycle-stepped R×C systolic array: every cycle each PE latches the operands its left and top neighbours held
/// in the previous cycle, multiplies and accumulates. It computes the product (checked against a plain loop) and
/// counts cycles from the first operand entering the array to the last result leaving it. Folds run back to back
/// on the whole array; partial folds feed zeros into the unused rows and columns, as SCALE-Sim pads them.
/// <list type="bullet">
/// <item>os: A rows enter from the left (row i skewed by i cycles), B columns from the top (column j skewed by j);
/// outputs stay in the PEs; when the bottom PE of a column has done its T MACs the column shifts its R results
/// out of the bottom, one per cycle. As in SCALE-Sim v2's os model, a fold is counted until its last MAC: the
/// drain of a fold overlaps the next fold (the results are still shifted out here, to check the product).</item>
/// <item>ws / is: the stationary tile is shifted in from the top, one row per cycle (R cycles, last row first);
/// then streamed vector t enters row i at cycle R + t + i and moves right one PE per cycle, and partial sums
/// move down one PE per cycle and leave the bottom row.</item>
/// </list>
/// </summary>
internal static class ReferenceSystolicArray
{
    /// <summary>C = A·B on the array; returns the product and the total cycles over all folds.</summary>
    public static (long[,] C, long Cycles) Run(string dataflow, int rows, int cols, long[,] a, long[,] b)
    {
        int m = a.GetLength(0), k = a.GetLength(1), n = b.GetLength(1);
        var c = new long[m, n];
        long cycles = 0;
        if (dataflow == "os")
        {
            for (int r0 = 0; r0 < m; r0 += rows)
            {
                for (int c0 = 0; c0 < n; c0 += cols)
                {
                    cycles += OsFold(rows, cols, k, (i, t) => r0 + i < m ? a[r0 + i, t] : 0, (t, j) => c0 + j < n ? b[t, c0 + j] : 0,
                        (i, j, v) =>
                        {
                            if (r0 + i < m && c0 + j < n)
                            {
                                c[r0 + i, c0 + j] = v;
                            }
                        });
                }
            }
        }
        else if (dataflow == "ws")
        {
            // Stationary W (K x N) tiles; streamed A rows (T = M); partial sums over K folds add up.
            for (int r0 = 0; r0 < k; r0 += rows)
            {
                for (int c0 = 0; c0 < n; c0 += cols)
                {
                    cycles += StationaryFold(rows, cols, m, (i, j) => r0 + i < k && c0 + j < n ? b[r0 + i, c0 + j] : 0, (t, i) => r0 + i < k ? a[t, r0 + i] : 0,
                        (t, j, v) =>
                        {
                            if (c0 + j < n)
                            {
                                c[t, c0 + j] += v;
                            }
                        });
                }
            }
        }
        else
        {
            // Stationary A^T (K x M) tiles; streamed W columns (T = N); output column j is row m of C.
            for (int r0 = 0; r0 < k; r0 += rows)
            {
                for (int c0 = 0; c0 < m; c0 += cols)
                {
                    cycles += StationaryFold(rows, cols, n, (i, j) => r0 + i < k && c0 + j < m ? a[c0 + j, r0 + i] : 0, (t, i) => r0 + i < k ? b[r0 + i, t] : 0,
                        (t, j, v) =>
                        {
                            if (c0 + j < m)
                            {
                                c[c0 + j, t] += v;
                            }
                        });
                }
            }
        }

        return (c, cycles);
    }

    private static long OsFold(int rows, int cols, int t, Func<int, int, long> left, Func<int, int, long> top, Action<int, int, long> output)
    {
        var aReg = new long[rows, cols];
        var aValid = new bool[rows, cols];
        var bReg = new long[rows, cols];
        var bValid = new bool[rows, cols];
        var acc = new long[rows, cols];
        var done = new int[rows, cols];
        var drained = new int[cols];   // results shifted out of each column
        var draining = new bool[cols];
        int finishedColumns = 0;
        long cycle = 0;
        long lastMac = -1;
        for (; finishedColumns < cols; cycle++)
        {
            var na = new long[rows, cols];
            var nav = new bool[rows, cols];
            var nb = new long[rows, cols];
            var nbv = new bool[rows, cols];
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    if (j == 0)
                    {
                        long s = cycle - i;
                        nav[i, j] = s >= 0 && s < t;
                        na[i, j] = nav[i, j] ? left(i, (int)s) : 0;
                    }
                    else
                    {
                        nav[i, j] = aValid[i, j - 1];
                        na[i, j] = aReg[i, j - 1];
                    }

                    if (i == 0)
                    {
                        long s = cycle - j;
                        nbv[i, j] = s >= 0 && s < t;
                        nb[i, j] = nbv[i, j] ? top((int)s, j) : 0;
                    }
                    else
                    {
                        nbv[i, j] = bValid[i - 1, j];
                        nb[i, j] = bReg[i - 1, j];
                    }
                }
            }

            // Drain columns whose MACs were all done by the end of the previous cycle.
            for (int j = 0; j < cols; j++)
            {
                if (draining[j] && drained[j] < rows)
                {
                    output(rows - 1 - drained[j], j, acc[rows - 1, j]);
                    for (int i = rows - 1; i > 0; i--)
                    {
                        acc[i, j] = acc[i - 1, j];
                    }

                    drained[j]++;
                    if (drained[j] == rows)
                    {
                        finishedColumns++;
                    }
                }
            }

            aReg = na;
            aValid = nav;
            bReg = nb;
            bValid = nbv;
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    if (aValid[i, j] != bValid[i, j])
                    {
                        throw new InvalidOperationException("os operands out of step");
                    }

                    if (aValid[i, j])
                    {
                        acc[i, j] += aReg[i, j] * bReg[i, j];
                        done[i, j]++;
                        lastMac = cycle;
                    }
                }
            }

            for (int j = 0; j < cols; j++)
            {
                bool all = true;
                for (int i = 0; i < rows; i++)
                {
                    all &= done[i, j] == t;
                }

                draining[j] |= all;
            }
        }

        return lastMac + 1;
    }

    private static long StationaryFold(int rows, int cols, int t, Func<int, int, long> stationary, Func<int, int, long> stream, Action<int, int, long> output)
    {
        // Load: R cycles, rows shifted down from the top, last row first.
        var w = new long[rows, cols];
        long cycle = 0;
        for (; cycle < rows; cycle++)
        {
            for (int i = rows - 1; i > 0; i--)
            {
                for (int j = 0; j < cols; j++)
                {
                    w[i, j] = w[i - 1, j];
                }
            }

            for (int j = 0; j < cols; j++)
            {
                w[0, j] = stationary(rows - 1 - (int)cycle, j);
            }
        }

        var xReg = new long[rows, cols];
        var tag = new int[rows, cols];   // streamed vector index held by a PE, -1 = none
        var psum = new long[rows, cols];
        var ptag = new int[rows, cols];
        Fill(tag);
        Fill(ptag);
        int collected = 0;
        for (; collected < t * cols; cycle++)
        {
            var nx = new long[rows, cols];
            var nt = new int[rows, cols];
            var np = new long[rows, cols];
            var npt = new int[rows, cols];
            Fill(nt);
            Fill(npt);
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    if (j == 0)
                    {
                        long s = cycle - rows - i;
                        if (s >= 0 && s < t)
                        {
                            nt[i, j] = (int)s;
                            nx[i, j] = stream((int)s, i);
                        }
                    }
                    else
                    {
                        nt[i, j] = tag[i, j - 1];
                        nx[i, j] = xReg[i, j - 1];
                    }

                    if (nt[i, j] >= 0)
                    {
                        long above = 0;
                        if (i > 0)
                        {
                            if (ptag[i - 1, j] != nt[i, j])
                            {
                                throw new InvalidOperationException("partial sum and input out of step");
                            }

                            above = psum[i - 1, j];
                        }

                        np[i, j] = above + (nx[i, j] * w[i, j]);
                        npt[i, j] = nt[i, j];
                    }
                }
            }

            xReg = nx;
            tag = nt;
            psum = np;
            ptag = npt;
            for (int j = 0; j < cols; j++)
            {
                if (ptag[rows - 1, j] >= 0)
                {
                    output(ptag[rows - 1, j], j, psum[rows - 1, j]);
                    collected++;
                }
            }
        }

        return cycle;
    }

    private static void Fill(int[,] a)
    {
        for (int i = 0; i < a.GetLength(0); i++)
        {
            for (int j = 0; j < a.GetLength(1); j++)
            {
                a[i, j] = -1;
            }
        }
    }
}
