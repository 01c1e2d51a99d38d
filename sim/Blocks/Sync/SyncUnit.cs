using System.Globalization;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Sync;

/// <summary>
/// The card's synchronisation unit: counting tokens (one space per chip plus one card-wide space), barriers and
/// stream launches. Engines reach it only through links (<c>req[e]</c> in, <c>grant[e]</c> out), so every sync
/// operation pays the link latency both ways.
/// <para>Semantics: <c>signal t</c> adds one to t; <c>wait t, n</c> blocks until t ≥ n, then takes n; waiters on
/// one token are served strictly first come, first served (a waiter that cannot be satisfied holds back those
/// behind it). <c>barrier id, p</c> releases all p engines when the p-th arrives (barrier ids are card-wide).
/// <c>launch e</c> tells engine e to start its stream.</para>
/// <para>Statistics: <c>signals</c>, <c>waits</c>, <c>barriers</c>, <c>launches</c>.</para>
/// </summary>
public sealed class SyncUnit : SimComponent, IReceiver<SyncRequest>, IRetryable
{
    /// <summary>Tokens per space (t0 … t4095).</summary>
    public const int TokensPerSpace = 4096;

    private readonly int _chips;
    private readonly int[] _engineChip;
    private readonly string[] _engineNames;
    private readonly InPort<SyncRequest>[] _req;
    private readonly OutPort<SyncGrant>[] _grant;
    private readonly long[] _counts;
    private readonly Dictionary<int, Queue<(int Engine, int Count)>> _waiters = new();
    private readonly Dictionary<int, List<int>> _barriers = new();
    private readonly Queue<(int Engine, SyncGrant Grant)> _unsent = new();
    private readonly (SyncKind Kind, int Token, bool Global, int Count)?[] _blocked;
    private readonly Counter _signals;
    private readonly Counter _waits;
    private readonly Counter _barrierCount;
    private readonly Counter _launches;

    // Completion watch (multi-batch programs): card-wide tokens _watchFirst .. _watchFirst + n - 1; the time each reached
    // _watchEach signals in total.
    private int _watchFirst = -1;
    private int _watchEach;
    private int[] _watchSignals = [];
    private ulong[] _watchDonePs = [];

    public SyncUnit(Simulator sim, string name, int chips, IReadOnlyList<int> engineChip, IReadOnlyList<string> engineNames)
        : base(sim, name)
    {
        _chips = chips;
        _engineChip = [.. engineChip];
        _engineNames = [.. engineNames];
        int engines = _engineChip.Length;
        _req = new InPort<SyncRequest>[engines];
        _grant = new OutPort<SyncGrant>[engines];
        _blocked = new (SyncKind, int, bool, int)?[engines];
        for (int e = 0; e < engines; e++)
        {
            _req[e] = AddInPort<SyncRequest>("req" + e.ToString(CultureInfo.InvariantCulture), this);
            _req[e].Tag = e;
            _grant[e] = AddOutPort<SyncGrant>("grant" + e.ToString(CultureInfo.InvariantCulture));
            _grant[e].RetryTarget = this;
        }

        _counts = new long[(chips + 1) * TokensPerSpace];
        _signals = sim.Stats.Counter(name + ".signals", "count", "token signals");
        _waits = sim.Stats.Counter(name + ".waits", "count", "token waits");
        _barrierCount = sim.Stats.Counter(name + ".barriers", "count", "barriers completed");
        _launches = sim.Stats.Counter(name + ".launches", "count", "stream launches");
    }

    public InPort<SyncRequest> RequestPort(int engine) => _req[engine];

    public OutPort<SyncGrant> GrantPort(int engine) => _grant[engine];

    /// <summary>
    /// Records, for each of the card-wide (global) tokens <paramref name="firstToken"/> .. +<paramref name="count"/>-1,
    /// the time the unit received the <paramref name="signalsEach"/>-th signal to it (a multi-batch program's batch
    /// completions: see <see cref="WatchedTimesPs"/>). Call before the run.
    /// </summary>
    public void WatchGlobalTokens(int firstToken, int count, int signalsEach)
    {
        if (firstToken < 0 || count < 1 || firstToken + count > TokensPerSpace || signalsEach < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"watched tokens {firstToken}+{count} (x{signalsEach}) outside the card-wide space");
        }

