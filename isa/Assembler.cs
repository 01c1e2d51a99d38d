using System.Globalization;

namespace Antoum.Isa;

/// <summary>
/// Text assembly (.s) to <see cref="AkpProgram"/>. One instruction per line; ';' and '#' start comments; "name:" labels;
/// ".const NAME = EXPR"; ".engine ENGINEID" starts a stream. A stream without a final 'end' gets one appended.
/// Every error is an <see cref="AsmException"/> "file:line:col: expected …, got '…'".
/// </summary>
public static class Assembler
{
    public const int MaxNameLength = 128;

    public static AkpProgram Assemble(string text, string fileName)
    {
        return new AsmState(text, fileName).Run();
    }

    private sealed class AsmState(string text, string file)
    {
        private const string EndOfLine = "<end of line>";

        private readonly string _text = text;
        private readonly string _file = file;
        private readonly Dictionary<string, (Symbol Symbol, int Line)> _symbols = new(StringComparer.Ordinal);
        private readonly List<Symbol> _consts = [];
        private readonly List<Symbol> _labels = [];
        private readonly List<EngineStream> _streams = [];
        private readonly Dictionary<EngineId, int> _engineLines = [];
        private readonly List<Instruction> _code = [];
        private readonly Stack<(int Index, int Line, int Col)> _loops = new();
        private EngineId? _engine;
        private int _endLine;
        private int _line;

        public AkpProgram Run()
        {
            string[] lines = _text.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                _line = i + 1;
                AssembleLine(StripComment(lines[i].TrimEnd('\r')));
            }

            FinishStream();
            var symbols = new List<Symbol>(_consts);
            symbols.AddRange(_labels.Select((s, i) => (s, i)).OrderBy(p => p.s.Stream).ThenBy(p => p.s.Value).ThenBy(p => p.i).Select(p => p.s));
            return new AkpProgram(_streams, symbols);
        }

        private static string StripComment(string line)
        {
            int cut = line.IndexOfAny([';', '#']);
            return cut >= 0 ? line[..cut] : line;
        }

        private AsmException Error(int col, string expected, string got)
        {
            return new AsmException(_file, _line, col, expected, got);
        }

        private void AssembleLine(string line)
        {
            int pos = SkipSpace(line, 0);
            while (pos < line.Length)
            {
                if (line[pos] == '.')
                {
                    Directive(line, pos);
                    return;
                }

                int end = pos;
                while (end < line.Length && Expression.IsIdentifierPart(line[end]))
                {
                    end++;
                }

                if (end == pos || !Expression.IsIdentifierStart(line[pos]))
                {
                    throw Error(pos + 1, "expected a label, a directive or an instruction mnemonic", Word(line, pos));
                }

                if (end < line.Length && line[end] == ':')
                {
                    DefineLabel(line[pos..end], pos);
                    pos = SkipSpace(line, end + 1);
                    continue;
                }

                Instruction(line, pos, end);
                return;
            }
        }

