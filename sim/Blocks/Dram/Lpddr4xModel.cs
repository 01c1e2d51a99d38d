using System.Runtime.CompilerServices;
using Antoum.Sim.Config;

namespace Antoum.Sim.Blocks.Dram;

/// <summary>What a burst found in its bank.</summary>
public enum DramRowOutcome
{
    /// <summary>The bank had the burst's row open: column command only.</summary>
    Hit,

    /// <summary>The bank was closed (or just refreshed): ACTIVATE, then the column command.</summary>
    Miss,

    /// <summary>The bank had another row open: PRECHARGE, ACTIVATE, then the column command.</summary>
    Conflict,
}

/// <summary>Where an address lands in one interface.</summary>
public readonly record struct DramLocation(int Channel, int Rank, int Bank, ulong Row, int Column);

/// <summary>
/// The command times one burst would get (from <see cref="Lpddr4xModel.Peek"/>): PRECHARGE and ACTIVATE are
/// <see cref="None"/> when not needed. All times are ps on tCK edges.
/// </summary>
public readonly record struct DramBurstPlan(
    DramRowOutcome Outcome,
    ulong PrechargePs,
    ulong ActivatePs,
    ulong ColumnPs,
    ulong DataStartPs,
    ulong DataEndPs,
    ulong RefreshEndPs)
{
    /// <summary>Marks a command the burst does not need.</summary>
    public const ulong None = ulong.MaxValue;

    /// <summary>Time of the burst's first command.</summary>
    public ulong FirstCommandPs => PrechargePs != None ? PrechargePs : ActivatePs != None ? ActivatePs : ColumnPs;
}

/// <summary>
/// Synchronous, allocation-free LPDDR4x timing model of ONE DDR interface (its channels, ranks and banks).
/// <para>
/// <see cref="Access"/> serves a request arriving at <c>nowPs</c> and returns the time its last data beat ends. The
/// request is split into bursts of BL x channelWidth/8 bytes (covering the byte range), mapped to channel, rank, bank,
/// row and column by the configured address mapping, and served in order. Per channel, requests are served in
/// arrival order (FCFS): column commands (READ / WRITE), and so data, keep arrival order; PRECHARGEs keep arrival
/// order among themselves and so do ACTIVATEs, but they may issue before an earlier request's later commands (bank
/// look-ahead, as a controller with a request queue does). Each command goes at the earliest tCK edge
/// at or after the request's arrival that meets every rule of the timing table: tRCD, tRP, tRAS, tRRD, tFAW, tCCD,
/// RL / WL, tWR, tWTR, tRTP, read-to-write turnaround, and one data bus per channel. Channels are independent, so the
/// bursts of one request spread over channels proceed in parallel. Callers present requests in non-decreasing
/// <c>nowPs</c> per interface.
/// </para>
/// <para>
/// Refresh (when <c>refresh = allBank</c>): rank r of every channel owes its k-th all-bank refresh at k x tREFI
/// (k = 1, 2, ...). A burst whose first command would issue at or after a due time lets the refresh go first:
/// PRECHARGE ALL (when a bank is open, after its tRAS / tWR / tRTP) plus tRPab, then REFRESH, which blocks the rank
/// for tRFCab and leaves all its banks closed. Refreshes owed during idle time happen at their due times.
/// </para>
/// <para>Not modelled: command-bus (CA) slot occupancy, per-bank refresh, power-down and self-refresh, rank-to-rank
/// switch gaps, ODT, DBI, ECC, and write buffering (a write completes when its data has been transferred).</para>
/// </summary>
public sealed class Lpddr4xModel
{
    private const long Closed = -1;

    private readonly DramTimingTable _t;
    private readonly bool _refresh;
    private readonly int _channels;
    private readonly int _ranks;
    private readonly int _banks;
    private readonly int _burstBytes;

    // Address mapping: shift and mask of each field (mask ulong.MaxValue = all remaining bits).
    private readonly int _colShift;
    private readonly ulong _colMask;
    private readonly int _chShift;
    private readonly ulong _chMask;
    private readonly int _baShift;
    private readonly ulong _baMask;
    private readonly int _raShift;
    private readonly ulong _raMask;
    private readonly int _roShift;
    private readonly ulong _roMask;

