using Antoum.Sim.Bench;
using Antoum.Sim.Kernel;
using NUnit.Framework;

namespace Antoum.Tests.Kernel;

[TestFixture]
[Category("Quick")]
[Category("Kernel")]
public class EventQueueTests
{
    private struct Tagged
    {
        public long Id;
        public string? Tag;
    }

    [Test]
    public void DequeuesInTimeOrder()
    {
        var q = new EventQueue<int>();
        ulong[] times = [500, 3, 77, 1_000_000, 0, 76, 78, 1UL << 40];
        ulong seq = 0;
        foreach (ulong t in times)
        {
            q.Enqueue(new EventKey(t, Priorities.Message, seq++), (int)t);
        }

        Assert.That(q.Count, Is.EqualTo(times.Length));
        var got = new List<ulong>();
        while (q.TryDequeue(out EventKey k, out int payload))
        {
            Assert.That(payload, Is.EqualTo((int)k.Time));
            got.Add(k.Time);
        }

        Assert.That(got, Is.EqualTo(times.Order().ToList()));
        Assert.That(q.Count, Is.Zero);
    }

    [Test]
    public void LowerPriorityValueFirstWithinATime()
    {
        var q = new EventQueue<int>();
        q.Enqueue(new EventKey(10, Priorities.Exit, 0), 0);
        q.Enqueue(new EventKey(10, Priorities.Message, 1), 1);
        q.Enqueue(new EventKey(10, Priorities.Stats, 2), 2);
        q.Enqueue(new EventKey(10, Priorities.Clock, 3), 3);
        q.Enqueue(new EventKey(9, Priorities.Exit, 4), 4);
        q.Enqueue(new EventKey(10, Priorities.Credit, 5), 5);

        Assert.That(DrainPayloads(q), Is.EqualTo(new[] { 4, 3, 5, 1, 2, 0 }));
    }

    [Test]
    public void FifoBySeqWithinTimeAndPriority()
    {
        var q = new EventQueue<int>();
        for (int i = 0; i < 50; i++)
        {
            q.Enqueue(new EventKey(1000, i % 2 == 0 ? Priorities.Message : Priorities.Clock, (ulong)i), i);
        }

        int[] expected = Enumerable.Range(0, 50).Where(i => i % 2 == 1).Concat(Enumerable.Range(0, 50).Where(i => i % 2 == 0)).ToArray();
        Assert.That(DrainPayloads(q), Is.EqualTo(expected));
    }

    [Test]
    public void SameTimeFifoSurvivesGrowth()
    {
        // Thousands of events at one time, spanning many capacity doublings of every internal array, enqueued
        // while earlier events are being popped and while the same-time group itself is being consumed.
        var q = new EventQueue<int>();
        ulong seq = 0;
        for (int i = 0; i < 100; i++)
        {
            q.Enqueue(new EventKey((ulong)i, Priorities.Message, seq++), -1);
        }

        var expected = new List<int>();
        int id = 0;
        for (int i = 0; i < 100; i++)
        {
            Assert.That(q.TryDequeue(out EventKey k, out int p), Is.True);
            Assert.That(k.Time, Is.EqualTo((ulong)i));
            Assert.That(p, Is.EqualTo(-1));
            for (int j = 0; j < 50; j++)
            {
                q.Enqueue(new EventKey(5000, Priorities.Message, seq++), id);
                expected.Add(id++);
            }
        }

        // Consume the time-5000 group while adding more to it (same time, same priority: FIFO, after the rest).
        var got = new List<int>();
        for (int i = 0; i < 3000; i++)
        {
            Assert.That(q.TryDequeue(out EventKey k, out int p), Is.True);
            Assert.That(k.Time, Is.EqualTo(5000UL));
            got.Add(p);
            q.Enqueue(new EventKey(5000, Priorities.Message, seq++), id);
            expected.Add(id++);
        }

        while (q.TryDequeue(out EventKey k, out int p))
        {
            Assert.That(k.Time, Is.EqualTo(5000UL));
            got.Add(p);
        }

        Assert.That(got, Is.EqualTo(expected));
    }

