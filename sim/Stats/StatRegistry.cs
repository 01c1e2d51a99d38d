using System.Globalization;
using System.Text;

namespace Antoum.Sim.Stats;

/// <summary>Kinds of statistic.</summary>
public enum StatKind
{
    Counter,
    TimeWeighted,
    Histogram,
    Formula,
}

/// <summary>Name, unit and description of a statistic, declared once (gem5 ADD_STAT, SST registerStatistic).</summary>
public abstract class Statistic
{
    protected Statistic(string name, string unit, string description)
    {
        Name = name;
        Unit = unit;
        Description = description;
    }

    /// <summary>Dotted hierarchical name, e.g. <c>chip0.cluster0.spu3.busyCycles</c>.</summary>
    public string Name { get; }

    /// <summary>Unit of the value, e.g. <c>cycles</c>, <c>B</c>, <c>ratio</c>.</summary>
    public string Unit { get; }

    /// <summary>One line saying what it measures.</summary>
    public string Description { get; }

    public abstract StatKind Kind { get; }

    /// <summary>Appends the value lines of this statistic (one or more "name value" pairs).</summary>
    internal abstract void Report(ulong nowPs, List<StatValue> into);
}

/// <summary>One reported number.</summary>
public readonly record struct StatValue(string Name, double Value, string Unit, string Description);

/// <summary>A count. The hot path bumps <see cref="Value"/> directly.</summary>
public sealed class Counter : Statistic
{
    /// <summary>The count. A plain field so that blocks can increment it without a call.</summary>
    public long Value;

    internal Counter(string name, string unit, string description)
        : base(name, unit, description)
    {
    }

    public override StatKind Kind => StatKind.Counter;

    internal override void Report(ulong nowPs, List<StatValue> into)
    {
        into.Add(new StatValue(Name, Value, Unit, Description));
    }
}

/// <summary>
/// A level integrated over simulated time (occupancy, busy units, queue length; SimSharp's time-series
/// monitor). <see cref="Set"/> at each change; the average over the run is the integral divided by the time.
/// </summary>
public sealed class TimeWeighted : Statistic
{
    private ulong _lastChangePs;
    private long _level;
    private UInt128 _integral;
    private long _max;

    internal TimeWeighted(string name, string unit, string description)
        : base(name, unit, description)
    {
    }

    public override StatKind Kind => StatKind.TimeWeighted;

    /// <summary>Current level.</summary>
    public long Level => _level;

    /// <summary>Highest level seen.</summary>
    public long Max => _max;

    /// <summary>Changes the level at time <paramref name="nowPs"/>.</summary>
    public void Set(ulong nowPs, long level)
    {
        Accumulate(nowPs);
        _level = level;
        if (level > _max)
        {
            _max = level;
        }
    }

    /// <summary>Adds <paramref name="delta"/> to the level at time <paramref name="nowPs"/>.</summary>
    public void Add(ulong nowPs, long delta)
    {
        Set(nowPs, _level + delta);
    }

    /// <summary>Integral of the level over [0, <paramref name="nowPs"/>], in level·ps.</summary>
    public double Integral(ulong nowPs)
    {
        Accumulate(nowPs);
        return (double)_integral;
    }

    /// <summary>Time-weighted mean level over [0, <paramref name="nowPs"/>].</summary>
    public double Mean(ulong nowPs)
    {
        return nowPs == 0 ? 0.0 : Integral(nowPs) / nowPs;
    }

    internal override void Report(ulong nowPs, List<StatValue> into)
    {
        into.Add(new StatValue(Name + ".mean", Mean(nowPs), Unit, Description + " (time-weighted mean)"));
        into.Add(new StatValue(Name + ".max", _max, Unit, Description + " (maximum)"));
    }

    private void Accumulate(ulong nowPs)
    {
        if (nowPs < _lastChangePs)
        {
            throw new InvalidOperationException($"statistic '{Name}': time went backwards ({nowPs} < {_lastChangePs} ps)");
        }

        if (_level != 0)
        {
            _integral += (UInt128)(ulong)_level * (nowPs - _lastChangePs);
        }

        _lastChangePs = nowPs;
    }
}

