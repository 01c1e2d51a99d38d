namespace Antoum.Sim.Blocks.Interconnect;

/// <summary>
/// Throughput of one PCIe link direction, from first principles (derivation in docs/interconnect.md):
/// <list type="bullet">
/// <item>raw rate = lanes × lane rate × encoding efficiency / 8 bits (bytes per second after the line code);</item>
/// <item>TLP rate = raw rate × (1 − DLLP overhead): the share of link time left to TLPs after ACK/NAK and
/// flow-control DLLPs and ordered sets;</item>
/// <item>a transfer of B bytes is ceil(B / maxPayload) TLPs, each adding <see cref="TlpOverheadBytes"/> (header,
/// sequence number, LCRC, framing) on the wire; time = latency + wire bytes / TLP rate;</item>
/// <item>effective (payload) bandwidth of a long transfer = TLP rate × payload / (payload + TLP overhead).</item>
/// </list>
/// All arithmetic is exact (integers, rounded once at the end: times up, bandwidths down).
/// </summary>
public sealed record PcieLinkModel(
    int Lanes,
    ulong LaneTransfersPerSecond,
    ulong EncodingNumerator,
    ulong EncodingDenominator,
    ulong MaxPayloadBytes,
    ulong TlpOverheadBytes,
    ulong DllpOverheadNumerator,
    ulong DllpOverheadDenominator,
    ulong LatencyPs)
{
    private const ulong PsPerSecond = 1_000_000_000_000UL;

    /// <summary>Bytes per second after the line code: lanes × rate × encoding / 8 (rounded down).</summary>
    public ulong RawBytesPerSecond => (ulong)(RawNumerator / RawDenominator);

    /// <summary>Bytes per second available to TLPs: raw × (1 − DLLP overhead) (rounded down).</summary>
    public ulong TlpBytesPerSecond => (ulong)(TlpNumerator / TlpDenominator);

    /// <summary>Payload bytes per second of a long transfer of full TLPs (rounded down).</summary>
    public ulong EffectiveBytesPerSecond =>
        (ulong)(TlpNumerator * MaxPayloadBytes / (TlpDenominator * (MaxPayloadBytes + TlpOverheadBytes)));

    /// <summary>TLPs a transfer of <paramref name="bytes"/> payload bytes is split into.</summary>
    public ulong Tlps(ulong bytes) => (bytes + MaxPayloadBytes - 1) / MaxPayloadBytes;

    /// <summary>Bytes on the wire for <paramref name="bytes"/> payload bytes: payload + TLPs × TLP overhead.</summary>
    public ulong WireBytes(ulong bytes) => bytes + (Tlps(bytes) * TlpOverheadBytes);

    /// <summary>Time the link is busy with the transfer: wire bytes / TLP rate, in ps (rounded up).</summary>
    public ulong SerializationPs(ulong bytes)
    {
        UInt128 num = (UInt128)WireBytes(bytes) * PsPerSecond * TlpDenominator;
        return (ulong)((num + TlpNumerator - 1) / TlpNumerator);
    }

    /// <summary>Transfer time: latency + <see cref="SerializationPs"/>.</summary>
    public ulong TransferPs(ulong bytes) => LatencyPs + SerializationPs(bytes);

    private UInt128 RawNumerator => (UInt128)LaneTransfersPerSecond * (ulong)Lanes * EncodingNumerator;

    private UInt128 RawDenominator => (UInt128)EncodingDenominator * 8;

    private UInt128 TlpNumerator => RawNumerator * (DllpOverheadDenominator - DllpOverheadNumerator);

    private UInt128 TlpDenominator => RawDenominator * DllpOverheadDenominator;
}
