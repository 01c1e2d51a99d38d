namespace Antoum.Isa;

/// <summary>
/// A decoded instruction: opcode plus eight operand slots A..H. <see cref="OpcodeTable"/> names what each slot holds;
/// slots an opcode does not use are zero.
/// </summary>
public readonly record struct Instruction(Opcode Op, long A, long B, long C, long D, long E, long F, long G, long H)
{
    public const int SlotCount = 8;

    public Instruction(Opcode op)
        : this(op, 0, 0, 0, 0, 0, 0, 0, 0)
    {
    }

    public long this[int i] => i switch
    {
        0 => A,
        1 => B,
        2 => C,
        3 => D,
        4 => E,
        5 => F,
        6 => G,
        7 => H,
        _ => throw new ArgumentOutOfRangeException(nameof(i), i, "operand slot must be 0..7"),
    };

    public static Instruction FromSlots(Opcode op, ReadOnlySpan<long> slots)
    {
        Span<long> s = stackalloc long[SlotCount];
        slots[..Math.Min(slots.Length, SlotCount)].CopyTo(s);
        return new Instruction(op, s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
    }

    /// <summary>Copy with slot <paramref name="i"/> replaced.</summary>
    public Instruction With(int i, long value)
    {
        Span<long> s = [A, B, C, D, E, F, G, H];
        s[i] = value;
        return FromSlots(Op, s);
    }

    /// <summary>The value of the named operand field (see <see cref="OpcodeInfo.Operands"/>).</summary>
    public long Get(string operand)
    {
        return OpcodeTable.Get(Op).Operand(operand).Read(this);
    }
}

/// <summary>The instruction stream of one engine.</summary>
public sealed record EngineStream(EngineId Engine, Instruction[] Code);

public enum SymbolKind : byte
{
    Const,
    Label,
}

/// <summary>A named constant or a label. A label's Value is an instruction index in stream <see cref="Stream"/>.</summary>
public sealed record Symbol(string Name, long Value)
{
    public SymbolKind Kind { get; init; } = SymbolKind.Const;

    /// <summary>Index of the stream a label belongs to; -1 for constants.</summary>
    public int Stream { get; init; } = -1;
}

/// <summary>A whole program: one stream per engine that runs code, plus its symbol table.</summary>
public sealed class AkpProgram
{
    public const int FormatVersion = 1;

    public AkpProgram(IReadOnlyList<EngineStream> streams, IReadOnlyList<Symbol> symbols)
    {
        Streams = streams;
        Symbols = symbols;
    }

    public IReadOnlyList<EngineStream> Streams { get; }

    public IReadOnlyList<Symbol> Symbols { get; }

    /// <summary>The stream of <paramref name="engine"/>, or null when the program has none.</summary>
    public EngineStream? StreamOf(EngineId engine)
    {
        foreach (EngineStream s in Streams)
        {
            if (s.Engine == engine)
            {
                return s;
            }
        }

        return null;
    }
}

/// <summary>A user error in an ISA input (assembly text or .akp container).</summary>
public class IsaException : Exception
{
    public IsaException()
    {
    }

    public IsaException(string message)
        : base(message)
    {
    }

    public IsaException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>An assembly error. Message: "file:line:col: expected …, got '…'".</summary>
public sealed class AsmException : IsaException
{
    public AsmException(string file, int line, int column, string expected, string text)
        : base($"{file}:{line}:{column}: {expected}, got '{text}'")
    {
        File = file;
        Line = line;
        Column = column;
        Text = text;
        Expected = expected;
    }

    public string File { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The offending source text.</summary>
    public string Text { get; }

    public string Expected { get; }
}

/// <summary>A malformed .akp container. The message names the file, the byte offset when known and what is wrong.</summary>
public sealed class AkpFormatException : IsaException
{
    public AkpFormatException(string file, long offset, string problem, Exception? inner = null)
        : base(offset >= 0 ? $"{file}: at byte {offset}: {problem}" : $"{file}: {problem}", inner ?? new InvalidDataException(problem))
    {
        File = file;
        Offset = offset;
        Problem = problem;
    }

    public string File { get; }

    /// <summary>Byte offset of the problem, or -1 when not known.</summary>
    public long Offset { get; }

    public string Problem { get; }
}
