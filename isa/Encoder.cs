namespace Antoum.Isa;

/// <summary>
/// Instruction to words. Header word: opcode in bits 0-7, operand word count n in bits 8-11, bits 12-63 zero; then n
/// words holding slots A.. in order (n = <see cref="OpcodeInfo.SlotCount"/>).
/// </summary>
public static class Encoder
{
    /// <summary>Encodes one instruction. Throws <see cref="ArgumentException"/> for Undefined or a slot the opcode does not use.</summary>
    public static ulong[] Encode(Instruction i)
    {
        OpcodeInfo info = OpcodeTable.TryGet(i.Op) ?? throw new ArgumentException($"cannot encode opcode 0x{(byte)i.Op:x2}", nameof(i));
        var words = new ulong[info.WordCount];
        EncodeInto(i, info, words);
        return words;
    }

    /// <summary>Encodes a whole stream into one word array.</summary>
    public static ulong[] EncodeAll(IReadOnlyList<Instruction> code)
    {
        int total = 0;
        foreach (Instruction i in code)
        {
            total += (OpcodeTable.TryGet(i.Op) ?? throw new ArgumentException($"cannot encode opcode 0x{(byte)i.Op:x2}", nameof(code))).WordCount;
        }

        var words = new ulong[total];
        int at = 0;
        foreach (Instruction i in code)
        {
            OpcodeInfo info = OpcodeTable.Get(i.Op);
            EncodeInto(i, info, words.AsSpan(at, info.WordCount));
            at += info.WordCount;
        }

        return words;
    }

    private static void EncodeInto(in Instruction i, OpcodeInfo info, Span<ulong> words)
    {
        words[0] = (byte)i.Op | ((ulong)info.SlotCount << 8);
        for (int s = 0; s < Instruction.SlotCount; s++)
        {
            if (((ulong)i[s] & ~info.SlotMasks[s]) != 0)
            {
                throw new ArgumentException($"{info.Mnemonic}: slot {(char)('A' + s)} holds bits that no operand uses (0x{i[s]:x})", nameof(i));
            }

            if (s < info.SlotCount)
            {
                words[1 + s] = (ulong)i[s];
            }
        }
    }
}

/// <summary>Words to instruction, through the same table. Never throws on bad words: unknown ones decode to Undefined.</summary>
public static class Decoder
{
    /// <summary>
    /// Decodes the instruction at the start of <paramref name="words"/>. An unknown opcode, a header with reserved bits
    /// set, a word count that does not match the table or a truncated instruction gives <see cref="Opcode.Undefined"/>
    /// with A = the header word; <paramref name="used"/> is then the header's own length, capped to what is there.
    /// Operand ranges are not checked here (see <see cref="OpcodeInfo.Validate"/>).
    /// </summary>
    public static Instruction Decode(ReadOnlySpan<ulong> words, out int used)
    {
        if (words.IsEmpty)
        {
            used = 0;
            return new Instruction(Opcode.Undefined);
        }

        ulong header = words[0];
        int n = (int)((header >> 8) & 0xF);
        OpcodeInfo? info = OpcodeTable.TryGet((Opcode)(byte)header);
        if (info is null || (header >> 12) != 0 || n != info.SlotCount || words.Length < 1 + n)
        {
            used = Math.Min(1 + n, words.Length);
            return new Instruction(Opcode.Undefined, (long)header, 0, 0, 0, 0, 0, 0, 0);
        }

        Span<long> slots = stackalloc long[Instruction.SlotCount];
        for (int s = 0; s < n; s++)
        {
            slots[s] = (long)words[1 + s];
        }

        used = 1 + n;
        return Instruction.FromSlots(info.Op, slots);
    }

    /// <summary>Decodes a whole stream.</summary>
    public static Instruction[] DecodeAll(ReadOnlySpan<ulong> words)
    {
        var list = new List<Instruction>();
        while (!words.IsEmpty)
        {
            list.Add(Decode(words, out int used));
            words = words[used..];
        }

        return [.. list];
    }
}
