using System.Runtime.CompilerServices;

namespace Antoum.Sim.Kernel;

/// <summary>
/// The ordering key of a scheduled event: simulation time in picoseconds, then a packed
/// <see cref="Order"/> word holding the priority (top 8 bits) and the insertion sequence number (low 56 bits).
/// Comparing keys compares (<see cref="Time"/>, <see cref="Priority"/>, <see cref="Seq"/>) lexicographically,
/// which gives the kernel a total, deterministic order: earlier time first, then lower priority value, then
/// first-scheduled first (FIFO).
/// </summary>
public readonly struct EventKey : IComparable<EventKey>, IEquatable<EventKey>
{
    /// <summary>Largest allowed priority value.</summary>
    public const int MaxPriority = 255;

    /// <summary>Largest allowed sequence number (2^56 - 1).</summary>
    public const ulong MaxSeq = (1UL << SeqBits) - 1;

    private const int SeqBits = 56;

    /// <summary>Simulation time of the event, in picoseconds.</summary>
    public readonly ulong Time;

    /// <summary><c>((ulong)priority &lt;&lt; 56) | seq</c>: the tie-breaker within one <see cref="Time"/>.</summary>
    public readonly ulong Order;

    /// <summary>Creates a key.</summary>
    /// <param name="time">Simulation time in picoseconds.</param>
    /// <param name="priority">0..255; lower runs first within the same time (see <see cref="Priorities"/>).</param>
    /// <param name="seq">Insertion sequence number, below 2^56; lower runs first within the same time and priority.</param>
    /// <exception cref="ArgumentOutOfRangeException">priority or seq is out of range.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public EventKey(ulong time, int priority, ulong seq)
    {
        if ((uint)priority > MaxPriority)
        {
            ThrowPriorityOutOfRange(priority);
        }

        if (seq > MaxSeq)
        {
            ThrowSeqOutOfRange(seq);
        }

        Time = time;
        Order = ((ulong)priority << SeqBits) | seq;
    }

    /// <summary>Creates a key from an already packed order word (no validation needed: every word is valid).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal EventKey(ulong time, ulong order)
    {
        Time = time;
        Order = order;
    }

    /// <summary>The priority, 0..255.</summary>
    public int Priority => (int)(Order >> SeqBits);

    /// <summary>The insertion sequence number.</summary>
    public ulong Seq => Order & MaxSeq;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CompareTo(EventKey other)
    {
        if (Time != other.Time)
        {
            return Time < other.Time ? -1 : 1;
        }

        return Order.CompareTo(other.Order);
    }

    public bool Equals(EventKey other) => Time == other.Time && Order == other.Order;

    public override bool Equals(object? obj) => obj is EventKey other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Time, Order);

    public override string ToString() => $"t={Time}ps prio={Priority} seq={Seq}";

    public static bool operator ==(EventKey left, EventKey right) => left.Equals(right);

    public static bool operator !=(EventKey left, EventKey right) => !left.Equals(right);

    public static bool operator <(EventKey left, EventKey right) => left.CompareTo(right) < 0;

    public static bool operator <=(EventKey left, EventKey right) => left.CompareTo(right) <= 0;

    public static bool operator >(EventKey left, EventKey right) => left.CompareTo(right) > 0;

    public static bool operator >=(EventKey left, EventKey right) => left.CompareTo(right) >= 0;

    private static void ThrowPriorityOutOfRange(int priority)
    {
        throw new ArgumentOutOfRangeException(nameof(priority), priority, $"Event priority must be 0..{MaxPriority}.");
    }

    private static void ThrowSeqOutOfRange(ulong seq)
    {
        throw new ArgumentOutOfRangeException(nameof(seq), seq, "Event sequence number must be below 2^56.");
    }
}
