namespace Antoum.Isa;

/// <summary>
/// Identity of the AntoumSim instruction set. The opcode table, encoder, decoder and assembler arrive with the
/// ISA issue; until then this assembly only names the format version that program containers will carry.
/// </summary>
public static class IsaInfo
{
    /// <summary>Version of the instruction encoding. Bumped on any incompatible change.</summary>
    public const int FormatVersion = 0;
}
