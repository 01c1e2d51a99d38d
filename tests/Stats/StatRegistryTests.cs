using Antoum.Sim.Stats;
using NUnit.Framework;

namespace Antoum.Tests.Stats;

[TestFixture]
[Category("Quick")]
[Category("Stats")]
public class StatRegistryTests
{
    [Test]
    public void TimeWeightedMeanIsTheIntegralOverTime()
    {
        var reg = new StatRegistry();
        TimeWeighted tw = reg.TimeWeighted("a.occ", "slots", "occupancy");
        tw.Set(0, 2);
        tw.Set(100, 0);
        tw.Set(150, 4);
        Assert.That(tw.Integral(200), Is.EqualTo(200 + 200));
        Assert.That(tw.Mean(200), Is.EqualTo(2.0));
        Assert.That(tw.Max, Is.EqualTo(4));
        Assert.That(() => tw.Set(100, 1), Throws.InvalidOperationException);
    }

    [Test]
    public void HistogramBucketsAndOverflow()
    {
        var reg = new StatRegistry();
        Histogram h = reg.Histogram("lat", "ps", "latency", 10, 3);
        foreach (long v in new long[] { 0, 9, 10, 25, 29, 30, 1000 })
        {
            h.Record(v);
        }

        Assert.That(new[] { h.Bucket(0), h.Bucket(1), h.Bucket(2), h.Bucket(3) }, Is.EqualTo(new long[] { 2, 1, 2, 2 }));
        Assert.That(h.Count, Is.EqualTo(7));
        Assert.That(h.Min, Is.EqualTo(0));
        Assert.That(h.Max, Is.EqualTo(1000));
    }

    [Test]
    public void FormulasAreEvaluatedAtReportTime()
    {
        var reg = new StatRegistry();
        Counter hits = reg.Counter("c.hits", "count", "hits");
        Counter misses = reg.Counter("c.misses", "count", "misses");
        reg.Formula("c.hitRatio", "ratio", "hits / accesses", () => (double)hits.Value / (hits.Value + misses.Value));
        hits.Value = 3;
        misses.Value = 1;
        List<StatValue> snap = reg.Snapshot(0);
        Assert.That(snap.Single(v => v.Name == "c.hitRatio").Value, Is.EqualTo(0.75));
    }

    [Test]
    public void ReportIsSortedByNameAndDuplicateNamesAreRejected()
    {
        var reg = new StatRegistry();
        reg.Counter("b.x", "count", "x").Value = 5;
        reg.Counter("a.y", "count", "y").Value = 7;
        reg.Formula("a.z", "ratio", "z", () => 0.1);
        string text = reg.FormatText(0);
        string[] lines = text.TrimEnd('\n').Split('\n');
        Assert.That(lines.Select(l => l.Split(' ')[0]), Is.EqualTo(new[] { "a.y", "a.z", "b.x" }));
        Assert.That(lines[1], Does.Contain("0.1"));
        Assert.That(() => reg.Counter("a.y", "count", "again"), Throws.InvalidOperationException.With.Message.Contains("a.y"));
    }

    [TestCase(3.0, "3")]
    [TestCase(0.5, "0.5")]
    [TestCase(1e20, "1E+20")]
    [TestCase(-2.25, "-2.25")]
    public void NumbersAreFormattedInvariantly(double v, string expected)
    {
        Assert.That(StatRegistry.FormatNumber(v), Is.EqualTo(expected));
    }
}