    [Test]
    public void SameTimeLowerPriorityScheduledNowRunsNext()
    {
        // A message handler at t schedules a clock event for the same t: it must come before the remaining messages.
        var q = new EventQueue<int>();
        ulong seq = 0;
        for (int i = 0; i < 40; i++)
        {
            q.Enqueue(new EventKey(7, Priorities.Message, seq++), i);
        }

        var got = new List<int>();
        Assert.That(q.TryDequeue(out _, out int first), Is.True);
        got.Add(first);
        q.Enqueue(new EventKey(7, Priorities.Clock, seq++), 100);
        q.Enqueue(new EventKey(7, Priorities.Clock, seq++), 101);
        q.Enqueue(new EventKey(7, Priorities.Exit, seq++), 102);
        got.AddRange(DrainPayloads(q));

        int[] expected = [0, 100, 101, .. Enumerable.Range(1, 39), 102];
        Assert.That(got, Is.EqualTo(expected));
    }

    [Test]
    public void EnqueueIntoThePastThrows()
    {
        var q = new EventQueue<int>();
        q.Enqueue(new EventKey(100, Priorities.Message, 0), 0);
        q.Enqueue(new EventKey(200, Priorities.Message, 1), 1);
        Assert.That(q.TryDequeue(out _, out _), Is.True);

        var ex = Assert.Throws<InvalidOperationException>(() => q.Enqueue(new EventKey(99, Priorities.Clock, 2), 2));
        Assert.That(ex!.Message, Does.Contain("99 ps").And.Contain("100 ps"));
        Assert.That(q.Count, Is.EqualTo(1));

        // The current time itself is allowed, even with a lower priority value.
        q.Enqueue(new EventKey(100, Priorities.Clock, 3), 3);
        Assert.That(DrainPayloads(q), Is.EqualTo(new[] { 3, 1 }));
    }

    [Test]
    public void PeekThenEnqueueEarlierButLegalEvent()
    {
        var q = new EventQueue<int>();
        q.Enqueue(new EventKey(10, Priorities.Message, 0), 0);
        q.Enqueue(new EventKey(1000, Priorities.Message, 1), 1);
        q.Enqueue(new EventKey(1000, Priorities.Clock, 2), 2);
        q.Enqueue(new EventKey(70_000, Priorities.Message, 3), 3);
        Assert.That(q.TryDequeue(out _, out _), Is.True);
        Assert.That(q.TryPeek(out EventKey peeked), Is.True);
        Assert.That(peeked, Is.EqualTo(new EventKey(1000, Priorities.Clock, 2)));

        // 10 <= 500 < 1000: legal although the queue has already looked at time 1000.
        q.Enqueue(new EventKey(500, Priorities.Exit, 4), 4);
        q.Enqueue(new EventKey(10, Priorities.Exit, 5), 5);
        Assert.Throws<InvalidOperationException>(() => q.Enqueue(new EventKey(9, Priorities.Exit, 6), 6));
        Assert.That(DrainPayloads(q), Is.EqualTo(new[] { 5, 4, 2, 1, 3 }));
    }

    [Test]
    public void PeekDoesNotRemove()
    {
        var q = new EventQueue<int>();
        Assert.That(q.TryPeek(out _), Is.False);
        q.Enqueue(new EventKey(5, 1, 0), 42);
        Assert.That(q.TryPeek(out EventKey k), Is.True);
        Assert.That(k, Is.EqualTo(new EventKey(5, 1, 0)));
        Assert.That(q.Count, Is.EqualTo(1));
        Assert.That(q.TryDequeue(out EventKey k2, out int p), Is.True);
        Assert.That((k2, p), Is.EqualTo((k, 42)));
        Assert.That(q.TryDequeue(out _, out _), Is.False);
    }

    [Test]
    public void ClearEmptiesAndResetsTheTimeFloor()
    {
        var q = new EventQueue<Tagged>();
        for (int i = 0; i < 1000; i++)
        {
            q.Enqueue(new EventKey((ulong)(i * 37 % 1001) + 50, Priorities.Message, (ulong)i), new Tagged { Id = i, Tag = "x" });
        }

        for (int i = 0; i < 10; i++)
        {
            Assert.That(q.TryDequeue(out _, out _), Is.True);
        }

        q.Clear();
        Assert.That(q.Count, Is.Zero);
        Assert.That(q.TryPeek(out _), Is.False);
        Assert.That(q.TryDequeue(out _, out _), Is.False);

        q.Enqueue(new EventKey(3, Priorities.Message, 0), new Tagged { Id = 1 });
        q.Enqueue(new EventKey(0, Priorities.Message, 1), new Tagged { Id = 2 });
        Assert.That(q.TryDequeue(out EventKey k, out Tagged t), Is.True);
        Assert.That((k.Time, t.Id), Is.EqualTo((0UL, 2L)));
        Assert.That(q.TryDequeue(out k, out t), Is.True);
        Assert.That((k.Time, t.Id), Is.EqualTo((3UL, 1L)));
    }

