using Antoum.Sim.Config;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Control;

/// <summary>Shape of one layer as the control CPU dispatches it (tiling is decided before the run).</summary>
public sealed record LayerPlan(string Name, int RowsPerSample, int N, int K, int TileRows, int TileCols, int ChunkDepth);

/// <summary>Parameters of a chip's control CPU.</summary>
public sealed record ControlParams(int MacArrays, ulong LaunchOverheadPs, IReadOnlyList<LayerPlan> Layers);

/// <summary>
/// Control CPU of one chip ("CPU &amp; Global Control"): takes a launch from the host, runs the layers one after
/// another with a launch overhead before each, deals each layer's output tiles round-robin over the chip's MAC
/// arrays (tile t to array t mod S, its K-chunks in order), and reports completion to the host.
/// <para>Ports: <c>hostIn</c>/<c>hostOut</c> (HostMessage over PCIe), <c>cmd[s]</c> (out, TileCommand),
/// <c>done[s]</c> (in, TileDone).</para>
/// <para>Statistics: <c>layers</c>, <c>tilesDispatched</c>, <c>chunksDispatched</c>, <c>launchTime</c>.</para>
/// <para>Timing: a layer starts <c>launchOverhead</c> after the previous one finished (or after the launch
/// arrived); dispatch itself is limited only by the arrays' command slots (credits).</para>
/// </summary>
public sealed class ControlCpu : SimComponent, IReceiver<HostMessage>, IReceiver<TileDone>, IRetryable
{
    private readonly ControlParams _p;
    private readonly int _chip;
    private readonly InPort<HostMessage> _hostIn;
    private readonly OutPort<HostMessage> _hostOut;
    private readonly OutPort<TileCommand>[] _cmd;
    private readonly InPort<TileDone>[] _done;
    private readonly SimTimer _launchTimer;

    private int _samples;
    private int _layer = -1;
    private int _tilesRows;
    private int _tilesCols;
    private int _tilesTotal;
    private int _chunksPerTile;
    private int _tilesDone;
    private readonly int[] _nextTile;
    private readonly int[] _nextChunk;
    private bool _completionPending;

    private readonly Counter _layers;
    private readonly Counter _tilesDispatched;
    private readonly Counter _chunksDispatched;
    private readonly Counter _launchPs;

    public ControlCpu(Simulator sim, string name, int chip, ControlParams p)
        : base(sim, name)
    {
        _p = p;
        _chip = chip;
        _hostIn = AddInPort<HostMessage>("hostIn", this);
        _hostOut = AddOutPort<HostMessage>("hostOut");
        _hostOut.RetryTarget = this;
        _cmd = new OutPort<TileCommand>[p.MacArrays];
        _done = new InPort<TileDone>[p.MacArrays];
        _nextTile = new int[p.MacArrays];
        _nextChunk = new int[p.MacArrays];
        for (int s = 0; s < p.MacArrays; s++)
        {
            _cmd[s] = AddOutPort<TileCommand>("cmd" + s);
            _cmd[s].RetryTarget = this;
            _done[s] = AddInPort<TileDone>("done" + s, this);
        }

        _launchTimer = new SimTimer(sim, StartLayer);
        _layers = sim.Stats.Counter(name + ".layers", "count", "layers run");
        _tilesDispatched = sim.Stats.Counter(name + ".tilesDispatched", "count", "output tiles dispatched");
        _chunksDispatched = sim.Stats.Counter(name + ".chunksDispatched", "count", "K-chunk commands dispatched");
        _launchPs = sim.Stats.Counter(name + ".launchTime", "ps", "time spent in layer launch overhead");
    }

    public OutPort<TileCommand> CommandPort(int s) => _cmd[s];

    public InPort<TileDone> DonePort(int s) => _done[s];

    public InPort<HostMessage> HostIn => _hostIn;

    public OutPort<HostMessage> HostOut => _hostOut;

    void IReceiver<HostMessage>.Receive(InPort<HostMessage> port, in HostMessage message)
    {
        port.Release();
        if (message.IsCompletion || _layer >= 0)
        {
            throw new SimInvariantException($"{Name} @ {Sim.Now} ps: unexpected host message {message}");
        }

        _samples = message.Samples;
        _layer = 0;
        _launchPs.Value += (long)_p.LaunchOverheadPs;
        _launchTimer.Schedule(Sim.Now + _p.LaunchOverheadPs);
    }