        private void Directive(string line, int pos)
        {
            int end = pos + 1;
            while (end < line.Length && Expression.IsIdentifierPart(line[end]))
            {
                end++;
            }

            string name = line[pos..end].ToLowerInvariant();
            int argPos = SkipSpace(line, end);
            string rest = line[argPos..].Trim();
            if (name == ".engine")
            {
                if (rest.Length == 0)
                {
                    throw Error(argPos + 1, "expected an engine id after .engine (cpu, dma.K, dma.K.C, spu.K.S, vpu.K, sfa.K, codec.K)", EndOfLine);
                }

                if (!EngineId.TryParse(rest, out EngineId id, out string? error))
                {
                    throw Error(argPos + 1, StripGot(error!), rest);
                }

                FinishStream();
                if (_engineLines.TryGetValue(id, out int first))
                {
                    throw Error(argPos + 1, $"expected an engine without a stream yet ({id} started at line {first})", rest);
                }

                _engineLines[id] = _line;
                _engine = id;
                return;
            }

            if (name == ".const")
            {
                int nameEnd = argPos;
                while (nameEnd < line.Length && Expression.IsIdentifierPart(line[nameEnd]))
                {
                    nameEnd++;
                }

                if (nameEnd == argPos || !Expression.IsIdentifierStart(line[argPos]))
                {
                    throw Error(argPos + 1, "expected a constant name after .const", Word(line, argPos));
                }

                int eq = SkipSpace(line, nameEnd);
                if (eq >= line.Length || line[eq] != '=')
                {
                    throw Error(eq + 1, "expected '=' after the constant name", eq < line.Length ? line[eq..].Trim() : EndOfLine);
                }

                int exprPos = SkipSpace(line, eq + 1);
                string constName = line[argPos..nameEnd];
                long value = Evaluate(line[exprPos..].TrimEnd(), exprPos);
                AddSymbol(new Symbol(constName, value), argPos);
                _consts.Add(_symbols[constName].Symbol);
                return;
            }

            throw Error(pos + 1, "expected a directive (.const or .engine)", line[pos..end]);
        }

        private static string StripGot(string error)
        {
            int at = error.LastIndexOf(", got '", StringComparison.Ordinal);
            return at >= 0 ? error[..at] : error;
        }

        private void DefineLabel(string name, int pos)
        {
            if (_engine is null)
            {
                throw Error(pos + 1, "expected '.engine ENGINEID' before the first label", name + ":");
            }

            var label = new Symbol(name, _code.Count) { Kind = SymbolKind.Label, Stream = _streams.Count };
            AddSymbol(label, pos);
            _labels.Add(label);
        }

        private void AddSymbol(Symbol symbol, int pos)
        {
            if (symbol.Name.Length > MaxNameLength)
            {
                throw Error(pos + 1, $"expected a name of at most {MaxNameLength} characters", symbol.Name);
            }

            if (_symbols.TryGetValue(symbol.Name, out var previous))
            {
                throw Error(pos + 1, $"expected a new name ('{symbol.Name}' is already defined at line {previous.Line})", symbol.Name);
            }

            _symbols[symbol.Name] = (symbol, _line);
        }

        private long? Lookup(string name)
        {
            return _symbols.TryGetValue(name, out var s) ? s.Symbol.Value : null;
        }

        private long Evaluate(string expr, int pos)
        {
            if (expr.Length == 0)
            {
                throw Error(pos + 1, "expected an expression", EndOfLine);
            }

            var err = Expression.TryEvaluate(expr, Lookup, out long value);
            if (err is { } e)
            {
                throw Error(pos + 1 + e.Offset, e.Expected, e.Got.Length == 0 ? EndOfLine : e.Got);
            }

            return value;
        }

        private void Instruction(string line, int pos, int end)
        {
            string mnemonic = line[pos..end];
            OpcodeInfo info = OpcodeTable.TryGet(mnemonic)
                ?? throw Error(pos + 1, $"expected an instruction mnemonic (did you mean '{Nearest(mnemonic)}'?)", mnemonic);
            if (_engine is not { } engine)
            {
                throw Error(pos + 1, "expected '.engine ENGINEID' before the first instruction", mnemonic);
            }

            if (!info.AllowedOn(engine.Kind))
            {
                throw Error(pos + 1, $"expected an instruction allowed on {engine} ({mnemonic} runs on: {info.EngineList()})", mnemonic);
            }

            if (_endLine > 0)
            {
                throw Error(pos + 1, $"expected no instruction after 'end' (line {_endLine}) in the stream of {engine}", mnemonic);
            }

            Instruction ins = ParseOperands(info, line, end);
            if (info.Validate(ins, engine) is { } problem)
            {
                throw Error(pos + 1, "expected a valid instruction: " + problem, line[pos..].Trim());
            }

            int index = _code.Count;
            switch (info.Op)
            {
                case Opcode.Loop:
                    if (_loops.Count >= IsaLimits.MaxLoopDepth)
                    {
                        throw Error(pos + 1, $"expected loops nested at most {IsaLimits.MaxLoopDepth} deep", mnemonic);
                    }

                    _loops.Push((index, _line, pos + 1));
                    break;
                case Opcode.EndLoop:
                    if (_loops.Count == 0)
                    {
                        throw Error(pos + 1, "expected 'endloop' only inside a loop", mnemonic);
                    }

                    var open = _loops.Pop();
                    _code[open.Index] = _code[open.Index] with { B = index };
                    ins = ins with { A = open.Index };
                    break;
                case Opcode.End:
                    if (_loops.Count > 0)
                    {
                        throw Error(pos + 1, $"expected 'endloop' for the loop at line {_loops.Peek().Line} before 'end'", mnemonic);
                    }

                    _endLine = _line;
                    break;
                default:
                    break;
            }

            _code.Add(ins);
        }

