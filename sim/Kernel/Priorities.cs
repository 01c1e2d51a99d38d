namespace Antoum.Sim.Kernel;

/// <summary>
/// Standard event priorities (the middle field of <see cref="EventKey"/>). Lower values run first among events
/// scheduled for the same picosecond; events with equal time and priority run in the order they were scheduled.
/// The scheme follows gem5's <c>EventBase::Priority</c> and SST's clock/event ordering: within one instant, state
/// is first advanced by clocks, then the messages produced are delivered, and only after all model activity has
/// settled are statistics sampled and the simulation allowed to exit. Leave gaps so blocks can slot in between.
/// </summary>
public static class Priorities
{
    /// <summary>
    /// Clock edges run first: a component ticked at time t works on the state it had at the end of t - 1, so a
    /// message arriving at exactly t is seen on the next edge (one-cycle latency for same-instant arrivals, like a
    /// registered input in RTL). This makes results independent of the order in which clocks were registered.
    /// </summary>
    public const int Clock = 40;

    /// <summary>
    /// Flow-control credits returned at time t are applied after the clock edges of t but before messages of t, so
    /// that a sender ticking at t never sees a credit "from the future" and a receiver's buffer space freed at t is
    /// accounted for before new data for t lands in it.
    /// </summary>
    public const int Credit = 45;

    /// <summary>
    /// Message (packet, request, response) delivery: after the clocks of the same instant, so every component has
    /// already produced its outputs for t; deliveries at t are then consumed on the following edge.
    /// </summary>
    public const int Message = 50;

    /// <summary>
    /// Statistics sampling and dumps: after all model activity of the instant, so a sample at t includes every
    /// clock edge and delivery that happened at t (gem5 dumps stats late in the tick for the same reason).
    /// </summary>
    public const int Stats = 85;

    /// <summary>
    /// Simulation exit: the very last thing at its instant, after statistics, so the final sample is complete
    /// (gem5's Sim_Exit_Pri).
    /// </summary>
    public const int Exit = 99;
}