    // Batched path (see Access): log2 of the burst size, and how many interleaved runs ("lanes") a request's bursts
    // split into: 1 when the column field is the lowest (consecutive bursts are consecutive columns), the channel
    // count when the channel field is the lowest and the column field next (consecutive bursts alternate channels),
    // 0 for any other mapping (another field of the same channel sits below the column: per-burst only).
    private readonly int _burstShift;
    private readonly int _lanes;

    // Timing in ps (cycles x tCK).
    private readonly ulong _tck;
    private readonly ulong _burstPs;
    private readonly ulong _rlPs;
    private readonly ulong _wlPs;
    private readonly ulong _ccdPs;
    private readonly ulong _rcdPs;
    private readonly ulong _rpPs;
    private readonly ulong _rpAbPs;
    private readonly ulong _rasPs;
    private readonly ulong _rrdPs;
    private readonly ulong _fawPs;
    private readonly ulong _rfcPs;
    private readonly ulong _refiPs;
    private readonly ulong _readToPrePs;
    private readonly ulong _writeToPrePs;
    private readonly ulong _writeToReadPs;
    private readonly ulong _readToWritePs;
    private readonly ulong _hitStepPs; // column-to-column gap of back-to-back same-direction row hits: max(tCCD, BL/2)

    // Per bank (index (channel x ranks + rank) x banks + bank).
    private readonly long[] _openRow;
    private readonly ulong[] _actAllowed;
    private readonly ulong[] _preAllowed;
    private readonly ulong[] _colAllowed;

    // Per rank (index channel x ranks + rank).
    private readonly ulong[] _rrdAllowed;
    private readonly ulong[] _fawAllowed; // four slots per rank: ACT time + tFAW of the last four ACTIVATEs
    private readonly int[] _fawHead;
    private readonly ulong[] _refreshDue;

    // Per channel: last PRECHARGE, ACTIVATE and column command (READ / WRITE) placed; each kind issues in order.
    private readonly ulong[] _lastPre;
    private readonly ulong[] _lastAct;
    private readonly ulong[] _lastColumn;
    private readonly ulong[] _readAllowed;
    private readonly ulong[] _writeAllowed;
    private readonly ulong[] _dataFree;