    void IReceiver<TileDone>.Receive(InPort<TileDone> port, in TileDone message)
    {
        port.Release();
        if (message.Layer != _layer)
        {
            throw new SimInvariantException($"{Name} @ {Sim.Now} ps: completion for layer {message.Layer} during layer {_layer}");
        }

        _tilesDone++;
        if (_tilesDone < _tilesTotal)
        {
            return;
        }

        _layers.Value++;
        _layer++;
        if (_layer < _p.Layers.Count)
        {
            _launchPs.Value += (long)_p.LaunchOverheadPs;
            _launchTimer.Schedule(Sim.Now + _p.LaunchOverheadPs);
            return;
        }

        _completionPending = true;
        SendCompletion();
    }

    void IRetryable.OnRetry(IPort port)
    {
        if (_completionPending)
        {
            SendCompletion();
        }

        if (_layer >= 0 && _layer < _p.Layers.Count)
        {
            for (int s = 0; s < _cmd.Length; s++)
            {
                if (ReferenceEquals(_cmd[s], port))
                {
                    Dispatch(s);
                }
            }
        }
    }

    private void StartLayer()
    {
        LayerPlan l = _p.Layers[_layer];
        long rows = (long)_samples * l.RowsPerSample;
        _tilesRows = (int)((rows + l.TileRows - 1) / l.TileRows);
        _tilesCols = (l.N + l.TileCols - 1) / l.TileCols;
        _tilesTotal = _tilesRows * _tilesCols;
        _chunksPerTile = (l.K + l.ChunkDepth - 1) / l.ChunkDepth;
        _tilesDone = 0;
        for (int s = 0; s < _cmd.Length; s++)
        {
            _nextTile[s] = s;
            _nextChunk[s] = 0;
            Dispatch(s);
        }
    }

    private void Dispatch(int s)
    {
        LayerPlan l = _p.Layers[_layer];
        long rowsTotal = (long)_samples * l.RowsPerSample;
        while (_nextTile[s] < _tilesTotal)
        {
            int tile = _nextTile[s];
            int chunk = _nextChunk[s];
            int tr = tile / _tilesCols;
            int tc = tile % _tilesCols;
            int rows = (int)Math.Min(l.TileRows, rowsTotal - ((long)tr * l.TileRows));
            int cols = Math.Min(l.TileCols, l.N - (tc * l.TileCols));
            int depth = Math.Min(l.ChunkDepth, l.K - (chunk * l.ChunkDepth));
            bool last = chunk == _chunksPerTile - 1;
            var command = new TileCommand(_layer, tile, chunk, last, rows, cols, depth,
                (uint)(((long)rows * depth) + ((long)depth * cols)), (uint)(rows * cols));
            if (!_cmd[s].TrySend(command, 32))
            {
                return;
            }

            _chunksDispatched.Value++;
            if (last)
            {
                _tilesDispatched.Value++;
                _nextChunk[s] = 0;
                _nextTile[s] = tile + _cmd.Length;
            }
            else
            {
                _nextChunk[s] = chunk + 1;
            }
        }
    }

    private void SendCompletion()
    {
        LayerPlan last = _p.Layers[^1];
        ulong outBytes = (ulong)_samples * (ulong)last.RowsPerSample * (ulong)last.N;
        if (_hostOut.TrySend(new HostMessage(_chip, true, _samples, outBytes), outBytes))
        {
            _completionPending = false;
        }
    }

    /// <summary>
    /// Largest K-chunk whose operands fit the L1 with every command slot full:
    /// slots × (rows·Kc + Kc·cols) ≤ L1 bytes. Throws a user error naming the layer when not even Kc = 1 fits.
    /// </summary>
    public static int ChunkDepthFor(string layer, int rows, int cols, int k, int slots, ulong l1Bytes)
    {
        ulong perDepth = (ulong)slots * (ulong)(rows + cols);
        ulong depth = l1Bytes / perDepth;
        if (depth == 0)
        {
            throw new UserInputException($"layer '{layer}': a {rows}x{cols} tile needs {perDepth} B of L1 per unit of depth with {slots} buffers, but L1 holds {l1Bytes} B");
        }

        return (int)Math.Min(depth, (ulong)k);
    }
}
