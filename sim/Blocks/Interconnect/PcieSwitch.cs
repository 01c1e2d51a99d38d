using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;

namespace Antoum.Sim.Blocks.Interconnect;

/// <summary>
/// The card's PCIe fabric: one upstream port to the host and one downstream port per chip (the chips sit behind
/// one PCIe endpoint; that the card has a switch is an assumption, see antoum-facts §1.0). It forwards
/// HostMessages by their <c>Chip</c> field. A message that cannot be forwarded (no credit downstream) is held, and
/// its upstream buffer slot stays taken until it leaves, so backpressure reaches the sender.
/// <para>Ports: <c>up</c> (in from host), <c>toHost</c> (out), <c>down[c]</c> (out to chip c),
/// <c>fromChip[c]</c> (in from chip c).</para>
/// <para>Timing: forwarding itself is instantaneous; the links carry the latency and bandwidth.</para>
/// </summary>
public sealed class PcieSwitch : SimComponent, IReceiver<HostMessage>, IRetryable
{
    private readonly InPort<HostMessage> _up;
    private readonly OutPort<HostMessage> _toHost;
    private readonly OutPort<HostMessage>[] _down;
    private readonly InPort<HostMessage>[] _fromChip;
    private readonly Queue<(InPort<HostMessage> From, HostMessage Message)> _held = new();

    public PcieSwitch(Simulator sim, string name, int chips)
        : base(sim, name)
    {
        _up = AddInPort<HostMessage>("up", this);
        _toHost = AddOutPort<HostMessage>("toHost");
        _toHost.RetryTarget = this;
        _down = new OutPort<HostMessage>[chips];
        _fromChip = new InPort<HostMessage>[chips];
        for (int c = 0; c < chips; c++)
        {
            _down[c] = AddOutPort<HostMessage>("down" + c);
            _down[c].RetryTarget = this;
            _fromChip[c] = AddInPort<HostMessage>("fromChip" + c, this);
        }
    }

    public InPort<HostMessage> Up => _up;

    public OutPort<HostMessage> ToHost => _toHost;

    public OutPort<HostMessage> Down(int chip) => _down[chip];

    public InPort<HostMessage> FromChip(int chip) => _fromChip[chip];

    void IReceiver<HostMessage>.Receive(InPort<HostMessage> port, in HostMessage message)
    {
        // Held messages are bounded by the credits of the links feeding the switch (each holds its slot).
        _held.Enqueue((port, message));
        Forward();
    }

    void IRetryable.OnRetry(IPort port)
    {
        Forward();
    }

    // Forwards held messages in arrival order; a blocked head blocks the rest (one shared buffer, FIFO).
    private void Forward()
    {
        while (_held.Count > 0)
        {
            (InPort<HostMessage> from, HostMessage m) = _held.Peek();
            OutPort<HostMessage> to = m.IsCompletion ? _toHost : _down[m.Chip];
            if (!to.TrySend(m, m.Bytes))
            {
                return;
            }

            _held.Dequeue();
            from.Release();
        }
    }
}
