using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;

namespace Antoum.Sim.Blocks.Sfa;

/// <summary>
/// Special-function accelerator engine (one per cluster): <c>sfa</c> with the placeholder rule
/// ceil(elems / elements per cycle) + pipeline latency, the same for every function until the per-function table
/// of the chip-blocks issue. Statistics: those of <see cref="EngineCore"/>.
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
        return i.Op == Opcode.Sfa ? EngineTiming.Sfa(_t, i.D) : throw ProgramError("not an SFA instruction");
    }
}