        private Instruction ParseOperands(OpcodeInfo info, string line, int start)
        {
            var operands = SplitOperands(line, start);
            var given = new (string Text, int Col)?[info.Operands.Count];
            int next = 0;
            foreach (var (opText, col) in operands)
            {
                int fieldIndex = -1;
                string valueText = opText;
                int valueCol = col;
                int eq = opText.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0 && opText[..eq].Trim() is { } key && info.FindOperand(key) is { Presence: not OperandPresence.Hidden } keyed)
                {
                    fieldIndex = IndexOf(info, keyed);
                    int skip = eq + 1;
                    while (skip < opText.Length && char.IsWhiteSpace(opText[skip]))
                    {
                        skip++;
                    }

                    valueText = opText[skip..];
                    valueCol = col + skip;
                    if (valueText.Length == 0)
                    {
                        throw Error(valueCol, $"expected a value for {keyed.Name}=", EndOfLine);
                    }
                }
                else
                {
                    while (next < info.Operands.Count
                        && (info.Operands[next].Presence is OperandPresence.Hidden or OperandPresence.Keyword || given[next] is not null))
                    {
                        next++;
                    }

                    if (next >= info.Operands.Count)
                    {
                        throw Error(col, $"expected at most {PositionalCount(info)} operands for '{info.Syntax()}'", opText);
                    }

                    fieldIndex = next;
                }

                if (given[fieldIndex] is not null)
                {
                    throw Error(col, $"expected operand {info.Operands[fieldIndex].Name} only once", opText);
                }

                given[fieldIndex] = (valueText, valueCol);
            }

            int eol = line.TrimEnd().Length + 1;
            Span<long> slots = stackalloc long[global::Antoum.Isa.Instruction.SlotCount];
            int scalarIndex = -1;
            for (int f = 0; f < info.Operands.Count; f++)
            {
                OperandInfo o = info.Operands[f];
                if (o.Presence == OperandPresence.Hidden)
                {
                    continue;
                }

                if (given[f] is not { } g)
                {
                    if (o.Presence == OperandPresence.Required)
                    {
                        throw Error(eol, $"expected {PositionalCount(info)} operands for '{info.Syntax()}' (missing {o.Name.ToUpperInvariant()})", EndOfLine);
                    }

                    slots[o.Slot] = o.Insert(slots[o.Slot], o.Default);
                    continue;
                }

                if (o.Kind == OperandKind.Scalar && !g.Text.Contains('[', StringComparison.Ordinal))
                {
                    scalarIndex = f;
                    continue;
                }

                slots[o.Slot] = o.Insert(slots[o.Slot], ParseValue(o, g.Text, g.Col));
            }

            Instruction ins = global::Antoum.Isa.Instruction.FromSlots(info.Op, slots);
            if (scalarIndex >= 0)
            {
                OperandInfo o = info.Operands[scalarIndex];
                var g = given[scalarIndex]!.Value;
                var prec = (Precision)info.Operand("prec").Read(ins);
                ins = ins.With(o.Slot, ParseImmediate(g.Text, g.Col, prec));
            }

