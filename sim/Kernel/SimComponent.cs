namespace Antoum.Sim.Kernel;

/// <summary>
/// Base of every simulated block. A component is fully usable once constructed (its config is already valid);
/// its ports are bound by the builder (connect phase); <see cref="Setup"/> runs when the simulation starts and
/// <see cref="Finish"/> when it ends. Components never hold references to each other, only ports.
/// </summary>
public abstract class SimComponent
{
    private readonly List<IPort> _ports = new();

    protected SimComponent(Simulator sim, string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("component name must not be empty", nameof(name));
        }

        Sim = sim;
        Name = name;
        sim.Register(this);
    }

    /// <summary>The kernel this component belongs to.</summary>
    public Simulator Sim { get; }

    /// <summary>Dotted hierarchical name, e.g. <c>chip0.cluster1.spu3</c>; prefixes its statistics.</summary>
    public string Name { get; }

    /// <summary>Ports declared by this component, in declaration order.</summary>
    public IReadOnlyList<IPort> Ports => _ports;

    /// <summary>Declares an output port named <c>Name.portName</c>.</summary>
    protected OutPort<TMsg> AddOutPort<TMsg>(string portName, bool required = true)
        where TMsg : struct
    {
        var port = new OutPort<TMsg>(Name + "." + portName, required);
        _ports.Add(port);
        return port;
    }

    /// <summary>Declares an input port named <c>Name.portName</c> that delivers to <paramref name="receiver"/>.</summary>
    protected InPort<TMsg> AddInPort<TMsg>(string portName, IReceiver<TMsg> receiver, bool required = true)
        where TMsg : struct
    {
        var port = new InPort<TMsg>(Name + "." + portName, receiver, required);
        _ports.Add(port);
        return port;
    }

    /// <summary>Called once when the run starts; may schedule the first events.</summary>
    public virtual void Setup()
    {
    }

    /// <summary>Called once when the run ends; closes time-weighted statistics.</summary>
    public virtual void Finish()
    {
    }

    internal void CollectUnboundPorts(List<string> into)
    {
        for (int i = 0; i < _ports.Count; i++)
        {
            if (_ports[i].Required && !_ports[i].IsBound)
            {
                into.Add(_ports[i].Name);
            }
        }
    }
}
