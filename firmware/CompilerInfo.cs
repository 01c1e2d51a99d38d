namespace Antoum.Firmware;

/// <summary>
/// Identity of the AntoumSim firmware compiler. The compiler itself (workload graph to per-engine programs)
/// arrives with the firmware issue.
/// </summary>
public static class CompilerInfo
{
    /// <summary>The ISA encoding this compiler emits.</summary>
    public const int IsaFormatVersion = Antoum.Isa.IsaInfo.FormatVersion;
}
