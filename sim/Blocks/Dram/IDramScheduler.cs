using Antoum.Sim.Config;

namespace Antoum.Sim.Blocks.Dram;

/// <summary>A request waiting in a <see cref="DramController"/> queue.</summary>
public readonly record struct DramRequest(ulong ArrivalPs, ulong Address, uint Bytes, bool IsWrite, long Tag);

/// <summary>
/// Picks which queued request a <see cref="DramController"/> serves next.
/// <para>Contract: eligibility only; must not mutate the model or the queue, and must not allocate. The queue is in
/// arrival order (index 0 = oldest) and holds only requests that have arrived. Ties break by arrival order: among
/// equally preferred requests the lowest index wins.</para>
/// </summary>
public interface IDramScheduler
{
    /// <summary>Registry name, e.g. "FCFS".</summary>
    string Name { get; }

    /// <summary>Index in <paramref name="queue"/> (non-empty) of the request to serve next.</summary>
    int Pick(ReadOnlySpan<DramRequest> queue, Lpddr4xModel model);
}

/// <summary>First come, first served: always the oldest request.</summary>
public sealed class FcfsScheduler : IDramScheduler
{
    public string Name => DramSchedulerNames.Fcfs;

    public int Pick(ReadOnlySpan<DramRequest> queue, Lpddr4xModel model) => 0;
}

/// <summary>First ready, first come, first served (Rixner et al., ISCA 2000): the oldest request whose first burst
/// hits an open row; when none does, the oldest request.</summary>
public sealed class FrFcfsScheduler : IDramScheduler
{
    public string Name => DramSchedulerNames.FrFcfs;

    public int Pick(ReadOnlySpan<DramRequest> queue, Lpddr4xModel model)
    {
        for (int i = 0; i < queue.Length; i++)
        {
            if (model.IsRowHit(queue[i].Address))
            {
                return i;
            }
        }

        return 0;
    }
}

/// <summary>The scheduler implementations by name (<c>chip.dram.scheduler</c>): an explicit registry, no reflection.</summary>
public static class DramSchedulers
{
    private static readonly Dictionary<string, Func<DramConfig, IDramScheduler>> s_registry = new(StringComparer.Ordinal)
    {
        [DramSchedulerNames.Fcfs] = _ => new FcfsScheduler(),
        [DramSchedulerNames.FrFcfs] = _ => new FrFcfsScheduler(),
    };

    /// <summary>Registered names, sorted.</summary>
    public static IReadOnlyList<string> Names
    {
        get
        {
            var names = new List<string>(s_registry.Keys);
            names.Sort(StringComparer.Ordinal);
            return names;
        }
    }

    /// <summary>Creates the scheduler named by <c>config.Scheduler</c>.</summary>
    public static IDramScheduler Create(DramConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!s_registry.TryGetValue(config.Scheduler, out Func<DramConfig, IDramScheduler>? make))
        {
            throw new ArgumentException($"unknown DRAM scheduler \"{config.Scheduler}\"; known: {string.Join(", ", Names)}", nameof(config));
        }

        return make(config);
    }
}

/// <summary>
/// Queued mode of one DDR interface: a bounded request queue in arrival order in front of an
/// <see cref="Lpddr4xModel"/>, served one request at a time in the order the configured scheduler picks.
/// Allocation-free after construction.
/// </summary>
public sealed class DramController
{
    private readonly DramRequest[] _queue;
    private int _count;

    public DramController(DramConfig config, int queueCapacity)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(queueCapacity, 1);
        Model = new Lpddr4xModel(config);
        Scheduler = DramSchedulers.Create(config);
        _queue = new DramRequest[queueCapacity];
    }

    /// <summary>The timing model (its <see cref="Lpddr4xModel.Stats"/> count what was served).</summary>
    public Lpddr4xModel Model { get; }

    public IDramScheduler Scheduler { get; }

    /// <summary>Requests waiting.</summary>
    public int Count => _count;

    public int Capacity => _queue.Length;

    /// <summary>Queues a request; false when the queue is full (the caller retries later). Requests must be enqueued
    /// in non-decreasing arrival time.</summary>
    public bool TryEnqueue(in DramRequest request)
    {
        if (_count == _queue.Length)
        {
            return false;
        }

        if (_count > 0 && request.ArrivalPs < _queue[_count - 1].ArrivalPs)
        {
            throw new ArgumentException("DRAM requests must be enqueued in non-decreasing arrival time", nameof(request));
        }

        _queue[_count++] = request;
        return true;
    }

    /// <summary>
    /// Serves the request the scheduler picks among those arrived by <paramref name="nowPs"/>: it is removed from the
    /// queue and timed by the model from max(now, arrival). False when no queued request has arrived by then.
    /// </summary>
    public bool TryServeNext(ulong nowPs, out DramRequest served, out ulong completionPs)
    {
        int arrived = 0;
        while (arrived < _count && _queue[arrived].ArrivalPs <= nowPs)
        {
            arrived++;
        }

        if (arrived == 0)
        {
            served = default;
            completionPs = 0;
            return false;
        }

        int i = Scheduler.Pick(new ReadOnlySpan<DramRequest>(_queue, 0, arrived), Model);
        served = _queue[i];
        Array.Copy(_queue, i + 1, _queue, i, _count - i - 1);
        _count--;
        _queue[_count] = default;
        completionPs = Model.Access(Math.Max(nowPs, served.ArrivalPs), served.Address, served.Bytes, served.IsWrite);
        return true;
    }
}