/// <summary>A histogram with fixed-width buckets plus an overflow bucket; also count, sum, min and max.</summary>
public sealed class Histogram : Statistic
{
    private readonly long[] _buckets;
    private readonly long _bucketWidth;
    private long _count;
    private double _sum;
    private long _min = long.MaxValue;
    private long _max = long.MinValue;

    internal Histogram(string name, string unit, string description, long bucketWidth, int buckets)
        : base(name, unit, description)
    {
        if (bucketWidth <= 0 || buckets <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bucketWidth), "histogram needs positive bucket width and count");
        }

        _bucketWidth = bucketWidth;
        _buckets = new long[buckets + 1];
    }

    public override StatKind Kind => StatKind.Histogram;

    public long Count => _count;

    public long Min => _count == 0 ? 0 : _min;

    public long Max => _count == 0 ? 0 : _max;

    public double Mean => _count == 0 ? 0.0 : _sum / _count;

    /// <summary>Samples in bucket <paramref name="i"/> (the last bucket is the overflow).</summary>
    public long Bucket(int i) => _buckets[i];

    public int BucketCount => _buckets.Length;

    /// <summary>Records one sample (negative samples go to bucket 0).</summary>
    public void Record(long value)
    {
        long index = value < 0 ? 0 : value / _bucketWidth;
        if (index >= _buckets.Length - 1)
        {
            index = _buckets.Length - 1;
        }

        _buckets[index]++;
        _count++;
        _sum += value;
        if (value < _min)
        {
            _min = value;
        }

        if (value > _max)
        {
            _max = value;
        }
    }

    internal override void Report(ulong nowPs, List<StatValue> into)
    {
        into.Add(new StatValue(Name + ".count", _count, "count", Description + " (samples)"));
        into.Add(new StatValue(Name + ".mean", Mean, Unit, Description + " (mean)"));
        into.Add(new StatValue(Name + ".min", Min, Unit, Description + " (minimum)"));
        into.Add(new StatValue(Name + ".max", Max, Unit, Description + " (maximum)"));
        for (int i = 0; i < _buckets.Length; i++)
        {
            string label = i == _buckets.Length - 1
                ? ".bucket[" + (i * _bucketWidth).ToString(CultureInfo.InvariantCulture) + "+]"
                : ".bucket[" + (i * _bucketWidth).ToString(CultureInfo.InvariantCulture) + "," + ((i + 1) * _bucketWidth).ToString(CultureInfo.InvariantCulture) + ")";
            into.Add(new StatValue(Name + label, _buckets[i], "count", Description + " (bucket)"));
        }
    }
}

/// <summary>A value computed from other statistics at report time (gem5 formulas): no hot-path cost.</summary>
public sealed class Formula : Statistic
{
    private readonly Func<double> _compute;

    internal Formula(string name, string unit, string description, Func<double> compute)
        : base(name, unit, description)
    {
        _compute = compute;
    }

    public override StatKind Kind => StatKind.Formula;

    /// <summary>Evaluates the formula now.</summary>
    public double Evaluate() => _compute();

    internal override void Report(ulong nowPs, List<StatValue> into)
    {
        into.Add(new StatValue(Name, _compute(), Unit, Description));
    }
}

/// <summary>
/// The one statistics registry of a simulation. Components declare statistics at construction (name, unit,
/// description); the hot path bumps plain fields; formulas run at report time. Reports list values in ordinal
/// name order, so output never depends on registration or hash order.
/// </summary>
public sealed class StatRegistry
{
    private readonly List<Statistic> _stats = new();
    private readonly List<BlockActivity> _blocks = new();
    private readonly Dictionary<string, Statistic> _byName = new(StringComparer.Ordinal);
    private ulong _closedAt;
    private bool _closed;

    /// <summary>Every declared statistic, in declaration order.</summary>
    public IReadOnlyList<Statistic> All => _stats;

