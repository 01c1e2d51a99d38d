using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using MessagePack;

namespace Antoum.Isa;

/// <summary>
/// The binary program container (.akp). Layout: a 16-byte header — magic "AKP\0", format version (uint16 LE), flags
/// (uint16, zero), payload length (uint32 LE), CRC-32 (IEEE, uint32 LE) of the payload — then the MessagePack payload
/// [streams, symbols]: streams = array of [engine id (packed int), code (bin, 8-byte LE words)], symbols = array of
/// [name (str), value (int), kind (0 const, 1 label), stream (int, -1 for constants)].
/// Reading validates every count and length against the bytes left before allocating, decodes and validates every
/// instruction and every stream's loop structure, and reports any problem as <see cref="AkpFormatException"/>.
/// </summary>
public static class AkpContainer
{
    public const int HeaderSize = 16;
    public const int MaxStreams = 4096;
    public const int MaxSymbols = 1 << 20;

    private static readonly byte[] s_magic = "AKP\0"u8.ToArray();

    public static byte[] Write(AkpProgram p)
    {
        // Sized up front (a BERT-large program is about 165 MB): no doubling of the buffer while writing.
        long estimate = 64;
        foreach (EngineStream s in p.Streams)
        {
            foreach (Instruction i in s.Code)
            {
                estimate += 8L * (OpcodeTable.TryGet(i.Op)?.WordCount ?? 1);
            }

            estimate += 32;
        }

        foreach (Symbol s in p.Symbols)
        {
            estimate += 48 + (3L * s.Name.Length);
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(estimate, Array.MaxLength));
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(2);
        w.WriteArrayHeader(p.Streams.Count);
        foreach (EngineStream s in p.Streams)
        {
            ulong[] words = Encoder.EncodeAll(s.Code);
            if (!BitConverter.IsLittleEndian)
            {
                for (int i = 0; i < words.Length; i++)
                {
                    words[i] = BinaryPrimitives.ReverseEndianness(words[i]);
                }
            }

            w.WriteArrayHeader(2);
            w.Write(s.Engine.Pack());
            w.Write(MemoryMarshal.AsBytes(words.AsSpan())); // little-endian 64-bit words
        }

        w.WriteArrayHeader(p.Symbols.Count);
        foreach (Symbol s in p.Symbols)
        {
            w.WriteArrayHeader(4);
            w.Write(s.Name);
            w.Write(s.Value);
            w.Write((int)s.Kind);
            w.Write(s.Stream);
        }

        w.Flush();
        ReadOnlySpan<byte> payload = buffer.WrittenSpan;
        var result = new byte[HeaderSize + payload.Length];
        s_magic.CopyTo(result, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(4), AkpProgram.FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(12), Crc32.Compute(payload));
        payload.CopyTo(result.AsSpan(HeaderSize));
        return result;
    }

