using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Host;

/// <summary>Parameters of the host driver: batch, chips on the card, bytes per sample in and out.</summary>
public sealed record HostParams(int Batch, int Chips, ulong InputBytesPerSample);

/// <summary>
/// The host side of the card: at time 0 it splits the batch over the card's chips (chip c gets
/// ⌊B/n⌋ samples, plus one for c &lt; B mod n), sends each chip its launch with the input bytes over PCIe, and
/// records when the last completion (with the output bytes) has come back.
/// <para>Ports: <c>toCard</c> (out, HostMessage), <c>fromCard</c> (in, HostMessage).</para>
/// <para>Statistics: <c>launches</c>, <c>completions</c>, <c>finishTime</c> (ps).</para>
/// </summary>
public sealed class HostDriver : SimComponent, IReceiver<HostMessage>, IRetryable
{
    private readonly HostParams _p;
    private readonly OutPort<HostMessage> _toCard;
    private readonly InPort<HostMessage> _fromCard;
    private int _nextChip;
    private int _outstanding;
    private readonly Counter _launches;
    private readonly Counter _completions;
    private readonly Counter _finishPs;

    public HostDriver(Simulator sim, string name, HostParams p)
        : base(sim, name)
    {
        _p = p;
        _toCard = AddOutPort<HostMessage>("toCard");
        _toCard.RetryTarget = this;
        _fromCard = AddInPort<HostMessage>("fromCard", this);
        _launches = sim.Stats.Counter(name + ".launches", "count", "chip launches sent");
        _completions = sim.Stats.Counter(name + ".completions", "count", "chip completions received");
        _finishPs = sim.Stats.Counter(name + ".finishTime", "ps", "time the last completion arrived");
    }

    public OutPort<HostMessage> ToCard => _toCard;

    public InPort<HostMessage> FromCard => _fromCard;

    /// <summary>True once every launched chip has reported completion.</summary>
    public bool Done => _nextChip >= _p.Chips && _outstanding == 0;

    /// <summary>Time the last completion arrived, ps.</summary>
    public ulong FinishTimePs => (ulong)_finishPs.Value;

    /// <summary>Samples chip <paramref name="chip"/> receives from a batch of <paramref name="batch"/> over <paramref name="chips"/>.</summary>
    public static int SamplesFor(int chip, int batch, int chips)
    {
        return (batch / chips) + (chip < batch % chips ? 1 : 0);
    }

    public override void Setup()
    {
        SendLaunches();
    }

    void IReceiver<HostMessage>.Receive(InPort<HostMessage> port, in HostMessage message)
    {
        port.Release();
        _outstanding--;
        _completions.Value++;
        if (Done)
        {
            _finishPs.Value = (long)Sim.Now;
        }
    }

    void IRetryable.OnRetry(IPort port)
    {
        SendLaunches();
    }

    private void SendLaunches()
    {
        while (_nextChip < _p.Chips)
        {
            int samples = SamplesFor(_nextChip, _p.Batch, _p.Chips);
            if (samples == 0)
            {
                _nextChip++;
                continue;
            }

            ulong bytes = (ulong)samples * _p.InputBytesPerSample;
            if (!_toCard.TrySend(new HostMessage(_nextChip, false, samples, bytes), bytes))
            {
                return;
            }

            _launches.Value++;
            _outstanding++;
            _nextChip++;
        }
    }
}
