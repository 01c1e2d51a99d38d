using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;

namespace Antoum.Sim.Blocks.Sfa;

/// <summary>
/// Special-function accelerator engine (one per cluster): <c>sfa</c> with the rule ceil(elems / the function's
/// elements per cycle) + its latency, from the per-function table <c>chip.sfa.functions</c>.
/// Statistics: those of <see cref="EngineCore"/>.
/// </summary>
public sealed class SfaEngine : EngineCore
{
    private readonly EngineTimingParams _t;

    public SfaEngine(Simulator sim, string name, EngineId id, int index, ClockDomain clock, EngineTimingParams timing)
        : base(sim, name, id, index, clock)
    {
        _t = timing;
    }

    protected override long Execute(in Instruction instruction)
    {
        ref readonly Instruction i = ref instruction;
        if (Data is { } data && i.Op == Opcode.Sfa
            && Functional.FunctionalOps.Sfa(data, (SfaFunc)(i.A & 0xFF), Resolve(i.B), Resolve(i.C), i.D, EngineTiming.IsBf16(i.E)) is { } problem)
        {
            throw ProgramError(problem);
        }

        return i.Op == Opcode.Sfa ? EngineTiming.Sfa(_t, (SfaFunc)(i.A & 0xFF), i.D) : throw ProgramError("not an SFA instruction");
    }
}
