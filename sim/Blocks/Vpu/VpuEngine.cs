using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Vpu;

/// <summary>
/// VPU engine (one per cluster): <c>vop</c>, <c>vreduce</c>, <c>gather</c>, <c>scatter</c>, <c>spaxpy</c> with the
/// rules of <see cref="EngineTiming"/>: element groups of lanes (INT8) or lanes / bf16Factor (BF16) elements, each
/// costing the op class's cycles from <c>chip.vpu.opCosts</c>; a rows op (vop/vreduce ROWS) costs its ROWS single-row ops; reduction trees; gather rate; sparse cost ∝
/// nnz(u) + 2·nnz(v). Statistics: those of <see cref="EngineCore"/>, plus element-ops per op class and precision for
/// the power model: <c>elementOps.CLASS.int8|bf16</c> (CLASS = add, sub, mul, max, min, relu, copy, scale; a reduction
/// counts under its class: sum as add; spaxpy's nnz(u) + 2·nnz(v) under mul; a rows op counts ROWS times its row) and
/// <c>elementOps.gather</c> (gathered or scattered elements).
/// </summary>
public sealed class VpuEngine : EngineCore
{
    /// <summary>Op classes with an element-op counter, in <see cref="VpuOp"/> order.</summary>
    public static readonly IReadOnlyList<string> OpClasses = ["add", "sub", "mul", "max", "min", "relu", "copy", "scale"];

    private readonly EngineTimingParams _t;
    private readonly Counter[] _elementOps;
    private readonly Counter _gathered;

    public VpuEngine(Simulator sim, string name, EngineId id, int index, ClockDomain clock, EngineTimingParams timing)
        : base(sim, name, id, index, clock)
    {
        _t = timing;
        _elementOps = new Counter[OpClasses.Count * 2];
        for (int op = 0; op < OpClasses.Count; op++)
        {
            _elementOps[2 * op] = sim.Stats.Counter($"{name}.elementOps.{OpClasses[op]}.int8", "count", $"INT8 elements processed by {OpClasses[op]}-class operations");
            _elementOps[(2 * op) + 1] = sim.Stats.Counter($"{name}.elementOps.{OpClasses[op]}.bf16", "count", $"BF16 elements processed by {OpClasses[op]}-class operations");
        }

        _gathered = sim.Stats.Counter(name + ".elementOps.gather", "count", "elements gathered or scattered");
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

        Count(i);
        return i.Op switch
        {
            Opcode.Vop => EngineTiming.VpuRows(i.F) * EngineTiming.VectorOp(_t, (VpuOp)(i.A & 0xFF), i.E, EngineTiming.IsBf16(i.F)),
            Opcode.Vreduce => EngineTiming.VpuRows(i.E) * EngineTiming.Reduce(_t, (ReduceOp)(i.A & 0xFF), i.D, EngineTiming.IsBf16(i.E)),
            Opcode.Gather or Opcode.Scatter => EngineTiming.GatherScatter(_t, i.D),
            Opcode.Spaxpy => EngineTiming.Spaxpy(_t, i.D, i.E, EngineTiming.IsBf16(i.F)),
            _ => throw ProgramError("not a VPU instruction"),
        };
    }

    private void Count(in Instruction i)
    {
        switch (i.Op)
        {
            case Opcode.Vop:
                Add((VpuOp)(i.A & 0xFF), EngineTiming.IsBf16(i.F), EngineTiming.VpuRows(i.F) * i.E);
                break;
            case Opcode.Vreduce:
                ReduceOp r = (ReduceOp)(i.A & 0xFF);
                Add(r switch { ReduceOp.Max => VpuOp.Max, ReduceOp.Min => VpuOp.Min, _ => VpuOp.Add }, EngineTiming.IsBf16(i.E), EngineTiming.VpuRows(i.E) * i.D);
                break;
            case Opcode.Gather or Opcode.Scatter:
                _gathered.Value += Math.Max(0, i.D);
                break;
            case Opcode.Spaxpy:
                Add(VpuOp.Mul, EngineTiming.IsBf16(i.F), i.D + (2 * i.E));
                break;
        }
    }

    private void Add(VpuOp op, bool bf16, long elements)
    {
        int k = (int)op;
        if (k < OpClasses.Count && elements > 0)
        {
            _elementOps[(2 * k) + (bf16 ? 1 : 0)].Value += elements;
        }
    }
}
