namespace Antoum.Sim.Blocks.Memory;

/// <summary>
/// An on-chip SRAM (L1 per SPU, L2 per cluster) as banks: <see cref="Banks"/> banks, each with <see cref="Ports"/>
/// ports of <see cref="WordBytes"/> bytes per cycle. Peak bandwidth = banks × ports × word × clock.
/// <para>Bank mapping (word interleaving): byte address a lies in word a / word, and word w in bank w mod banks.
/// A transfer of B bytes at address a therefore spreads over the banks it touches, and each bank serves only its
/// share. A burst occupies every bank it touches for (its bytes on that bank) / (ports × word × clock).</para>
/// <para>Bank-conflict approximation: the memory fabric claims each touched bank as a separate resource, so two
/// bursts touching the same bank serialise on it and bursts on disjoint banks overlap. A 2-D copy whose row pitch
/// is a multiple of banks × word puts every row on the same bank(s): its rows serialise on those banks and it gets
/// (banks touched per row / banks) of the peak bandwidth. Not modelled: per-cycle port arbitration inside a
/// burst, read/write port roles (all ports serve either), bank-internal pipelining. Capacity overflow is a
/// load-time error (ProgramChecks), never a silent spill.</para>
/// </summary>
public sealed record SramBanks(int Banks, int WordBytes, int Ports, ulong ClockHz, ulong LatencyPs)
{
    /// <summary>Bandwidth of one bank: ports × word × clock.</summary>
    public ulong BankBytesPerSecond => (ulong)Ports * (ulong)WordBytes * ClockHz;

    /// <summary>Peak bandwidth of the SRAM: banks × ports × word × clock.</summary>
    public ulong PeakBytesPerSecond => BankBytesPerSecond * (ulong)Banks;

    /// <summary>Bank that holds byte <paramref name="address"/>.</summary>
    public int BankOf(ulong address) => (int)((address / (ulong)WordBytes) % (ulong)Banks);

    /// <summary>
    /// Splits [address, address + bytes) over the banks: <paramref name="perBank"/>[k] receives the bytes in bank k
    /// (the span must hold <see cref="Banks"/> entries; it is overwritten). Closed form, independent of the length.
    /// </summary>
    public void BytesPerBank(ulong address, ulong bytes, Span<ulong> perBank)
    {
        perBank[..Banks].Clear();
        if (bytes == 0)
        {
            return;
        }

        ulong word = (ulong)WordBytes;
        ulong first = address / word;
        ulong last = (address + bytes - 1) / word;
        if (first == last)
        {
            perBank[BankOf(address)] = bytes;
            return;
        }

        // Partial first and last words, then the full words between them dealt round robin from the bank after first.
        perBank[BankOf(address)] += ((first + 1) * word) - address;
        perBank[(int)(last % (ulong)Banks)] += address + bytes - (last * word);
        ulong full = last - first - 1;
        ulong rounds = full / (ulong)Banks;
        ulong extra = full % (ulong)Banks;
        for (int k = 0; k < Banks; k++)
        {
            perBank[k] += rounds * word;
        }

        for (ulong j = 0; j < extra; j++)
        {
            perBank[(int)((first + 1 + j) % (ulong)Banks)] += word;
        }
    }
}