    [TestCase(1, 0UL)]
    [TestCase(2, 0UL)]
    [TestCase(3, 0UL)]
    [TestCase(4, (ulong.MaxValue / 2) - 5000)]
    [TestCase(5, (ulong.MaxValue / 2) - 5000)]
    [TestCase(6, 1UL << 62)]
    public void MatchesSortedReference(int seed, ulong start)
    {
        var rng = new Random(seed);
        var q = new EventQueue<Tagged>();
        var reference = new List<(EventKey Key, long Id)>();
        ulong now = start;
        ulong seq = 0;
        long nextId = 0;
        int checkedEvents = 0;

        void Add(ulong time)
        {
            int priority = rng.Next(4) switch
            {
                0 => Priorities.Clock,
                1 => Priorities.Message,
                2 => rng.Next(256),
                _ => Priorities.Message,
            };
            var key = new EventKey(time, priority, seq++);
            long id = nextId++;
            q.Enqueue(key, new Tagged { Id = id, Tag = id % 3 == 0 ? "t" + id : null });
            reference.Add((key, id));
        }

        ulong Delay()
        {
            return rng.Next(6) switch
            {
                0 => 0,
                1 => (ulong)rng.Next(4),
                2 => 1111UL * (ulong)rng.Next(1, 9),
                3 => (ulong)rng.Next(100_000),
                4 => (ulong)rng.NextInt64(1L << 40),
                _ => (ulong)rng.Next(2000),
            };
        }

        for (int step = 0; step < 60_000; step++)
        {
            int action = rng.Next(100);
            if (action < 45 || reference.Count == 0)
            {
                int burst = rng.Next(1, 4);
                for (int b = 0; b < burst; b++)
                {
                    Add(now + Delay());
                }
            }
            else if (action < 95)
            {
                int min = IndexOfMin(reference);
                Assert.That(q.TryPeek(out EventKey peeked), Is.True);
                Assert.That(peeked, Is.EqualTo(reference[min].Key));
                Assert.That(q.TryDequeue(out EventKey k, out Tagged p), Is.True);
                Assert.That(k, Is.EqualTo(reference[min].Key), $"step {step}");
                Assert.That(p.Id, Is.EqualTo(reference[min].Id));
                Assert.That(p.Tag, Is.EqualTo(p.Id % 3 == 0 ? "t" + p.Id : null));
                now = k.Time;
                reference.RemoveAt(min);
                checkedEvents++;
            }
            else if (q.TryPeek(out EventKey peeked) && peeked.Time > now)
            {
                // Peek advances the radix base; then schedule something legal but earlier than the peeked event.
                Add(now + (ulong)rng.NextInt64((long)Math.Min(peeked.Time - now, 1UL << 40)));
            }

            Assert.That(q.Count, Is.EqualTo(reference.Count));
        }

        while (reference.Count > 0)
        {
            int min = IndexOfMin(reference);
            Assert.That(q.TryDequeue(out EventKey k, out Tagged p), Is.True);
            Assert.That((k, p.Id), Is.EqualTo(reference[min]));
            reference.RemoveAt(min);
            checkedEvents++;
        }

        Assert.That(q.TryDequeue(out _, out _), Is.False);
        Assert.That(checkedEvents, Is.GreaterThan(10_000));
    }

    [Test]
    public void TieHeavyGroupsMatchSortedReference()
    {
        // Large same-time groups with mixed priorities (exercises the counting sort of the current bucket).
        var rng = new Random(11);
        var q = new EventQueue<long>();
        var reference = new List<EventKey>();
        ulong seq = 0;
        for (int i = 0; i < 2_000; i++)
        {
            var key = new EventKey(1111UL * (ulong)rng.Next(1, 9), rng.Next(2) == 0 ? Priorities.Clock : Priorities.Message, seq++);
            q.Enqueue(key, i);
            reference.Add(key);
        }

        for (int i = 0; i < 50_000; i++)
        {
            Assert.That(q.TryDequeue(out EventKey k, out _), Is.True);
            int min = IndexOfMin(reference, out EventKey expected);
            if (k != expected)
            {
                Assert.Fail($"step {i}: got {k}, expected {expected}");
            }

            reference[min] = new EventKey(k.Time + (1111UL * (ulong)rng.Next(1, 9)), rng.Next(2) == 0 ? Priorities.Clock : Priorities.Message, seq);
            q.Enqueue(reference[min], i);
            seq++;
        }
    }

