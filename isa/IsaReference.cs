using System.Globalization;
using System.Text;

namespace Antoum.Isa;

/// <summary>Generates the instruction reference section of docs/isa.md from <see cref="OpcodeTable"/>.</summary>
public static class IsaReference
{
    public const string BeginMarker = "<!-- BEGIN GENERATED: IsaReference.Generate() -->";
    public const string EndMarker = "<!-- END GENERATED -->";

    public static string Generate()
    {
        var sb = new StringBuilder();
        sb.Append("## Instruction reference (generated from the opcode table)\n\n");
        sb.Append("Encoding: header word `w0` = opcode | n<<8 (n operand words), then one 64-bit word per slot A.. ");
        sb.Append("Fields narrower than 64 bits are written `name[hi:lo]`.\n\n");
        sb.Append("| opcode | syntax | engines | summary |\n|---|---|---|---|\n");
        foreach (OpcodeInfo info in OpcodeTable.All)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| 0x{(int)info.Op:x2} | `{info.Syntax()}` | {info.EngineList()} | {info.Summary} |\n");
        }

        foreach (OpcodeInfo info in OpcodeTable.All)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\n### {info.Mnemonic}\n\n`{info.Syntax()}`: {info.Summary}.\n\n");
            sb.Append(CultureInfo.InvariantCulture, $"- engines: {info.EngineList()}\n");
            sb.Append(CultureInfo.InvariantCulture, $"- encoding ({info.WordCount} words): `{info.Encoding}`\n");
            sb.Append(CultureInfo.InvariantCulture, $"- timing: {info.Timing}\n");
            if (info.Operands.Count > 0)
            {
                sb.Append("\n| operand | slot | bits | kind | values | text | meaning |\n|---|---|---|---|---|---|---|\n");
                foreach (OperandInfo o in info.Operands)
                {
                    string bits = o.Width == 64 ? "63:0" : $"{o.Shift + o.Width - 1}:{o.Shift}";
                    string text = o.Presence switch
                    {
                        OperandPresence.Optional => $"optional, default {o.Default}",
                        OperandPresence.Keyword => $"`{o.Name}=` when FLAGS has {o.Name}",
                        OperandPresence.Hidden => "filled by the assembler",
                        _ => "required",
                    };
                    sb.Append(CultureInfo.InvariantCulture,
                        $"| {o.Name} | {o.SlotLetter} | {bits} | {o.Kind} | {o.RangeText.Replace("|", "\\|", StringComparison.Ordinal)} | {text} | {o.Description} |\n");
                }
            }
        }

        return sb.ToString();
    }
}