    /// <summary>Builds the model of one interface from a validated <c>chip.dram</c> config.</summary>
    public Lpddr4xModel(DramConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        DramOrganisationConfig o = config.Organisation;
        _t = new DramTimingTable(config);
        _refresh = string.Equals(config.Refresh, "allBank", StringComparison.Ordinal);
        _channels = o.ChannelsPerInterface;
        _ranks = o.Ranks;
        _banks = o.Banks;
        _burstBytes = o.BurstBytes(config.Timing.BurstLength);
        if (!DramAddressMapping.TryParse(o.AddressMapping, o.Ranks, out DramField[] fields, out string problem))
        {
            throw new ArgumentException(problem, nameof(config));
        }

        int shift = Log2((ulong)_burstBytes);
        for (int i = 0; i < fields.Length; i++)
        {
            bool top = i == fields.Length - 1;
            int bits = fields[i] switch
            {
                DramField.Column => Log2(o.PageSize.Bytes / (ulong)_burstBytes),
                DramField.Channel => Log2((ulong)_channels),
                DramField.Bank => Log2((ulong)_banks),
                DramField.Rank => Log2((ulong)_ranks),
                _ => Log2((ulong)o.RowsPerBank),
            };
            ulong mask = top && fields[i] == DramField.Row ? ulong.MaxValue : (1UL << bits) - 1;
            switch (fields[i])
            {
                case DramField.Column:
                    (_colShift, _colMask) = (shift, mask);
                    break;
                case DramField.Channel:
                    (_chShift, _chMask) = (shift, mask);
                    break;
                case DramField.Bank:
                    (_baShift, _baMask) = (shift, mask);
                    break;
                case DramField.Rank:
                    (_raShift, _raMask) = (shift, mask);
                    break;
                default:
                    (_roShift, _roMask) = (shift, mask);
                    break;
            }

            shift += bits;
        }

        _tck = _t.TckPs;
        _burstPs = _t.Ps(_t.BurstCycles);
        _rlPs = _t.Ps(_t.Rl);
        _wlPs = _t.Ps(_t.Wl);
        _ccdPs = _t.Ps(_t.Ccd);
        _rcdPs = _t.Ps(_t.Rcd);
        _rpPs = _t.Ps(_t.Rp);
        _rpAbPs = _t.Ps(_t.RpAb);
        _rasPs = _t.Ps(_t.Ras);
        _rrdPs = _t.Ps(_t.Rrd);
        _fawPs = _t.Ps(_t.Faw);
        _rfcPs = _t.Ps(_t.RfcAb);
        _refiPs = _t.Ps(_t.Refi);
        _readToPrePs = _t.Ps(_t.ReadToPrecharge);
        _writeToPrePs = _t.Ps(_t.WriteToPrecharge);
        _writeToReadPs = _t.Ps(_t.WriteToRead);
        _readToWritePs = _t.Ps(_t.ReadToWrite);
        _hitStepPs = Math.Max(_ccdPs, _burstPs);

        _burstShift = Log2((ulong)_burstBytes);
        if (_colShift == _burstShift)
        {
            _lanes = 1;
        }
        else if (_chShift == _burstShift && _colShift == _burstShift + Log2((ulong)_channels))
        {
            _lanes = _channels;
        }

        int rankCount = _channels * _ranks;
        int bankCount = rankCount * _banks;
        _openRow = new long[bankCount];
        Array.Fill(_openRow, Closed);
        _actAllowed = new ulong[bankCount];
        _preAllowed = new ulong[bankCount];
        _colAllowed = new ulong[bankCount];
        _rrdAllowed = new ulong[rankCount];
        _fawAllowed = new ulong[rankCount * 4];
        _fawHead = new int[rankCount];
        _refreshDue = new ulong[rankCount];
        Array.Fill(_refreshDue, _refresh ? _refiPs : ulong.MaxValue);
        _lastPre = new ulong[_channels];
        _lastAct = new ulong[_channels];
        _lastColumn = new ulong[_channels];
        _readAllowed = new ulong[_channels];
        _writeAllowed = new ulong[_channels];
        _dataFree = new ulong[_channels];
        Stats = new DramStats(_channels);
    }

    /// <summary>The resolved timing table (cycles; tCK in ps).</summary>
    public DramTimingTable Timing => _t;

    /// <summary>Counters of this interface.</summary>
    public DramStats Stats { get; }

    /// <summary>Channels of this interface.</summary>
    public int Channels => _channels;

    /// <summary>Bytes per burst on one channel.</summary>
    public int BurstBytes => _burstBytes;

    /// <summary>Peak data bandwidth of the interface in B/s: channels x burst bytes / (BL/2 x tCK).</summary>
    public ulong PeakBytesPerSecond => (ulong)((UInt128)(ulong)_channels * (ulong)_burstBytes * 1_000_000_000_000UL / _burstPs);

    /// <summary>Maps an address of this interface to channel, rank, bank, row and column burst.</summary>
    public DramLocation Decode(ulong address)
    {
        return new DramLocation(
            (int)((address >> _chShift) & _chMask),
            (int)((address >> _raShift) & _raMask),
            (int)((address >> _baShift) & _baMask),
            (address >> _roShift) & _roMask,
            (int)((address >> _colShift) & _colMask));
    }

    /// <summary>
    /// Serves a request of <paramref name="bytes"/> bytes at <paramref name="address"/> arriving at
    /// <paramref name="nowPs"/> and returns the time in ps its last data beat ends (reads: data at the pins; writes:
    /// data written). Updates bank state and <see cref="Stats"/>. Allocation-free.
    /// <para>
    /// Long requests are batched: under mappings with the column field lowest, or the channel field lowest and the
    /// column field next (e.g. <c>ChRoBaCo</c>, <c>RoBaRaCoCh</c>), the bursts of one channel run through consecutive
    /// columns, so after the first burst of each row the rest of the row are row hits placed in closed form
    /// (<see cref="RowHits"/>) until a refresh falls due. The result, state and counters are those of
    /// <see cref="AccessReference"/> (one <see cref="Burst"/> per burst), which other mappings use.
    /// </para>
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ulong Access(ulong nowPs, ulong address, uint bytes, bool isWrite)
    {
        if (bytes == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "a DRAM request needs at least one byte");
        }