    public Counter Counter(string name, string unit, string description)
    {
        return Add(new Counter(name, unit, description));
    }

    public TimeWeighted TimeWeighted(string name, string unit, string description)
    {
        return Add(new TimeWeighted(name, unit, description));
    }

    public Histogram Histogram(string name, string unit, string description, long bucketWidth, int buckets)
    {
        return Add(new Histogram(name, unit, description, bucketWidth, buckets));
    }

    public Formula Formula(string name, string unit, string description, Func<double> compute)
    {
        return Add(new Formula(name, unit, description, compute));
    }

    /// <summary>Block instances that report activity, in registration order.</summary>
    public IReadOnlyList<BlockActivity> Blocks => _blocks;

    /// <summary>Declares a block instance for <c>blocks.csv</c> (busy, stall, bytes in and out).</summary>
    public void Block(BlockActivity activity)
    {
        _blocks.Add(activity);
    }

    /// <summary>Looks a statistic up by its full name.</summary>
    public Statistic? Find(string name)
    {
        return _byName.TryGetValue(name, out Statistic? s) ? s : null;
    }

    /// <summary>Freezes the report time (called by the kernel when the run finishes).</summary>
    internal void Close(ulong nowPs)
    {
        _closedAt = nowPs;
        _closed = true;
    }

    /// <summary>All values, sorted by name (ordinal), evaluated at the close time (or <paramref name="nowPs"/>).</summary>
    public List<StatValue> Snapshot(ulong nowPs)
    {
        ulong at = _closed ? _closedAt : nowPs;
        var values = new List<StatValue>(_stats.Count * 2);
        for (int i = 0; i < _stats.Count; i++)
        {
            _stats[i].Report(at, values);
        }

        values.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return values;
    }

    /// <summary>
    /// Writes <c>stats.txt</c>: one statistic per line, <c>name value unit # description</c>, sorted by name,
    /// numbers in invariant culture with round-trip precision.
    /// </summary>
    public string FormatText(ulong nowPs)
    {
        List<StatValue> values = Snapshot(nowPs);
        int width = 0;
        for (int i = 0; i < values.Count; i++)
        {
            width = Math.Max(width, values[i].Name.Length);
        }

        var sb = new StringBuilder();
        for (int i = 0; i < values.Count; i++)
        {
            StatValue v = values[i];
            sb.Append(v.Name.PadRight(width + 2));
            sb.Append(FormatNumber(v.Value).PadLeft(22));
            sb.Append(' ');
            sb.Append(v.Unit.PadRight(8));
            sb.Append(" # ");
            sb.Append(v.Description);
            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>Invariant, round-trip, culture-independent number text (integers without a decimal point).</summary>
    public static string FormatNumber(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            return value.ToString(CultureInfo.InvariantCulture);
        }

        if (value == Math.Floor(value) && Math.Abs(value) < 9.007199254740992E15)
        {
            return ((long)value).ToString(CultureInfo.InvariantCulture);
        }

        return value.ToString("R", CultureInfo.InvariantCulture);
    }

    private T Add<T>(T stat)
        where T : Statistic
    {
        if (string.IsNullOrWhiteSpace(stat.Name))
        {
            throw new ArgumentException("statistic name must not be empty");
        }

        if (!_byName.TryAdd(stat.Name, stat))
        {
            throw new InvalidOperationException($"statistic '{stat.Name}' is declared twice");
        }

        _stats.Add(stat);
        return stat;
    }
}

/// <summary>
/// One block instance's activity, for <c>blocks.csv</c>: how long it was busy and stalled and how many bytes
/// went in and out. The values are read through delegates at report time only, from the block's own
/// statistics, so the hot path pays nothing.
/// </summary>
public sealed record BlockActivity(
    string Name,
    string Kind,
    ulong ClockHz,
    Func<ulong> BusyPs,
    Func<ulong> StallPs,
    Func<long> BytesIn,
    Func<long> BytesOut);
