namespace Antoum.Sim.Blocks.Interconnect;

/// <summary>
/// The core NoC as a bidirectional ring of the clusters: cluster k has a clockwise link k → k+1 and a
/// counter-clockwise link k → k−1 (mod clusters), each a separate shared resource. A transfer takes the shorter
/// direction (clockwise on a tie), crossing one link per hop.
/// </summary>
public static class RingTopology
{
    /// <summary>Hops from <paramref name="src"/> to <paramref name="dst"/> and the direction taken.</summary>
    public static (int Hops, bool Clockwise) Route(int clusters, int src, int dst)
    {
        int cw = ((dst - src) % clusters + clusters) % clusters;
        int ccw = (clusters - cw) % clusters;
        return cw <= ccw ? (cw, true) : (ccw, false);
    }

    /// <summary>
    /// Sustained bandwidth of one credit-flow-controlled link: min(width × clock, credits × width / credit round
    /// trip), the round trip being 2 × hop latency (flit forward, credit back). Bytes per second, rounded down.
    /// </summary>
    public static ulong LinkBytesPerSecond(ulong widthBytes, ulong clockHz, int credits, ulong hopLatencyPs)
    {
        ulong wire = widthBytes * clockHz;
        if (hopLatencyPs == 0)
        {
            return wire;
        }

        UInt128 creditBound = (UInt128)(ulong)credits * widthBytes * 1_000_000_000_000UL / (2 * (UInt128)hopLatencyPs);
        return creditBound < wire ? (ulong)creditBound : wire;
    }
}
