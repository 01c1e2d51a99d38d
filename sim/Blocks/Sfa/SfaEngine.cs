using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Sfa;

/// <summary>
/// Special-function accelerator engine (one per cluster): <c>sfa</c> with the rule ceil(elems / the function's
/// elements per cycle) + its latency, from the per-function table <c>chip.sfa.functions</c>.
/// Statistics: those of <see cref="EngineCore"/> plus <c>elements.FUNCTION</c> (elements evaluated per function, for the
/// power model).
/// </summary>
public sealed class SfaEngine : EngineCore
{
    private readonly EngineTimingParams _t;
    private readonly Counter[] _elements;

    public SfaEngine(Simulator sim, string name, EngineId id, int index, ClockDomain clock, EngineTimingParams timing)
        : base(sim, name, id, index, clock)
    {
        _t = timing;
        SfaFunc[] functions = Enum.GetValues<SfaFunc>();
        _elements = new Counter[functions.Length];
        foreach (SfaFunc f in functions)
        {
            _elements[(int)f] = sim.Stats.Counter(name + ".elements." + FunctionName(f), "count", "elements evaluated by the " + FunctionName(f) + " function");
        }
    }

    protected override long Execute(in Instruction instruction)
    {
        ref readonly Instruction i = ref instruction;
        if (i.Op != Opcode.Sfa)
        {
            throw ProgramError("not an SFA instruction");
        }

        var func = (SfaFunc)(i.A & 0xFF);
        if (Data is { } data && Functional.FunctionalOps.Sfa(data, func, Resolve(i.B), Resolve(i.C), i.D, EngineTiming.IsBf16(i.E)) is { } problem)
        {
            throw ProgramError(problem);
        }

        long cycles = EngineTiming.Sfa(_t, func, i.D);
        _elements[(int)func].Value += i.D;
        return cycles;
    }

    /// <summary>The function's name in counters and the energy table: exp, rsqrt, recip, gelu, sigmoid, tanh, maxPool, avgPool, resize.</summary>
    public static string FunctionName(SfaFunc f)
    {
        string n = f.ToString();
        return char.ToLowerInvariant(n[0]) + n[1..];
    }
}
