namespace Antoum.Sim.Kernel;

/// <summary>Common view of a port, for wiring checks and reports.</summary>
public interface IPort
{
    /// <summary>Dotted name: owning component, then port.</summary>
    string Name { get; }

    /// <summary>True when the run may not start with this port unbound.</summary>
    bool Required { get; }

    /// <summary>True once a link joins this port to another.</summary>
    bool IsBound { get; }
}

/// <summary>Receives messages arriving on an <see cref="InPort{TMsg}"/>.</summary>
public interface IReceiver<TMsg>
    where TMsg : struct
{
    /// <summary>
    /// A message has arrived and occupies one slot of the receiving buffer until the receiver calls
    /// <see cref="InPort{TMsg}.Release"/> on the port, which returns the credit to the sender.
    /// </summary>
    void Receive(InPort<TMsg> port, in TMsg message);
}

/// <summary>Told when a refused sender may try again.</summary>
public interface IRetryable
{
    /// <summary>A credit came back on <paramref name="port"/>; the sender may call TrySend again.</summary>
    void OnRetry(IPort port);
}

/// <summary>The sending end of a link, owned by a component.</summary>
public sealed class OutPort<TMsg> : IPort
    where TMsg : struct
{
    private Link<TMsg>? _link;

    internal OutPort(string name, bool required)
    {
        Name = name;
        Required = required;
    }

    public string Name { get; }

    public bool Required { get; }

    public bool IsBound => _link is not null;

    /// <summary>The link this port drives (for statistics and reports).</summary>
    public Link<TMsg>? Link => _link;

    /// <summary>Component told when a refused send may be retried (optional).</summary>
    public IRetryable? RetryTarget { get; set; }

    /// <summary>True when a send would be accepted now (a credit is free).</summary>
    public bool CanSend => _link is not null && _link.CreditsFree > 0;

    /// <summary>
    /// Offers a message of <paramref name="bytes"/> bytes. Returns false, and remembers to call
    /// <see cref="RetryTarget"/> later, when the receiver has no free buffer slot (no credit).
    /// </summary>
    public bool TrySend(in TMsg message, ulong bytes)
    {
        if (_link is null)
        {
            throw new InvalidOperationException($"port '{Name}' is not connected");
        }

        return _link.TrySend(message, bytes);
    }

    internal void Bind(Link<TMsg> link)
    {
        if (_link is not null)
        {
            throw new InvalidOperationException($"port '{Name}' is already connected");
        }

        _link = link;
    }
}

/// <summary>The receiving end of a link, owned by a component.</summary>
public sealed class InPort<TMsg> : IPort
    where TMsg : struct
{
    private Link<TMsg>? _link;

    internal InPort(string name, IReceiver<TMsg> receiver, bool required)
    {
        Name = name;
        Receiver = receiver;
        Required = required;
    }

    public string Name { get; }

    public bool Required { get; }

    public bool IsBound => _link is not null;

    /// <summary>A number the owning component gives the port (e.g. the requester index), so a receiver serving
    /// many ports knows which one a message came on without searching.</summary>
    public int Tag { get; set; }

    internal IReceiver<TMsg> Receiver { get; }

    /// <summary>Frees one receive-buffer slot: a credit travels back to the sender.</summary>
    public void Release()
    {
        if (_link is null)
        {
            throw new InvalidOperationException($"port '{Name}' is not connected");
        }

        _link.ReturnCredit();
    }

    internal void Bind(Link<TMsg> link)
    {
        if (_link is not null)
        {
            throw new InvalidOperationException($"port '{Name}' is already connected");
        }

        _link = link;
    }
}