        _watchFirst = firstToken;
        _watchEach = signalsEach;
        _watchSignals = new int[count];
        _watchDonePs = new ulong[count];
    }

    /// <summary>Per watched token, the time its last expected signal arrived (0 if it has not yet).</summary>
    public IReadOnlyList<ulong> WatchedTimesPs => _watchDonePs;

    /// <summary>Token value in a space (for tests and reports).</summary>
    public long TokenValue(int chip, int token, bool global) => _counts[Slot(chip, token, global)];

    /// <summary>What engine <paramref name="engine"/> is blocked on, or null; e.g. "token t3 (needs 1, has 0)".</summary>
    public string? BlockedOn(int engine)
    {
        if (_blocked[engine] is not { } b)
        {
            return null;
        }

        string scope = b.Global ? "g:" : string.Empty;
        if (b.Kind == SyncKind.Barrier)
        {
            int arrived = _barriers.TryGetValue(b.Token, out List<int>? list) ? list.Count : 0;
            return string.Create(CultureInfo.InvariantCulture, $"barrier {b.Token} ({arrived} of {b.Count} arrived)");
        }

        long has = _counts[Slot(_engineChip[engine], b.Token, b.Global)];
        return string.Create(CultureInfo.InvariantCulture, $"token {scope}t{b.Token} (needs {b.Count}, has {has})");
    }

    void IReceiver<SyncRequest>.Receive(InPort<SyncRequest> port, in SyncRequest r)
    {
        int engine = port.Tag;
        port.Release();
        switch (r.Kind)
        {
            case SyncKind.Signal:
                {
                    _signals.Value++;
                    int slot = Slot(_engineChip[engine], r.Token, r.Global);
                    _counts[slot] += r.Count <= 0 ? 1 : r.Count;
                    if (r.Global && _watchFirst >= 0 && (uint)(r.Token - _watchFirst) < (uint)_watchSignals.Length
                        && ++_watchSignals[r.Token - _watchFirst] == _watchEach)
                    {
                        _watchDonePs[r.Token - _watchFirst] = Sim.Now;
                    }

                    ServeWaiters(slot, r.Token);
                    break;
                }

            case SyncKind.Wait:
                {
                    _waits.Value++;
                    int slot = Slot(_engineChip[engine], r.Token, r.Global);
                    if (!_waiters.TryGetValue(slot, out Queue<(int, int)>? queue))
                    {
                        queue = new Queue<(int, int)>();
                        _waiters[slot] = queue;
                    }

                    _blocked[engine] = (r.Kind, r.Token, r.Global, r.Count);
                    queue.Enqueue((engine, r.Count));
                    ServeWaiters(slot, r.Token, immediateEngine: engine);
                    break;
                }

            case SyncKind.Barrier:
                {
                    if (!_barriers.TryGetValue(r.Token, out List<int>? arrived))
                    {
                        arrived = new List<int>();
                        _barriers[r.Token] = arrived;
                    }

                    arrived.Add(engine);
                    _blocked[engine] = (r.Kind, r.Token, false, r.Count);
                    if (arrived.Count >= r.Count)
                    {
                        _barrierCount.Value++;
                        _barriers.Remove(r.Token);
                        foreach (int e in arrived)
                        {
                            _blocked[e] = null;
                            Send(e, new SyncGrant(SyncKind.Barrier, r.Token));
                        }
                    }

                    break;
                }

            case SyncKind.Launch:
                {
                    _launches.Value++;
                    if (r.Token < 0 || r.Token >= _grant.Length)
                    {
                        throw new Config.SimInvariantException($"{Name} @ {Sim.Now} ps: launch of unknown engine {r.Token}");
                    }

                    Send(r.Token, new SyncGrant(SyncKind.Launch, r.Token));
                    break;
                }
        }
    }

    void IRetryable.OnRetry(IPort port)
    {
        int n = _unsent.Count;
        for (int i = 0; i < n; i++)
        {
            (int e, SyncGrant g) = _unsent.Dequeue();
            Send(e, g);
        }
    }

    /// <summary>Names of engines and what each is blocked on, in engine order.</summary>
    public List<string> DescribeBlocked()
    {
        var list = new List<string>();
        for (int e = 0; e < _blocked.Length; e++)
        {
            string? what = BlockedOn(e);
            if (what is not null)
            {
                list.Add(_engineNames[e] + " waits for " + what);
            }
        }

        return list;
    }

    // immediateEngine: the engine whose wait request just arrived; its grant, if served now, is flagged Immediate.
    private void ServeWaiters(int slot, int token, int immediateEngine = -1)
    {
        if (!_waiters.TryGetValue(slot, out Queue<(int Engine, int Count)>? queue))
        {
            return;
        }

        while (queue.Count > 0)
        {
            (int engine, int count) = queue.Peek();
            if (_counts[slot] < count)
            {
                return;
            }

            _counts[slot] -= count;
            queue.Dequeue();
            _blocked[engine] = null;
            Send(engine, new SyncGrant(SyncKind.Wait, token, engine == immediateEngine));
        }
    }

    private void Send(int engine, SyncGrant grant)
    {
        if (!_grant[engine].TrySend(grant, 8))
        {
            _unsent.Enqueue((engine, grant));
        }
    }

    private int Slot(int chip, int token, bool global)
    {
        if (token < 0 || token >= TokensPerSpace)
        {
            throw new Config.SimInvariantException($"{Name}: token {token} out of range");
        }

        return ((global ? _chips : chip) * TokensPerSpace) + token;
    }
}
