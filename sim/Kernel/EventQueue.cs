using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Antoum.Sim.Kernel;

/// <summary>
/// The kernel's pending-event set: a monotone priority queue ordered by <see cref="EventKey"/>
/// (time, priority, sequence). Simulation time never goes backwards: once an event at time t has been dequeued,
/// enqueuing an event before t throws.
/// </summary>
/// <remarks>
/// <para>
/// Implementation: a radix heap on <see cref="EventKey.Time"/> (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) with
/// 65 buckets. Let <c>base</c> be the current minimum time (never less than the last dequeued time). An item with
/// time t lives in bucket <c>0</c> if t == base, else in bucket <c>64 - lzcnt(t ^ base)</c>, i.e. one more than
/// the index of the highest bit in which t differs from base. Bucket 0 ("current") holds exactly the items at the
/// minimum time and is kept sorted by <see cref="EventKey.Order"/> (priority, then sequence); it is consumed from
/// the front. When it runs dry, the lowest non-empty bucket is scanned for its minimum time, base moves there,
/// and the bucket's items are redistributed into strictly lower buckets (the ones at the new minimum land in
/// bucket 0, which is then sorted: usually already in order, otherwise a stable counting sort on the priority
/// byte). If a bucket holds a single distinct time it is copied into bucket 0 wholesale (no per-item bucket math).
/// </para>
/// <para>
/// All items with the same time are always in the same bucket, and every move (append, redistribution, bulk copy)
/// preserves their relative order, so same-time, same-priority events stay in FIFO order regardless of growth.
/// Each item moves down at most 64 times and in practice about log2(typical delay) times; every operation is a
/// sequential array append, so the structure is cache friendly. Storage is per-bucket arrays of structs that
/// only grow (by doubling): after warm-up nothing is allocated per event.
/// </para>
/// <para>Not thread-safe.</para>
/// </remarks>
/// <typeparam name="TPayload">The event data stored with each key (kept inline, no boxing).</typeparam>
public sealed class EventQueue<TPayload>
    where TPayload : struct
{
    private const int BucketCount = 65;
    // Bucket 0 and scratch start at 256 entries (8 KB for a 16-byte payload): same-time groups rarely exceed it.
    private const int InitialCapacity = 256;
    private const int InitialChunks = 16;
    private const int ChunkShift = 8;
    private const int ChunkSize = 1 << ChunkShift;
    private const int ChunkMask = ChunkSize - 1;
    private const int NoChunk = -1;
    private const int MaxPartialChunks = 66;
    private const int InsertionSortLimit = 24;
    private const int PriorityShift = 56;

    private static readonly Comparison<Entry> s_compareOrder = static (a, b) => a.Order.CompareTo(b.Order);

    // Buckets 1..64 are singly linked lists of fixed-size chunks carved out of one pool array; chunks go back to a
    // free list when their bucket is redistributed. The pool only grows (by doubling), and because chunks are
    // shared between buckets its size tracks the number of pending events, not the sum of per-bucket peaks.
    private Entry[] _pool;
    private int[] _nextChunk;
    private int _chunkCount;
    private int _freeChunk;
    private int _freeCount;

    // Per bucket (index 0 unused): first chunk, and the pool index of the next free slot in the last chunk.
    // A tail on a chunk boundary means "last chunk full" (or bucket empty when its _nonEmpty bit is clear).
    private readonly int[] _firstChunk = new int[BucketCount];
    private readonly int[] _tail = new int[BucketCount];

    // Bucket 0: the items at time _base, sorted by Order, live in [_head, _currentEnd).
    private Entry[] _current;
    private int _head;
    private int _currentEnd;

    // Scratch for the counting sort of bucket 0 and for rebuilds; swapped with _current, so also grow-only.
    private Entry[] _scratch;

    // Bit (i - 1) is set when bucket i (1..64) is non-empty.
    private ulong _nonEmpty;

    // Radix base: the time of the items in bucket 0. >= _lastDequeued (TryPeek may advance it).
    private ulong _base;
    private ulong _lastDequeued;
    private int _count;

    /// <summary>Creates an empty queue.</summary>
    public EventQueue()
    {
        _pool = new Entry[InitialChunks * ChunkSize];
        _nextChunk = new int[InitialChunks];
        _freeChunk = NoChunk;
        AddFreeChunks(0, InitialChunks);
        _chunkCount = InitialChunks;
        _current = new Entry[InitialCapacity];
        _scratch = new Entry[InitialCapacity];
    }

    /// <summary>Number of pending events.</summary>
    public int Count => _count;

    /// <summary>Time of the most recently dequeued event (0 before the first dequeue): the floor for new events.</summary>
    public ulong LastDequeuedTime => _lastDequeued;

    /// <summary>Adds an event.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="key"/> is earlier than the last dequeued event.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Enqueue(in EventKey key, in TPayload payload)
    {
        ulong time = key.Time;
        ulong diff = time ^ _base;
        if (diff == 0)
        {
            EnqueueCurrent(key.Order, in payload);
        }
        else if (time > _base)
        {
            // b is in 1..64 (diff != 0) and _tail has 65 entries; a tail slot always lies inside the pool.
            int b = 64 - BitOperations.LeadingZeroCount(diff);
            ref int tail = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_tail), b);
            int slot = tail;
            if ((slot & ChunkMask) == 0)
            {
                slot = StartChunk(b);
            }

            ref Entry e = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_pool), slot);
            e.Time = time;
            e.Order = key.Order;
            e.Payload = payload;
            tail = slot + 1;
        }
        else
        {
            EnqueueBeforeBase(in key, in payload);
            return;
        }

        _count++;
    }

    /// <summary>Removes the earliest event (smallest key), if any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryDequeue(out EventKey key, out TPayload payload)
    {
        if (_head == _currentEnd)
        {
            if (_count == 0)
            {
                key = default;
                payload = default;
                return false;
            }

            Refill();
        }

        Entry[] current = _current;
        int head = _head;
        ref Entry e = ref current[head];
        key = new EventKey(e.Time, e.Order);
        payload = e.Payload;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TPayload>())
        {
            e.Payload = default;
        }

        _head = head + 1;
        _lastDequeued = e.Time;
        _count--;
        return true;
    }

    /// <summary>Returns the earliest event's key without removing it.</summary>
    public bool TryPeek(out EventKey key)
    {
        if (_head == _currentEnd)
        {
            if (_count == 0)
            {
                key = default;
                return false;
            }

            Refill();
        }

        ref Entry e = ref _current[_head];
        key = new EventKey(e.Time, e.Order);
        return true;
    }

    /// <summary>
    /// Removes all events and resets the time floor to 0, as for a new queue. Capacity is kept.
    /// </summary>
    public void Clear()
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TPayload>())
        {
            Array.Clear(_pool);
            Array.Clear(_current);
            Array.Clear(_scratch);
        }

        _freeChunk = NoChunk;
        _freeCount = 0;
        AddFreeChunks(0, _chunkCount);
        Array.Clear(_tail);
        _nonEmpty = 0;
        _head = 0;
        _currentEnd = 0;
        _base = 0;
        _lastDequeued = 0;
        _count = 0;
    }

    // Bucket 0 holds items at exactly _base, sorted by Order from _head.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void EnqueueCurrent(ulong order, in TPayload payload)
    {
        int end = _currentEnd;
        if (end == _head)
        {
            _head = 0;
            end = 0;
        }
        else if (order < _current[end - 1].Order)
        {
            InsertCurrentOutOfOrder(order, in payload);
            return;
        }

        if ((uint)end >= (uint)_current.Length)
        {
            MakeRoomAtEndOfCurrent();
            end = _currentEnd;
        }

        ref Entry e = ref _current[end];
        e.Time = _base;
        e.Order = order;
        e.Payload = payload;
        _currentEnd = end + 1;
    }

    // Same-time event whose Order is below the last one in bucket 0 (e.g. a clock event scheduled for "now" by a
    // message handler): binary search for its place and shift whichever side is shorter.
    private void InsertCurrentOutOfOrder(ulong order, in TPayload payload)
    {
        int lo = _head;
        int hi = _currentEnd;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_current[mid].Order <= order)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        int pos = lo;
        if (_head > 0 && pos - _head <= _currentEnd - pos)
        {
            // Shift [head, pos) one slot left into the consumed space.
            Array.Copy(_current, _head, _current, _head - 1, pos - _head);
            _head--;
            pos--;
        }
        else
        {
            if (_currentEnd == _current.Length)
            {
                int before = _head;
                MakeRoomAtEndOfCurrent();
                pos -= before - _head;
            }

            Array.Copy(_current, pos, _current, pos + 1, _currentEnd - pos);
            _currentEnd++;
        }

        ref Entry e = ref _current[pos];
        e.Time = _base;
        e.Order = order;
        e.Payload = payload;
    }

    private void MakeRoomAtEndOfCurrent()
    {
        int live = _currentEnd - _head;
        if (_head > 0 && _head >= live)
        {
            Array.Copy(_current, _head, _current, 0, live);
            if (RuntimeHelpers.IsReferenceOrContainsReferences<TPayload>())
            {
                Array.Clear(_current, live, _currentEnd - live);
            }
        }
        else
        {
            var bigger = new Entry[_current.Length * 2];
            Array.Copy(_current, _head, bigger, 0, live);
            _current = bigger;
        }

        _head = 0;
        _currentEnd = live;
    }

    // Gives bucket b a new last chunk (its tail slot sat on a chunk boundary) and returns the first slot in it.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int StartChunk(int b)
    {
        if (_freeChunk == NoChunk)
        {
            GrowPool();
        }

        int chunk = _freeChunk;
        _freeChunk = _nextChunk[chunk];
        _freeCount--;
        _nextChunk[chunk] = NoChunk;
        ulong bit = 1UL << (b - 1);
        if ((_nonEmpty & bit) == 0)
        {
            _firstChunk[b] = chunk;
            _nonEmpty |= bit;
        }
        else
        {
            _nextChunk[(_tail[b] - 1) >> ChunkShift] = chunk;
        }

        return chunk << ChunkShift;
    }

    private void AddFreeChunks(int from, int to)
    {
        for (int c = to - 1; c >= from; c--)
        {
            _nextChunk[c] = _freeChunk;
            _freeChunk = c;
        }

        _freeCount += to - from;
    }

    // The free list is empty. Chunks in use never exceed (pending events / ChunkSize) + MaxPartialChunks: each of
    // the 64 buckets has at most one partly filled chunk, plus the chunk being drained during a refill. Growing to
    // at least that bound for the current count (and at least doubling) means a queue whose size has stopped
    // growing never grows its pool again, however its events spread over the buckets later.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void GrowPool()
    {
        int bound = ((_count + 1) >> ChunkShift) + MaxPartialChunks + 1;
        int newCount = Math.Max(_chunkCount * 2, (int)BitOperations.RoundUpToPowerOf2((uint)bound));
        Array.Resize(ref _pool, newCount * ChunkSize);
        Array.Resize(ref _nextChunk, newCount);
        AddFreeChunks(_chunkCount, newCount);
        _chunkCount = newCount;
    }

    // Bucket 0 is empty and _count > 0: move the lowest non-empty bucket down.
    private void Refill()
    {
        int b = BitOperations.TrailingZeroCount(_nonEmpty) + 1;
        int first = _firstChunk[b];
        int end = _tail[b];
        int lastChunk = (end - 1) >> ChunkShift;

        // Pass 1: minimum and maximum time, and the item count.
        Entry[] pool = _pool;
        int[] next = _nextChunk;
        ulong min = ulong.MaxValue;
        ulong max = 0;
        int n = 0;
        for (int chunk = first; ; chunk = next[chunk])
        {
            int start = chunk << ChunkShift;
            int stop = chunk == lastChunk ? end : start + ChunkSize;
            ref Entry c0 = ref pool[start];
            int len = stop - start;
            for (int i = 0; i < len; i++)
            {
                ulong t = Unsafe.Add(ref c0, i).Time;
                min = t < min ? t : min;
                max = t > max ? t : max;
            }

            n += len;
            if (chunk == lastChunk)
            {
                break;
            }
        }

        _base = min;
        _nonEmpty &= ~(1UL << (b - 1));
        _tail[b] = 0;
        _head = 0;

        Entry[] cur = _current;
        if (min == max)
        {
            if (cur.Length < n)
            {
                _current = cur = new Entry[Math.Max(cur.Length * 2, (int)BitOperations.RoundUpToPowerOf2((uint)n))];
            }

            // One distinct time: the whole bucket becomes bucket 0 in order, chunk by chunk.
            int c = 0;
            for (int chunk = first; ;)
            {
                int start = chunk << ChunkShift;
                int len = (chunk == lastChunk ? end : start + ChunkSize) - start;
                Array.Copy(pool, start, cur, c, len);
                c += len;
                int following = next[chunk];
                FreeChunk(chunk, start, len);
                if (chunk == lastChunk)
                {
                    break;
                }

                chunk = following;
            }

            _currentEnd = c;
        }
        else
        {
            // Every item lands in bucket 0 or a lower bucket. StartChunk may grow (move) the pool: re-read it.
            int[] tails = _tail;
            int c = 0;
            for (int chunk = first; ;)
            {
                int start = chunk << ChunkShift;
                int stop = chunk == lastChunk ? end : start + ChunkSize;
                ref int tail0 = ref MemoryMarshal.GetArrayDataReference(tails);
                for (int i = start; i < stop; i++)
                {
                    ref Entry p0 = ref MemoryMarshal.GetArrayDataReference(pool);
                    ref Entry e = ref Unsafe.Add(ref p0, i);
                    ulong diff = e.Time ^ min;
                    if (diff == 0)
                    {
                        if ((uint)c >= (uint)cur.Length)
                        {
                            cur = GrowCurrentDuringRefill(c);
                        }

                        cur[c++] = e;
                    }
                    else
                    {
                        // nb is in 1..b-1, so both the tail and the slot are in range.
                        int nb = 64 - BitOperations.LeadingZeroCount(diff);
                        ref int tail = ref Unsafe.Add(ref tail0, nb);
                        int slot = tail;
                        if ((slot & ChunkMask) == 0)
                        {
                            slot = StartChunk(nb);
                            pool = _pool;
                            p0 = ref MemoryMarshal.GetArrayDataReference(pool);
                            e = ref Unsafe.Add(ref p0, i);
                        }

                        Unsafe.Add(ref p0, slot) = e;
                        tail = slot + 1;
                    }
                }

                int following = _nextChunk[chunk];
                FreeChunk(chunk, start, stop - start);
                if (chunk == lastChunk)
                {
                    break;
                }

                chunk = following;
            }

            _currentEnd = c;
        }

        SortCurrent();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Entry[] GrowCurrentDuringRefill(int used)
    {
        var bigger = new Entry[_current.Length * 2];
        Array.Copy(_current, bigger, used);
        _current = bigger;
        return bigger;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FreeChunk(int chunk, int start, int len)
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TPayload>())
        {
            Array.Clear(_pool, start, len);
        }

        _nextChunk[chunk] = _freeChunk;
        _freeChunk = chunk;
        _freeCount++;
    }

    // Sorts bucket 0 ([0, _currentEnd), _head == 0) by Order. Within one time the items arrive in insertion order,
    // so usually they are already sorted or need only a stable partition by priority.
    private void SortCurrent()
    {
        int n = _currentEnd;
        if (n < 2)
        {
            return;
        }

        ref Entry c0 = ref MemoryMarshal.GetArrayDataReference(_current);
        if (IsSorted(ref c0, n))
        {
            return;
        }

        if (n <= InsertionSortLimit)
        {
            InsertionSort(ref c0, n);
            return;
        }

        // Stable counting sort on the priority byte into _scratch, then swap the arrays.
        if (_scratch.Length < n)
        {
            _scratch = new Entry[Math.Max(_scratch.Length * 2, _current.Length)];
        }

        Span<int> starts = stackalloc int[256];
        starts.Clear();
        for (int i = 0; i < n; i++)
        {
            starts[(int)(Unsafe.Add(ref c0, i).Order >> PriorityShift)]++;
        }

        int sum = 0;
        for (int p = 0; p < 256; p++)
        {
            int k = starts[p];
            starts[p] = sum;
            sum += k;
        }

        Entry[] dst = _scratch;
        for (int i = 0; i < n; i++)
        {
            ref Entry e = ref Unsafe.Add(ref c0, i);
            int p = (int)(e.Order >> PriorityShift);
            dst[starts[p]++] = e;
        }

        _scratch = _current;
        _current = dst;
        if (RuntimeHelpers.IsReferenceOrContainsReferences<TPayload>())
        {
            Array.Clear(_scratch, 0, n);
        }

        ref Entry d0 = ref MemoryMarshal.GetArrayDataReference(dst);
        if (!IsSorted(ref d0, n))
        {
            // Sequence numbers were not enqueued in increasing order: fall back to a full sort (keys are unique
            // when the caller numbers events uniquely, so an unstable sort is still exact).
            dst.AsSpan(0, n).Sort(s_compareOrder);
        }
    }

    private static bool IsSorted(ref Entry first, int n)
    {
        ulong prev = first.Order;
        for (int i = 1; i < n; i++)
        {
            ulong o = Unsafe.Add(ref first, i).Order;
            if (o < prev)
            {
                return false;
            }

            prev = o;
        }

        return true;
    }

    private static void InsertionSort(ref Entry first, int n)
    {
        for (int i = 1; i < n; i++)
        {
            Entry x = Unsafe.Add(ref first, i);
            int j = i - 1;
            while (j >= 0 && Unsafe.Add(ref first, j).Order > x.Order)
            {
                Unsafe.Add(ref first, j + 1) = Unsafe.Add(ref first, j);
                j--;
            }

            Unsafe.Add(ref first, j + 1) = x;
        }
    }

    // key.Time < _base: either a real violation (before the last dequeued event) or TryPeek advanced _base past a
    // time that is still legal. In the latter case rebuild the buckets around the new, earlier base (rare: O(n)).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EnqueueBeforeBase(in EventKey key, in TPayload payload)
    {
        if (key.Time < _lastDequeued)
        {
            throw new InvalidOperationException(
                $"Cannot schedule an event in the past: event time {key.Time} ps is before the time of the last " +
                $"dequeued event ({_lastDequeued} ps). Simulation time never goes backwards.");
        }

        int total = _count;
        if (_scratch.Length < total)
        {
            _scratch = new Entry[(int)Math.Max((uint)_scratch.Length * 2, BitOperations.RoundUpToPowerOf2((uint)total))];
        }

        Entry[] all = _scratch;
        int k = 0;
        for (int i = _head; i < _currentEnd; i++)
        {
            all[k++] = _current[i];
        }

        for (int b = 1; b < BucketCount; b++)
        {
            if ((_nonEmpty & (1UL << (b - 1))) == 0)
            {
                continue;
            }

            int end = _tail[b];
            int lastChunk = (end - 1) >> ChunkShift;
            for (int chunk = _firstChunk[b]; ;)
            {
                int start = chunk << ChunkShift;
                int len = (chunk == lastChunk ? end : start + ChunkSize) - start;
                Array.Copy(_pool, start, all, k, len);
                k += len;
                int following = _nextChunk[chunk];
                FreeChunk(chunk, start, len);
                if (chunk == lastChunk)
                {
                    break;
                }

                chunk = following;
            }

            _tail[b] = 0;
        }

        _nonEmpty = 0;
        _head = 0;
        _currentEnd = 0;
        _count = 0;
        _base = key.Time;
        for (int i = 0; i < k; i++)
        {
            ref Entry e = ref all[i];
            Enqueue(new EventKey(e.Time, e.Order), in e.Payload);
        }

        if (RuntimeHelpers.IsReferenceOrContainsReferences<TPayload>())
        {
            Array.Clear(all, 0, k);
        }

        Enqueue(in key, in payload);
    }

    private struct Entry
    {
        public ulong Time;
        public ulong Order;
        public TPayload Payload;
    }
}
