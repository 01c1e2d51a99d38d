using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Antoum.Sim.Kernel;

namespace Antoum.Sim.Bench;

/// <summary>Delay distribution of the hold model.</summary>
public enum HoldDelayDistribution
{
    /// <summary>Exponential with mean 1000 ps, rounded to whole picoseconds.</summary>
    Exponential,

    /// <summary>k × 1111 ps with k uniform in 1..8: clock-aligned, so many events share a time.</summary>
    TieHeavyClock,
}

/// <summary>Settings of <see cref="HoldModelBenchmark.Run"/>.</summary>
public sealed record HoldModelOptions
{
    /// <summary>Queue sizes P to measure.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [1_000, 10_000, 100_000];

    /// <summary>Distributions to measure.</summary>
    public IReadOnlyList<HoldDelayDistribution> Distributions { get; init; } =
        [HoldDelayDistribution.Exponential, HoldDelayDistribution.TieHeavyClock];

    /// <summary>Timed repetitions per (P, distribution, implementation); the median is reported.</summary>
    public int Repetitions { get; init; } = 5;

    /// <summary>Target wall time of one repetition; N is calibrated from it.</summary>
    public double TargetSecondsPerRepetition { get; init; } = 0.3;

    /// <summary>Fixed N (hold operations per repetition) instead of calibrating; for tests.</summary>
    public long? OperationsPerRepetition { get; init; }

    /// <summary>Minimum warm-up (hold operations per implementation) before timing; also at least 2P.</summary>
    public long WarmupOperations { get; init; } = 1_000_000;

    /// <summary>RNG seed; identical seeds give identical event sequences on every machine.</summary>
    public ulong Seed { get; init; } = 0x416E746F756D5349UL;
}

/// <summary>One measured (P, distribution) point.</summary>
public sealed record HoldModelRow(
    int QueueSize,
    HoldDelayDistribution Distribution,
    long OperationsPerRepetition,
    int Repetitions,
    double EventQueueEventsPerSec,
    double BaselineEventsPerSec,
    double EventQueueAllocatedBytesPerEvent,
    double BaselineAllocatedBytesPerEvent,
    ulong Checksum)
{
    /// <summary>EventQueue events/s divided by PriorityQueue events/s.</summary>
    public double Ratio => EventQueueEventsPerSec / BaselineEventsPerSec;
}

/// <summary>Result of <see cref="HoldModelBenchmark.Run"/>.</summary>
public sealed record HoldModelReport(IReadOnlyList<HoldModelRow> Rows)
{
    /// <summary>A readable table, one line per row.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        CultureInfo inv = CultureInfo.InvariantCulture;
        sb.AppendLine("Hold model: pop min, push (time + delay); median of repetitions; events/s = hold operations/s");
        sb.AppendLine(inv, $"{"P",8} {"distribution",-14} {"EventQueue ev/s",16} {"PriorityQueue ev/s",19} {"ratio",6} {"B/ev EQ",8} {"B/ev PQ",8} {"N/rep",10}");
        foreach (HoldModelRow r in Rows)
        {
            sb.AppendLine(inv, $"{r.QueueSize,8} {r.Distribution,-14} {r.EventQueueEventsPerSec / 1e6,14:F2} M {r.BaselineEventsPerSec / 1e6,17:F2} M {r.Ratio,6:F2} {r.EventQueueAllocatedBytesPerEvent,8:F3} {r.BaselineAllocatedBytesPerEvent,8:F3} {r.OperationsPerRepetition,10}");
        }

        return sb.ToString();
    }
}

/// <summary>
/// The classic hold-model benchmark of a pending-event set: fill the queue with P events, then repeatedly pop the
/// minimum and push one new event at (popped time + delay). Runs the identical event sequence on the kernel's
/// <see cref="EventQueue{TPayload}"/> and on .NET's <see cref="PriorityQueue{TElement, TPriority}"/> keyed by the
/// same <see cref="EventKey"/>, checks that both dequeue exactly the same (time, order) sequence and reports
/// median events/s and allocated bytes per event.
/// </summary>
/// <remarks>
/// Delays and priorities are pre-drawn from a seeded SplitMix64 generator into a 65,536-entry table that both
/// implementations cycle through, so the timed loop measures the queue rather than <see cref="Math.Log(double)"/>.
/// Repetitions of the two implementations are interleaved so that background load affects both alike.
/// </remarks>
public static class HoldModelBenchmark
{
    private const double ExponentialMeanPs = 1000.0;
    private const ulong ClockPeriodPs = 1111;
    private const int TableBits = 16;
    private const int DelayPriorityShift = 56;
    private const ulong DelayMask = (1UL << DelayPriorityShift) - 1;
    private const long WarmupChunk = 20_000;