            foreach (OperandInfo o in info.Operands)
            {
                if (o.Presence != OperandPresence.Keyword)
                {
                    continue;
                }

                bool wanted = info.KeywordPresent(o, ins);
                var g = given[IndexOf(info, o)];
                if (wanted && g is null)
                {
                    throw Error(eol, $"expected {o.Name}=MEM because FLAGS has '{o.Name}'", EndOfLine);
                }

                if (!wanted && g is { } extra)
                {
                    throw Error(extra.Col, $"expected no {o.Name}= operand unless FLAGS has '{o.Name}'", extra.Text);
                }
            }

            return ins;
        }

        private static int IndexOf(OpcodeInfo info, OperandInfo o)
        {
            for (int i = 0; i < info.Operands.Count; i++)
            {
                if (ReferenceEquals(info.Operands[i], o))
                {
                    return i;
                }
            }

            return -1;
        }

        private static int PositionalCount(OpcodeInfo info)
        {
            return info.Operands.Count(o => o.Presence is OperandPresence.Required or OperandPresence.Optional);
        }

        private long ParseValue(OperandInfo o, string text, int col)
        {
            switch (o.Kind)
            {
                case OperandKind.Count:
                    {
                        long v = Evaluate(text, col - 1);
                        if (v < o.Min || v > o.Max)
                        {
                            throw Error(col, $"expected {o.Name.ToUpperInvariant()} in {o.RangeText}", text);
                        }

                        return v;
                    }

                case OperandKind.Mem:
                case OperandKind.Scalar:
                    return ParseMem(o, text, col);
                case OperandKind.Token:
                    return TokenRef.TryParse(text, out TokenRef t) ? t.Pack() : throw Error(col, "expected a token t0..t4095 (or g:tN for card scope, c:tN for the engine's cluster)", text);
                case OperandKind.Engine:
                    if (!EngineId.TryParse(text, out EngineId id, out string? error))
                    {
                        throw Error(col, StripGot(error!), text);
                    }

                    return id.Pack();
                case OperandKind.Enum:
                    {
                        for (int i = 0; i < o.EnumNames.Count; i++)
                        {
                            if (string.Equals(o.EnumNames[i], text, StringComparison.OrdinalIgnoreCase))
                            {
                                return i;
                            }
                        }

                        throw Error(col, $"expected {o.Name.ToUpperInvariant()} one of {o.RangeText}", text);
                    }

                case OperandKind.Flags:
                    {
                        if (SpuFlags.TryParse(text, out SpuFlags flags) is { } err)
                        {
                            int at = text.IndexOf(err.Got, StringComparison.Ordinal);
                            throw Error(col + Math.Max(at, 0), err.Expected, err.Got);
                        }

                        return flags.Pack();
                    }

                default:
                    throw Error(col, $"expected no value for {o.Name}", text);
            }
        }

        private long ParseMem(OperandInfo o, string text, int col)
        {
            int open = text.IndexOf('[', StringComparison.Ordinal);
            if (open < 0 || !text.EndsWith(']'))
            {
                throw Error(col, $"expected {o.Name.ToUpperInvariant()} as a memory reference like dram[0x1000], l2[0], l1[0x40], l1.S[0] or host[0]", text);
            }

            if (MemRef.TryParseHead(text[..open], out MemSpace space, out int chip, out int cluster, out int unit) is { } err)
            {
                throw Error(col, err, text[..open]);
            }

            long offset = Evaluate(text[(open + 1)..^1], col + open);
            if (offset < 0 || (ulong)offset > IsaLimits.MaxOffset)
            {
                throw Error(col + open + 1, $"expected an offset in 0..0x{IsaLimits.MaxOffset:x}", text[(open + 1)..^1]);
            }

            var m = new MemRef(space, chip, cluster, unit, (ulong)offset);
            if (m.Check() is { } problem)
            {
                throw Error(col, "expected a valid memory reference: " + problem, text);
            }

            return m.Pack();
        }

        private long ParseImmediate(string text, int col, Precision prec)
        {
            if (prec == Precision.Int8)
            {
                long v = Evaluate(text, col - 1);
                if (v < sbyte.MinValue || v > sbyte.MaxValue)
                {
                    throw Error(col, "expected an int8 immediate in -128..127 or a memory reference", text);
                }

                return Scalars.Int8Immediate((int)v);
            }

            double d;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out d))
            {
                d = Evaluate(text, col - 1);
            }

            ushort bits = Scalars.FloatToBf16((float)d);
            if (!double.IsFinite(d) || !Scalars.IsFiniteBf16(bits))
            {
                throw Error(col, "expected a finite bf16 immediate or a memory reference", text);
            }

            return Scalars.Bf16Immediate(bits);
        }

        private List<(string Text, int Col)> SplitOperands(string line, int start)
        {
            var result = new List<(string, int)>();
            int pos = SkipSpace(line, start);
            if (pos >= line.Length)
            {
                return result;
            }

            if (pos == start)
            {
                throw Error(pos + 1, "expected whitespace after the mnemonic", Word(line, pos));
            }

            int depth = 0;
            int segStart = pos;
            for (int i = pos; i <= line.Length; i++)
            {
                char c = i < line.Length ? line[i] : ',';
                if (c is '[' or '(')
                {
                    depth++;
                }
                else if (c is ']' or ')')
                {
                    depth--;
                    if (depth < 0)
                    {
                        throw Error(i + 1, "expected brackets to balance", c.ToString());
                    }
                }
                else if (c == ',' && (depth == 0 || i == line.Length))
                {
                    if (i == line.Length && depth != 0)
                    {
                        throw Error(segStart + 1, "expected a closing bracket", line[segStart..].Trim());
                    }

                    int s = SkipSpace(line, segStart);
                    string seg = line[s..i].TrimEnd();
                    if (seg.Length == 0)
                    {
                        throw Error(s + 1, "expected an operand", i < line.Length ? "," : EndOfLine);
                    }

                    result.Add((seg, s + 1));
                    segStart = i + 1;
                }
            }

            return result;
        }

        private void FinishStream()
        {
            if (_engine is not { } engine)
            {
                return;
            }

            if (_loops.Count > 0)
            {
                var open = _loops.Peek();
                _line = open.Line;
                throw Error(open.Col, $"expected a matching 'endloop' before the end of the stream of {engine}", "loop");
            }

            if (_endLine == 0)
            {
                _code.Add(new Instruction(Opcode.End));
            }

            _streams.Add(new EngineStream(engine, [.. _code]));
            _code.Clear();
            _endLine = 0;
            _engine = null;
        }

        private static int SkipSpace(string line, int pos)
        {
            while (pos < line.Length && char.IsWhiteSpace(line[pos]))
            {
                pos++;
            }

            return pos;
        }

        private static string Word(string line, int pos)
        {
            int end = pos;
            while (end < line.Length && !char.IsWhiteSpace(line[end]) && line[end] != ',')
            {
                end++;
            }

            return end > pos ? line[pos..end] : EndOfLine;
        }

        private static string Nearest(string word)
        {
            string best = "nop";
            int bestDistance = int.MaxValue;
            foreach (OpcodeInfo info in OpcodeTable.All)
            {
                int d = Distance(word.ToLowerInvariant(), info.Mnemonic);
                if (d < bestDistance)
                {
                    bestDistance = d;
                    best = info.Mnemonic;
                }
            }

            return best;
        }

        private static int Distance(string a, string b)
        {
            var row = new int[b.Length + 1];
            for (int j = 0; j <= b.Length; j++)
            {
                row[j] = j;
            }

            for (int i = 1; i <= a.Length; i++)
            {
                int diag = row[0];
                row[0] = i;
                for (int j = 1; j <= b.Length; j++)
                {
                    int up = row[j];
                    row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diag + (a[i - 1] == b[j - 1] ? 0 : 1));
                    diag = up;
                }
            }

            return row[b.Length];
        }
    }
}