    [TestCase(HoldDelayDistribution.Exponential)]
    [TestCase(HoldDelayDistribution.TieHeavyClock)]
    public void HoldModelAllocatesNothingAfterWarmUp(HoldDelayDistribution dist)
    {
        var q = new EventQueue<(int Id, long Value)>();
        var rng = new Random(5);
        ulong seq = 0;
        ulong NextTime(ulong now)
        {
            return dist == HoldDelayDistribution.Exponential
                ? now + (ulong)Math.Round(-Math.Log(1.0 - rng.NextDouble()) * 1000.0)
                : now + (1111UL * (ulong)rng.Next(1, 9));
        }

        for (int i = 0; i < 10_000; i++)
        {
            q.Enqueue(new EventKey(NextTime(0), Priorities.Clock + (10 * rng.Next(2)), seq++), (i, 0));
        }

        void Hold(int ops)
        {
            for (int i = 0; i < ops; i++)
            {
                q.TryDequeue(out EventKey k, out (int Id, long Value) p);
                q.Enqueue(new EventKey(NextTime(k.Time), Priorities.Clock + (10 * rng.Next(2)), seq++), (p.Id, p.Value + 1));
            }
        }

        Hold(300_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Hold(100_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
        Assert.That(q.Count, Is.EqualTo(10_000));
    }

    [Test]
    public void EventKeyPacksAndValidates()
    {
        var k = new EventKey(123, 255, EventKey.MaxSeq);
        Assert.That((k.Time, k.Priority, k.Seq), Is.EqualTo((123UL, 255, EventKey.MaxSeq)));
        Assert.That(new EventKey(0, 0, 0).Order, Is.Zero);
        Assert.That(new EventKey(1, 40, 7).Order, Is.EqualTo((40UL << 56) | 7));

        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new EventKey(0, -1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new EventKey(0, 256, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new EventKey(0, 0, 1UL << 56));

        Assert.That(new EventKey(1, 99, 9).CompareTo(new EventKey(2, 0, 0)), Is.Negative);
        Assert.That(new EventKey(2, 40, 9).CompareTo(new EventKey(2, 50, 0)), Is.Negative);
        Assert.That(new EventKey(2, 50, 3).CompareTo(new EventKey(2, 50, 4)), Is.Negative);
        Assert.That(new EventKey(2, 50, 4).CompareTo(new EventKey(2, 50, 4)), Is.Zero);
        Assert.That(new EventKey(ulong.MaxValue, 0, 0).CompareTo(new EventKey(0, 255, EventKey.MaxSeq)), Is.Positive);
        Assert.That(new EventKey(2, 50, 4) == new EventKey(2, 50, 4), Is.True);
        Assert.That(new EventKey(2, 50, 4) < new EventKey(2, 50, 5), Is.True);
    }

    [Test]
    public void HoldModelBenchmarkImplementationsAgreeOnTinyConfiguration()
    {
        var options = new HoldModelOptions
        {
            Sizes = [100],
            Repetitions = 2,
            OperationsPerRepetition = 20_000,
            WarmupOperations = 5_000,
        };
        HoldModelReport report = HoldModelBenchmark.Run(options, null);

        Assert.That(report.Rows, Has.Count.EqualTo(2));
        foreach (HoldModelRow row in report.Rows)
        {
            Assert.That(row.QueueSize, Is.EqualTo(100));
            Assert.That(row.EventQueueEventsPerSec, Is.Positive);
            Assert.That(row.BaselineEventsPerSec, Is.Positive);
            Assert.That(row.Checksum, Is.Not.Zero);
        }

        Assert.That(report.Format(), Does.Contain("Exponential").And.Contain("TieHeavyClock"));
    }

    private static int[] DrainPayloads(EventQueue<int> q)
    {
        var got = new List<int>();
        while (q.TryDequeue(out _, out int p))
        {
            got.Add(p);
        }

        return got.ToArray();
    }

    private static int IndexOfMin(List<(EventKey Key, long Id)> list)
    {
        int best = 0;
        for (int i = 1; i < list.Count; i++)
        {
            if (list[i].Key.CompareTo(list[best].Key) < 0)
            {
                best = i;
            }
        }

        return best;
    }

    private static int IndexOfMin(List<EventKey> list, out EventKey min)
    {
        int best = 0;
        for (int i = 1; i < list.Count; i++)
        {
            if (list[i].CompareTo(list[best]) < 0)
            {
                best = i;
            }
        }

        min = list[best];
        return best;
    }
}