    /// <summary>Runs the benchmark.</summary>
    /// <param name="options">What to measure.</param>
    /// <param name="progress">Receives one line per finished row, or null.</param>
    /// <exception cref="InvalidOperationException">The two implementations dequeued different sequences.</exception>
    public static HoldModelReport Run(HoldModelOptions options, TextWriter? progress)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Repetitions, 1, nameof(options.Repetitions));
        var rows = new List<HoldModelRow>();
        foreach (int p in options.Sizes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(p, 1, nameof(options.Sizes));
            foreach (HoldDelayDistribution dist in options.Distributions)
            {
                HoldModelRow row = RunOne(options, p, dist);
                rows.Add(row);
                progress?.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"P={p} {dist}: EventQueue {row.EventQueueEventsPerSec / 1e6:F2} M ev/s, PriorityQueue {row.BaselineEventsPerSec / 1e6:F2} M ev/s, ratio {row.Ratio:F2}"));
            }
        }

        return new HoldModelReport(rows);
    }

    private static HoldModelRow RunOne(HoldModelOptions options, int p, HoldDelayDistribution dist)
    {
        ulong seed = options.Seed ^ ((ulong)p * 0x9E3779B97F4A7C15UL) ^ ((ulong)dist + 1);
        ulong[] table = BuildTable(seed, dist);

        var eq = new EventQueue<HoldPayload>();
        var pq = new PriorityQueue<HoldPayload, EventKey>(p);
        var eqState = new HoldState(table);
        var pqState = new HoldState(table);
        FillEventQueue(eq, ref eqState, p);
        FillBaseline(pq, ref pqState, p);

        // Warm-up in chunks so that tiered compilation promotes the loops to optimized code.
        long warm = Math.Max(options.WarmupOperations, 2L * p);
        for (long done = 0; done < warm; done += WarmupChunk)
        {
            HoldEventQueue(eq, ref eqState, WarmupChunk);
            HoldBaseline(pq, ref pqState, WarmupChunk);
        }

        CheckSame(eqState, pqState, p, dist, "warm-up");

        long n;
        if (options.OperationsPerRepetition is long fixedN)
        {
            n = fixedN;
        }
        else
        {
            // Calibrate on the geometric mean of both rates so neither repetition is far from the target.
            long probe = Math.Max(200_000, 2L * p);
            long t0 = Stopwatch.GetTimestamp();
            HoldEventQueue(eq, ref eqState, probe);
            long t1 = Stopwatch.GetTimestamp();
            HoldBaseline(pq, ref pqState, probe);
            long t2 = Stopwatch.GetTimestamp();
            double eqRate = probe / Math.Max(1e-9, Stopwatch.GetElapsedTime(t0, t1).TotalSeconds);
            double pqRate = probe / Math.Max(1e-9, Stopwatch.GetElapsedTime(t1, t2).TotalSeconds);
            CheckSame(eqState, pqState, p, dist, "calibration");
            n = Math.Max(10_000, (long)(options.TargetSecondsPerRepetition * Math.Sqrt(eqRate * pqRate)));
        }

        var eqRates = new double[options.Repetitions];
        var pqRates = new double[options.Repetitions];
        long eqBytes = 0;
        long pqBytes = 0;
        for (int r = 0; r < options.Repetitions; r++)
        {
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            HoldEventQueue(eq, ref eqState, n);
            long t1 = Stopwatch.GetTimestamp();
            long a1 = GC.GetAllocatedBytesForCurrentThread();
            HoldBaseline(pq, ref pqState, n);
            long t2 = Stopwatch.GetTimestamp();
            long a2 = GC.GetAllocatedBytesForCurrentThread();
            eqBytes += a1 - a0;
            pqBytes += a2 - a1;
            eqRates[r] = n / Stopwatch.GetElapsedTime(t0, t1).TotalSeconds;
            pqRates[r] = n / Stopwatch.GetElapsedTime(t1, t2).TotalSeconds;
            CheckSame(eqState, pqState, p, dist, "repetition " + r.ToString(CultureInfo.InvariantCulture));
        }

        long totalEvents = n * options.Repetitions;
        return new HoldModelRow(
            p,
            dist,
            n,
            options.Repetitions,
            Median(eqRates),
            Median(pqRates),
            (double)eqBytes / totalEvents,
            (double)pqBytes / totalEvents,
            eqState.Checksum);
    }

    private static void CheckSame(in HoldState a, in HoldState b, int p, HoldDelayDistribution dist, string phase)
    {
        if (a.Checksum != b.Checksum || a.Seq != b.Seq || a.Dequeued != b.Dequeued)
        {
            string detail = string.Create(
                CultureInfo.InvariantCulture,
                $"checksum {a.Checksum:X16} vs {b.Checksum:X16} after {a.Dequeued} vs {b.Dequeued} events");
            throw new InvalidOperationException(
                $"Hold model P={p} {dist}, {phase}: EventQueue and PriorityQueue dequeued different event sequences ({detail}). The event queue is broken.");
        }
    }

    private static double Median(double[] values)
    {
        double[] copy = (double[])values.Clone();
        Array.Sort(copy);
        int m = copy.Length / 2;
        return copy.Length % 2 == 1 ? copy[m] : 0.5 * (copy[m - 1] + copy[m]);
    }

    // Each entry: delay in the low 56 bits, priority (40 or 50) in the top 8.
    private static ulong[] BuildTable(ulong seed, HoldDelayDistribution dist)
    {
        var rng = new SplitMix64(seed);
        var table = new ulong[1 << TableBits];
        for (int i = 0; i < table.Length; i++)
        {
            ulong delay;
            if (dist == HoldDelayDistribution.Exponential)
            {
                delay = (ulong)Math.Round(-Math.Log(rng.NextUnitOpenZero()) * ExponentialMeanPs);
            }
            else
            {
                delay = ClockPeriodPs * (1 + rng.NextBelow(8));
            }

            ulong priority = rng.NextBelow(2) == 0 ? (ulong)Priorities.Clock : (ulong)Priorities.Message;
            table[i] = delay | (priority << DelayPriorityShift);
        }

        return table;
    }

    private static void FillEventQueue(EventQueue<HoldPayload> q, ref HoldState s, int p)
    {
        for (int i = 0; i < p; i++)
        {
            ulong d = s.NextDraw();
            q.Enqueue(new EventKey(d & DelayMask, (int)(d >> DelayPriorityShift), s.Seq++), new HoldPayload(i, 0));
        }
    }

    private static void FillBaseline(PriorityQueue<HoldPayload, EventKey> q, ref HoldState s, int p)
    {
        for (int i = 0; i < p; i++)
        {
            ulong d = s.NextDraw();
            q.Enqueue(new HoldPayload(i, 0), new EventKey(d & DelayMask, (int)(d >> DelayPriorityShift), s.Seq++));
        }
    }

    // The two hold loops are deliberately identical apart from the queue calls (no interface in between).
    private static void HoldEventQueue(EventQueue<HoldPayload> q, ref HoldState s, long ops)
    {
        ulong[] table = s.Table;
        int mask = table.Length - 1;
        int idx = s.TableIndex;
        ulong seq = s.Seq;
        ulong h = s.Checksum;
        for (long i = 0; i < ops; i++)
        {
            if (!q.TryDequeue(out EventKey k, out HoldPayload payload))
            {
                ThrowEmpty();
            }

            h = Mix(h, k.Time, k.Order);
            ulong d = table[idx];
            idx = (idx + 1) & mask;
            q.Enqueue(
                new EventKey(k.Time + (d & DelayMask), (int)(d >> DelayPriorityShift), seq++),
                new HoldPayload(payload.Id, payload.Value + 1));
        }

        s.TableIndex = idx;
        s.Seq = seq;
        s.Checksum = h;
        s.Dequeued += ops;
    }

    private static void HoldBaseline(PriorityQueue<HoldPayload, EventKey> q, ref HoldState s, long ops)
    {
        ulong[] table = s.Table;
        int mask = table.Length - 1;
        int idx = s.TableIndex;
        ulong seq = s.Seq;
        ulong h = s.Checksum;
        for (long i = 0; i < ops; i++)
        {
            if (!q.TryDequeue(out HoldPayload payload, out EventKey k))
            {
                ThrowEmpty();
            }

            h = Mix(h, k.Time, k.Order);
            ulong d = table[idx];
            idx = (idx + 1) & mask;
            q.Enqueue(
                new HoldPayload(payload.Id, payload.Value + 1),
                new EventKey(k.Time + (d & DelayMask), (int)(d >> DelayPriorityShift), seq++));
        }

        s.TableIndex = idx;
        s.Seq = seq;
        s.Checksum = h;
        s.Dequeued += ops;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong h, ulong time, ulong order)
    {
        h = (h ^ time) * 0x100000001B3UL;
        return (h ^ order) * 0x9E3779B97F4A7C15UL;
    }

    private static void ThrowEmpty()
    {
        throw new InvalidOperationException("Hold model: the queue ran empty.");
    }

    private readonly struct HoldPayload
    {
        public readonly int Id;
        public readonly long Value;

        public HoldPayload(int id, long value)
        {
            Id = id;
            Value = value;
        }
    }

    private struct HoldState
    {
        public readonly ulong[] Table;
        public int TableIndex;
        public ulong Seq;
        public ulong Checksum;
        public long Dequeued;

        public HoldState(ulong[] table)
        {
            Table = table;
            Checksum = 0xCBF29CE484222325UL;
        }

        public ulong NextDraw()
        {
            ulong d = Table[TableIndex];
            TableIndex = (TableIndex + 1) & (Table.Length - 1);
            return d;
        }
    }
}

/// <summary>SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and identical on every runtime version.</summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed)
    {
        _state = seed;
    }

    public ulong Next()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform double in (0, 1].</summary>
    public double NextUnitOpenZero() => ((Next() >> 11) + 1) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, bound) (Lemire's multiply-shift; bias below 2^-32 for small bounds).</summary>
    public ulong NextBelow(uint bound) => (ulong)(((Next() >> 32) * bound) >> 32);
}
