namespace Antoum.Isa;

/// <summary>Identity of the AntoumSim instruction set.</summary>
public static class IsaInfo
{
    /// <summary>Version of the instruction encoding and of the .akp container. Bumped on any incompatible change.</summary>
    public const int FormatVersion = AkpProgram.FormatVersion;
}