    public static AkpProgram Read(ReadOnlySpan<byte> bytes, string fileName)
    {
        if (bytes.Length < HeaderSize)
        {
            throw new AkpFormatException(fileName, bytes.Length, $"file is {bytes.Length} bytes, shorter than the {HeaderSize}-byte .akp header");
        }

        if (!bytes[..4].SequenceEqual(s_magic))
        {
            throw new AkpFormatException(fileName, 0, "wrong magic: not an .akp program (expected \"AKP\\0\")");
        }

        int version = BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]);
        if (version != AkpProgram.FormatVersion)
        {
            throw new AkpFormatException(fileName, 4, $"unsupported format version {version} (this build reads version {AkpProgram.FormatVersion})");
        }

        if (BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]) != 0)
        {
            throw new AkpFormatException(fileName, 6, "header flags must be zero");
        }

        uint length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (length != (uint)(bytes.Length - HeaderSize))
        {
            throw new AkpFormatException(fileName, 8, $"payload length {length} does not match the {bytes.Length - HeaderSize} bytes after the header (truncated or padded file)");
        }

        ReadOnlySpan<byte> payload = bytes[HeaderSize..];
        uint expected = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        uint actual = Crc32.Compute(payload);
        if (expected != actual)
        {
            throw new AkpFormatException(fileName, 12, $"checksum mismatch: header says CRC-32 0x{expected:x8}, payload has 0x{actual:x8} (corrupted file)");
        }

        return ReadPayload(payload.ToArray(), fileName);
    }

    private static AkpProgram ReadPayload(byte[] payload, string file)
    {
        var reader = new MessagePackReader(payload);
        long Offset(in MessagePackReader r) => HeaderSize + r.Consumed;
        try
        {
            ExpectArray(ref reader, 2, file, "payload");
            int streamCount = ReadCount(ref reader, file, MaxStreams, 3, "streams");
            var streams = new List<EngineStream>(streamCount);
            var engines = new HashSet<EngineId>();
            for (int i = 0; i < streamCount; i++)
            {
                long at = Offset(reader);
                ExpectArray(ref reader, 2, file, $"stream {i}");
                long packed = reader.ReadInt64();
                if (EngineId.Check(packed) is { } bad)
                {
                    throw new AkpFormatException(file, at, $"stream {i}: {bad}");
                }

                EngineId engine = EngineId.Unpack(packed);
                if (!engines.Add(engine))
                {
                    throw new AkpFormatException(file, at, $"stream {i}: engine {engine} has two streams");
                }

                long codeAt = Offset(reader);
                ReadOnlySequence<byte>? bin = reader.ReadBytes();
                if (bin is not { } seq || seq.Length % 8 != 0 || seq.Length == 0)
                {
                    throw new AkpFormatException(file, codeAt, $"stream {i} ({engine}): code must be a non-empty whole number of 8-byte words");
                }

                var words = new ulong[seq.Length / 8];
                ReadOnlySpan<byte> raw = seq.IsSingleSegment ? seq.FirstSpan : seq.ToArray();
                for (int w = 0; w < words.Length; w++)
                {
                    words[w] = BinaryPrimitives.ReadUInt64LittleEndian(raw[(w * 8)..]);
                }

                streams.Add(new EngineStream(engine, DecodeStream(words, engine, file, Offset(reader) - seq.Length, i)));
            }

            int symbolCount = ReadCount(ref reader, file, MaxSymbols, 5, "symbols");
            var symbols = new List<Symbol>(symbolCount);
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < symbolCount; i++)
            {
                long at = Offset(reader);
                ExpectArray(ref reader, 4, file, $"symbol {i}");
                string? name = reader.ReadString();
                long value = reader.ReadInt64();
                int kind = reader.ReadInt32();
                int stream = reader.ReadInt32();
                if (name is null || name.Length == 0 || name.Length > Assembler.MaxNameLength || !Expression.IsIdentifierStart(name[0])
                    || !name.All(Expression.IsIdentifierPart) || !names.Add(name))
                {
                    throw new AkpFormatException(file, at, $"symbol {i}: name must be a unique identifier of at most {Assembler.MaxNameLength} characters");
                }

                bool ok = kind switch
                {
                    0 => stream == -1,
                    1 => stream >= 0 && stream < streams.Count && value >= 0 && value <= streams[stream].Code.Length,
                    _ => false,
                };
                if (!ok)
                {
                    throw new AkpFormatException(file, at, $"symbol '{name}': bad kind {kind} or stream {stream} / label index {value}");
                }

                symbols.Add(new Symbol(name, value) { Kind = (SymbolKind)kind, Stream = stream });
            }

            if (!reader.End)
            {
                throw new AkpFormatException(file, Offset(reader), "extra bytes after the symbol table");
            }

            return new AkpProgram(streams, symbols);
        }
        catch (AkpFormatException)
        {
            throw;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException
            or ArgumentException or FormatException or System.Text.DecoderFallbackException)
        {
            throw new AkpFormatException(file, Offset(reader), "malformed MessagePack payload: " + e.Message, e);
        }
    }

    private static void ExpectArray(ref MessagePackReader reader, int count, string file, string what)
    {
        long at = HeaderSize + reader.Consumed;
        int n = reader.ReadArrayHeader();
        if (n != count)
        {
            throw new AkpFormatException(file, at, $"{what}: expected an array of {count} items, found {n}");
        }
    }

    private static int ReadCount(ref MessagePackReader reader, string file, int max, int minItemBytes, string what)
    {
        long at = HeaderSize + reader.Consumed;
        int n = reader.ReadArrayHeader();
        long remaining = reader.Sequence.Length - reader.Consumed;
        if (n < 0 || n > max || (long)n * minItemBytes > remaining)
        {
            throw new AkpFormatException(file, at, $"{what}: count {n} exceeds the limit {max} or the {remaining} bytes left");
        }

        return n;
    }

    private static Instruction[] DecodeStream(ulong[] words, EngineId engine, string file, long codeAt, int streamIndex)
    {
        // Built only for an error (a BERT-large stream has a million instructions).
        string Where(int instruction) => $"stream {streamIndex} ({engine}) instruction {instruction}";

        // One exact-size array: the decoder takes min(1 + n, what is left) words per instruction, n from each header.
        int count = 0;
        for (int at = 0; at < words.Length; count++)
        {
            at += (int)Math.Min(1 + ((words[at] >> 8) & 0xF), (ulong)(words.Length - at));
        }

        var code = new Instruction[count];
        int index = 0;
        var loops = new Stack<int>();
        int w = 0;
        while (w < words.Length)
        {
            long at = codeAt + (w * 8L);
            Instruction ins = Decoder.Decode(words.AsSpan(w), out int used);
            if (ins.Op == Opcode.Undefined)
            {
                throw new AkpFormatException(file, at, $"{Where(index)}: undefined or truncated instruction word 0x{words[w]:x16}");
            }

            if (OpcodeTable.Get(ins.Op).Validate(ins, engine) is { } problem)
            {
                throw new AkpFormatException(file, at, $"{Where(index)}: {problem}");
            }

            if (ins.Op == Opcode.Loop)
            {
                if (loops.Count >= IsaLimits.MaxLoopDepth)
                {
                    throw new AkpFormatException(file, at, $"{Where(index)}: loops nested deeper than {IsaLimits.MaxLoopDepth}");
                }

                loops.Push(index);
            }
            else if (ins.Op == Opcode.EndLoop)
            {
                if (loops.Count == 0 || ins.A != loops.Peek() || code[loops.Peek()].B != index)
                {
                    throw new AkpFormatException(file, at, $"{Where(index)}: endloop does not match its loop");
                }

                loops.Pop();
            }
            else if (ins.Op == Opcode.End && (loops.Count > 0 || w + used != words.Length))
            {
                throw new AkpFormatException(file, at, $"{Where(index)}: 'end' must be the last instruction, outside any loop");
            }

            code[index++] = ins;
            w += used;
        }

        if (code[^1].Op != Opcode.End)
        {
            throw new AkpFormatException(file, codeAt, $"stream {streamIndex} ({engine}) does not finish with 'end'");
        }

        return code;
    }
}

/// <summary>CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320).</summary>
public static class Crc32
{
    private static readonly uint[] s_table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFF_FFFF;
        foreach (byte b in data)
        {
            crc = s_table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return ~crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1;
            }

            table[i] = c;
        }

        return table;
    }
}
