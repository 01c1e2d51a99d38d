using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;

namespace Antoum.Sim.Blocks.Vpu;

/// <summary>
/// VPU engine (one per cluster): <c>vop</c>, <c>vreduce</c>, <c>gather</c>, <c>scatter</c>, <c>spaxpy</c> with the
/// rules of <see cref="EngineTiming"/>: element groups of lanes (INT8) or lanes / bf16Factor (BF16) elements, each
/// costing the op class's cycles from <c>chip.vpu.opCosts</c>; a rows op (vop/vreduce ROWS) costs its ROWS single-row ops; reduction trees; gather rate; sparse cost ∝
/// nnz(u) + 2·nnz(v). Statistics: those of <see cref="EngineCore"/>.
/// </summary>
public sealed class VpuEngine : EngineCore
{
    private readonly EngineTimingParams _t;

    public VpuEngine(Simulator sim, string name, EngineId id, int index, ClockDomain clock, EngineTimingParams timing)
        : base(sim, name, id, index, clock)
    {
        _t = timing;
    }

    protected override long Execute(in Instruction instruction)
    {
        ref readonly Instruction i = ref instruction;
        if (Data is { } data)
        {
            string? problem = i.Op switch
            {
                Opcode.Vop => Functional.FunctionalOps.VopRows(data, (VpuOp)(i.A & 0xFF), Resolve(i.B), Resolve(i.C), Resolve(i.D), i.E,
                    EngineTiming.IsBf16(i.F), EngineTiming.VopBcast(i.F), EngineTiming.VpuRows(i.F)),
                Opcode.Vreduce => Functional.FunctionalOps.VreduceRows(data, (ReduceOp)(i.A & 0xFF), Resolve(i.B), Resolve(i.C), i.D, EngineTiming.IsBf16(i.E),
                    EngineTiming.VpuRows(i.E)),
                _ => "functional mode does not compute gather, scatter or spaxpy",
            };
            if (problem is not null)
            {
                throw ProgramError(problem);
            }
        }

        return i.Op switch
        {
            Opcode.Vop => EngineTiming.VpuRows(i.F) * EngineTiming.VectorOp(_t, (VpuOp)(i.A & 0xFF), i.E, EngineTiming.IsBf16(i.F)),
            Opcode.Vreduce => EngineTiming.VpuRows(i.E) * EngineTiming.Reduce(_t, (ReduceOp)(i.A & 0xFF), i.D, EngineTiming.IsBf16(i.E)),
            Opcode.Gather or Opcode.Scatter => EngineTiming.GatherScatter(_t, i.D),
            Opcode.Spaxpy => EngineTiming.Spaxpy(_t, i.D, i.E, EngineTiming.IsBf16(i.F)),
            _ => throw ProgramError("not a VPU instruction"),
        };
    }
}