        ulong firstBurst = address >> _burstShift;
        ulong count = ((address + bytes - 1) >> _burstShift) - firstBurst + 1;
        ulong done = nowPs;
        if (_lanes == 0 || count == 1 || address + bytes - 1 < address)
        {
            done = AccessPerBurst(nowPs, address, bytes, isWrite);
        }
        else
        {
            // Lane j holds bursts firstBurst + j, + j + lanes, ...: all on one channel, consecutive columns. Channels
            // share no state (and the counters are sums), so serving the lanes one after the other leaves exactly
            // the state and counters that serving the bursts in address order does.
            ulong lanes = (ulong)_lanes;
            for (ulong j = 0; j < lanes && j < count; j++)
            {
                done = Lane(nowPs, firstBurst + j, ((count - j - 1) / lanes) + 1, isWrite, done);
            }
        }

        CountRequest(bytes, isWrite);
        return done;
    }

    /// <summary>
    /// The reference implementation of <see cref="Access"/>: one <see cref="Burst"/> per burst, in address order.
    /// <see cref="Access"/> must give the same completion time, state and <see cref="Stats"/>; tests compare them.
    /// </summary>
    internal ulong AccessReference(ulong nowPs, ulong address, uint bytes, bool isWrite)
    {
        if (bytes == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "a DRAM request needs at least one byte");
        }

        ulong done = AccessPerBurst(nowPs, address, bytes, isWrite);
        CountRequest(bytes, isWrite);
        return done;
    }

    /// <summary>True when every piece of timing state (banks, ranks, channels, refresh schedule) equals
    /// <paramref name="other"/>'s. For tests comparing <see cref="Access"/> with <see cref="AccessReference"/>.</summary>
    internal bool SameStateAs(Lpddr4xModel other)
    {
        return _openRow.AsSpan().SequenceEqual(other._openRow)
            && _actAllowed.AsSpan().SequenceEqual(other._actAllowed)
            && _preAllowed.AsSpan().SequenceEqual(other._preAllowed)
            && _colAllowed.AsSpan().SequenceEqual(other._colAllowed)
            && _rrdAllowed.AsSpan().SequenceEqual(other._rrdAllowed)
            && _fawAllowed.AsSpan().SequenceEqual(other._fawAllowed)
            && _fawHead.AsSpan().SequenceEqual(other._fawHead)
            && _refreshDue.AsSpan().SequenceEqual(other._refreshDue)
            && _lastPre.AsSpan().SequenceEqual(other._lastPre)
            && _lastAct.AsSpan().SequenceEqual(other._lastAct)
            && _lastColumn.AsSpan().SequenceEqual(other._lastColumn)
            && _readAllowed.AsSpan().SequenceEqual(other._readAllowed)
            && _writeAllowed.AsSpan().SequenceEqual(other._writeAllowed)
            && _dataFree.AsSpan().SequenceEqual(other._dataFree);
    }

    /// <summary>True when <see cref="Access"/> batches row hits under this address mapping (see the constructor).</summary>
    internal bool Batches => _lanes != 0;

    private ulong AccessPerBurst(ulong nowPs, ulong address, uint bytes, bool isWrite)
    {
        ulong mask = (ulong)_burstBytes - 1;
        ulong first = address & ~mask;
        ulong last = (address + bytes - 1) & ~mask;
        ulong done = nowPs;
        for (ulong a = first; ; a += (ulong)_burstBytes)
        {
            ulong end = Burst(nowPs, a, isWrite, commit: true).DataEndPs;
            done = end > done ? end : done;
            if (a == last)
            {
                break;
            }
        }

        return done;
    }

    private void CountRequest(uint bytes, bool isWrite)
    {
        Stats.Requests++;
        if (isWrite)
        {
            Stats.BytesWritten += bytes;
        }
        else
        {
            Stats.BytesRead += bytes;
        }
    }

    /// <summary>
    /// Serves <paramref name="n"/> bursts of one channel, burst indices <paramref name="burst"/>, + lanes, ...
    /// (consecutive columns, rolling over into the next bank or row when the column field wraps). The first burst of
    /// each row goes through <see cref="Burst"/>; the rest of the row, all hits, through <see cref="RowHits"/>.
    /// Returns max(<paramref name="done"/>, last data end).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong Lane(ulong nowPs, ulong burst, ulong n, bool isWrite, ulong done)
    {
        ulong lanes = (ulong)_lanes;
        while (n != 0)
        {
            ulong address = burst << _burstShift;
            ulong end = Burst(nowPs, address, isWrite, commit: true).DataEndPs;
            done = end > done ? end : done;
            n--;
            burst += lanes;

            // Bursts left in this row in this lane: until the column field wraps.
            ulong run = Math.Min(n, _colMask - ((address >> _colShift) & _colMask));
            if (run != 0)
            {
                ulong hits = RowHits(nowPs, address, run, isWrite, ref done);
                n -= hits;
                burst += hits * lanes;
            }
        }

        return done;
    }

    /// <summary>
    /// Serves up to <paramref name="run"/> bursts to the row of <paramref name="address"/>, right after
    /// <see cref="Burst"/> served a burst to that row in the same direction (so the row is open and that burst was
    /// the channel's last column command at C = last column time). Burst k (k = 1, 2, ...) is then a hit whose column
    /// command goes at C + k x max(tCCD, BL/2): tCCD after the previous one (the same-direction rule was set to
    /// C + tCCD, and the bank's tRCD, the arrival and the earlier rules are all at or before C), or later so that its
    /// data follows the previous burst's on the bus. It stays so as long as no refresh falls due: burst k lets a
    /// refresh go first when the rank's due time is at or before max(arrival, last ACTIVATE, C + (k - 1) x step).
    /// Serves the bursts before that (possibly none), updates every piece of state and every counter
    /// <see cref="Burst"/> would have (each "max" rule over increasing column times collapses to the last burst's),
    /// and returns how many it served.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong RowHits(ulong nowPs, ulong address, ulong run, bool isWrite, ref ulong done)
    {
        int ch = (int)((address >> _chShift) & _chMask);
        int rk = (ch * _ranks) + (int)((address >> _raShift) & _raMask);
        int b = (rk * _banks) + (int)((address >> _baShift) & _baMask);
        ulong col = _lastColumn[ch];
        ulong due = _refreshDue[rk];
        if (due <= Math.Max(Math.Max(AlignUp(nowPs), _lastAct[ch]), col))
        {
            return 0;
        }

        // Bursts k = 1.. with C + (k - 1) x step < due (no division when the whole run fits, e.g. refresh off).
        ulong n = due - col > (run - 1) * _hitStepPs ? run : ((due - col - 1) / _hitStepPs) + 1;
        col += n * _hitStepPs;
        if (isWrite)
        {
            _writeAllowed[ch] = Math.Max(_writeAllowed[ch], col + _ccdPs);
            _readAllowed[ch] = Math.Max(_readAllowed[ch], col + _writeToReadPs);
            _preAllowed[b] = Math.Max(_preAllowed[b], col + _writeToPrePs);
        }
        else
        {
            _readAllowed[ch] = Math.Max(_readAllowed[ch], col + _ccdPs);
            _writeAllowed[ch] = Math.Max(_writeAllowed[ch], col + _readToWritePs);
            _preAllowed[b] = Math.Max(_preAllowed[b], col + _readToPrePs);
        }

        ulong dataEnd = col + (isWrite ? _wlPs : _rlPs) + _burstPs;
        _lastColumn[ch] = col;
        _dataFree[ch] = dataEnd;
        done = dataEnd > done ? dataEnd : done;
        DramStats s = Stats;
        s.ChannelBusyPs[ch] += (long)(n * _burstPs);
        s.Bursts += (long)n;
        s.RowHits += (long)n;
        return n;
    }

    /// <summary>The plan one burst at <paramref name="address"/> would get if it arrived at <paramref name="nowPs"/>,
    /// without changing any state (refreshes owed by then are taken into account).</summary>
    public DramBurstPlan Peek(ulong nowPs, ulong address, bool isWrite)
    {
        return Burst(nowPs, address, isWrite, commit: false);
    }

    /// <summary>True when the bank of <paramref name="address"/> has its row open (refreshes owed are not
    /// considered). Pure; for schedulers.</summary>
    public bool IsRowHit(ulong address)
    {
        int ch = (int)((address >> _chShift) & _chMask);
        int rk = (ch * _ranks) + (int)((address >> _raShift) & _raMask);
        int b = (rk * _banks) + (int)((address >> _baShift) & _baMask);
        return _openRow[b] == (long)((address >> _roShift) & _roMask);
    }

    /// <summary>True when a burst arriving at <paramref name="atPs"/> could issue its first command (PRECHARGE,
    /// ACTIVATE or the column command) exactly at <paramref name="atPs"/>: a tCK edge meeting every timing rule.</summary>
    public bool CanIssueAt(ulong atPs, ulong address, bool isWrite)
    {
        return atPs % _tck == 0 && Peek(atPs, address, isWrite).FirstCommandPs == atPs;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private DramBurstPlan Burst(ulong nowPs, ulong address, bool isWrite, bool commit)
    {
        int ch = (int)((address >> _chShift) & _chMask);
        int rk = (ch * _ranks) + (int)((address >> _raShift) & _raMask);
        int b = (rk * _banks) + (int)((address >> _baShift) & _baMask);
        long row = (long)((address >> _roShift) & _roMask);

        ulong t = AlignUp(nowPs);

        // Refreshes owed by the time the channel's command stream reaches this burst go first.
        ulong reached = Math.Max(t, Math.Max(_lastAct[ch], _lastColumn[ch]));
        ulong refreshEnd = 0;
        ulong refreshCount = 0;
        ulong nextDue = _refreshDue[rk];
        if (nextDue <= reached)
        {
            refreshEnd = PendingRefresh(ch, rk, reached, out refreshCount, out nextDue);
        }

        bool refreshed = refreshCount != 0;
        long open = refreshed ? Closed : _openRow[b];
        ulong pre = DramBurstPlan.None;
        ulong act = DramBurstPlan.None;
        ulong col;
        DramRowOutcome outcome;
        if (open == row)
        {
            outcome = DramRowOutcome.Hit;
            col = Math.Max(t, _colAllowed[b]);
        }
        else
        {
            ulong a = Math.Max(t, _lastAct[ch]);
            if (open != Closed)
            {
                outcome = DramRowOutcome.Conflict;
                pre = Math.Max(Math.Max(t, _lastPre[ch]), _preAllowed[b]);
                a = Math.Max(a, pre + _rpPs);
            }
            else
            {
                outcome = DramRowOutcome.Miss;
            }

            a = Math.Max(a, refreshed ? Math.Max(refreshEnd, _actAllowed[b]) : _actAllowed[b]);
            a = Math.Max(a, _rrdAllowed[rk]);
            a = Math.Max(a, _fawAllowed[(rk * 4) + _fawHead[rk]]);
            act = a;
            col = act + _rcdPs;
        }

        col = Math.Max(col, Math.Max(_lastColumn[ch], isWrite ? _writeAllowed[ch] : _readAllowed[ch]));
        ulong dataStart = col + (isWrite ? _wlPs : _rlPs);
        if (dataStart < _dataFree[ch])
        {
            col += _dataFree[ch] - dataStart;
            dataStart = _dataFree[ch];
        }

        ulong dataEnd = dataStart + _burstPs;
        var plan = new DramBurstPlan(outcome, pre, act, col, dataStart, dataEnd, refreshed ? refreshEnd : 0);
        if (!commit)
        {
            return plan;
        }

        DramStats s = Stats;
        if (refreshed)
        {
            int firstBank = rk * _banks;
            for (int i = firstBank; i < firstBank + _banks; i++)
            {
                _openRow[i] = Closed;
                _actAllowed[i] = Math.Max(_actAllowed[i], refreshEnd);
            }

            _refreshDue[rk] = nextDue;
            s.Refreshes += (long)refreshCount;
            if (refreshEnd > reached)
            {
                s.RefreshStalls++;
                s.RefreshStallPs += (long)(refreshEnd - reached);
            }
        }

        if (pre != DramBurstPlan.None)
        {
            _lastPre[ch] = pre;
            _actAllowed[b] = Math.Max(_actAllowed[b], pre + _rpPs);
        }

        if (act != DramBurstPlan.None)
        {
            _lastAct[ch] = act;
            _openRow[b] = row;
            _colAllowed[b] = act + _rcdPs;
            _preAllowed[b] = Math.Max(_preAllowed[b], act + _rasPs);
            _rrdAllowed[rk] = act + _rrdPs;
            _fawAllowed[(rk * 4) + _fawHead[rk]] = act + _fawPs;
            _fawHead[rk] = (_fawHead[rk] + 1) & 3;
        }

        if (isWrite)
        {
            _writeAllowed[ch] = Math.Max(_writeAllowed[ch], col + _ccdPs);
            _readAllowed[ch] = Math.Max(_readAllowed[ch], col + _writeToReadPs);
            _preAllowed[b] = Math.Max(_preAllowed[b], col + _writeToPrePs);
        }
        else
        {
            _readAllowed[ch] = Math.Max(_readAllowed[ch], col + _ccdPs);
            _writeAllowed[ch] = Math.Max(_writeAllowed[ch], col + _readToWritePs);
            _preAllowed[b] = Math.Max(_preAllowed[b], col + _readToPrePs);
        }

        _lastColumn[ch] = col;
        _dataFree[ch] = dataEnd;
        s.ChannelBusyPs[ch] += (long)_burstPs;
        s.Bursts++;
        switch (outcome)
        {
            case DramRowOutcome.Hit:
                s.RowHits++;
                break;
            case DramRowOutcome.Miss:
                s.RowMisses++;
                break;
            default:
                s.RowConflicts++;
                break;
        }

        return plan;
    }

    /// <summary>
    /// The refreshes rank <paramref name="rk"/> owes by <paramref name="t"/> (at least one): returns when the last
    /// ends, how many there are and the next due time. Pure: changes no state.
    /// </summary>
    private ulong PendingRefresh(int ch, int rk, ulong t, out ulong count, out ulong nextDue)
    {
        ulong due = _refreshDue[rk];

        // The first owed refresh waits for the rank: open banks need PRECHARGE ALL (after their tRAS, tRTP, tWR)
        // plus tRPab; closed banks their tRP.
        ulong start = Math.Max(due, Math.Max(Math.Max(_lastPre[ch], _lastAct[ch]), _lastColumn[ch]));
        ulong preAll = start;
        ulong ready = start;
        bool anyOpen = false;
        int firstBank = rk * _banks;
        for (int i = firstBank; i < firstBank + _banks; i++)
        {
            ready = Math.Max(ready, _actAllowed[i]);
            if (_openRow[i] != Closed)
            {
                anyOpen = true;
                preAll = Math.Max(preAll, _preAllowed[i]);
            }
        }

        start = anyOpen ? Math.Max(preAll + _rpAbPs, ready) : ready;
        ulong end = start + _rfcPs;
        count = 1;
        due += _refiPs;

        // Later owed refreshes: each at max(its due time, the previous end); once one starts on time, all the rest
        // do too (tRFCab < tREFI), so jump to the last.
        while (due <= t)
        {
            if (due >= end)
            {
                ulong more = (t - due) / _refiPs;
                due += more * _refiPs;
                count += more + 1;
                end = due + _rfcPs;
                due += _refiPs;
                break;
            }

            end += _rfcPs;
            count++;
            due += _refiPs;
        }

        nextDue = due;
        return end;
    }

    private ulong AlignUp(ulong ps)
    {
        ulong r = ps % _tck;
        return r == 0 ? ps : ps + (_tck - r);
    }

    private static int Log2(ulong powerOfTwo)
    {
        return System.Numerics.BitOperations.Log2(powerOfTwo);
    }
}
