using System.Globalization;
using System.Text;

namespace Antoum.Isa;

/// <summary>Program to canonical assembly text; re-assembling the output gives the identical program and bytes.</summary>
public static class Disassembler
{
    public static string Disassemble(AkpProgram program)
    {
        var sb = new StringBuilder();
        foreach (Symbol s in program.Symbols)
        {
            if (s.Kind == SymbolKind.Const)
            {
                sb.Append(CultureInfo.InvariantCulture, $".const {s.Name} = {s.Value}\n");
            }
        }

        for (int i = 0; i < program.Streams.Count; i++)
        {
            EngineStream stream = program.Streams[i];
            sb.Append(CultureInfo.InvariantCulture, $".engine {stream.Engine}\n");
            var labels = program.Symbols.Where(s => s.Kind == SymbolKind.Label && s.Stream == i).ToList();
            for (int pc = 0; pc < stream.Code.Length; pc++)
            {
                foreach (Symbol l in labels)
                {
                    if (l.Value == pc)
                    {
                        sb.Append(l.Name).Append(":\n");
                    }
                }

                sb.Append("    ").Append(Format(stream.Code[pc])).Append('\n');
            }

            foreach (Symbol l in labels)
            {
                if (l.Value >= stream.Code.Length || l.Value < 0)
                {
                    sb.Append(l.Name).Append(":\n");
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>Canonical text of one instruction (no label, no indentation).</summary>
    public static string Format(Instruction instruction)
    {
        OpcodeInfo? info = OpcodeTable.TryGet(instruction.Op);
        if (info is null)
        {
            return string.Create(CultureInfo.InvariantCulture, $"; undefined 0x{instruction.A:x16}");
        }

        // Trailing optional operands that hold their default are left off.
        int lastOptional = -1;
        for (int i = 0; i < info.Operands.Count; i++)
        {
            OperandInfo o = info.Operands[i];
            if (o.Presence == OperandPresence.Optional && o.Read(instruction) != o.Default)
            {
                lastOptional = i;
            }
        }

        var sb = new StringBuilder(info.Mnemonic);
        bool first = true;
        for (int i = 0; i < info.Operands.Count; i++)
        {
            OperandInfo o = info.Operands[i];
            if (o.Presence == OperandPresence.Hidden || (o.Presence == OperandPresence.Keyword && !info.KeywordPresent(o, instruction))
                || (o.Presence == OperandPresence.Optional && i > lastOptional))
            {
                continue;
            }

            sb.Append(first ? " " : ", ");
            first = false;
            if (o.Presence == OperandPresence.Keyword)
            {
                sb.Append(o.Name).Append('=');
            }

            sb.Append(FormatValue(info, o, instruction));
        }

        return sb.ToString();
    }

    private static string FormatValue(OpcodeInfo info, OperandInfo o, in Instruction instruction)
    {
        long v = o.Read(instruction);
        return o.Kind switch
        {
            OperandKind.Count or OperandKind.Target => v.ToString(CultureInfo.InvariantCulture),
            OperandKind.Mem => MemRef.Unpack(v).ToString(),
            OperandKind.Token => TokenRef.Unpack(v).ToString(),
            OperandKind.Engine => EngineId.Unpack(v).ToString(),
            OperandKind.Enum => v >= 0 && v < o.EnumNames.Count ? o.EnumNames[(int)v] : v.ToString(CultureInfo.InvariantCulture),
            OperandKind.Flags => SpuFlags.Unpack(v).ToString(),
            OperandKind.Scalar => Scalars.IsImmediate(v)
                ? Scalars.FormatImmediate(v, (Precision)info.Operand("prec").Read(instruction))
                : MemRef.Unpack(v).ToString(),
            _ => v.ToString(CultureInfo.InvariantCulture),
        };
    }
}
