using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Blocks.Spu;

/// <summary>
/// SPU engine: executes <c>matmul</c> and <c>conv</c> from its instruction stream with the placeholder timing of
/// <see cref="EngineTiming.Matmul"/> (dense fold formula on the reduction length left after weight sparsity).
/// Operands are assumed resident in L1 (DMA puts them there; the loader checks they fit).
/// Statistics: those of <see cref="EngineCore"/> plus <c>macs</c> (useful MACs: M·N·K/ratio).
/// </summary>
public sealed class SpuEngine : EngineCore
{
    private readonly EngineTimingParams _t;
    private readonly Counter _macs;

    public SpuEngine(Simulator sim, string name, EngineId id, int index, ClockDomain clock, EngineTimingParams timing)
        : base(sim, name, id, index, clock)
    {
        _t = timing;
        _macs = sim.Stats.Counter(name + ".macs", "MAC", "useful multiply-accumulates (after weight sparsity)");
    }

    protected override long Execute(in Instruction instruction)
    {
        ref readonly Instruction i = ref instruction;
        bool bf16 = EngineTiming.IsBf16(i.H >> 48);
        int ratio = EngineTiming.Ratio(i.H);
        switch (i.Op)
        {
            case Opcode.Matmul:
                _macs.Value += i.A * i.B * EngineTiming.CeilDiv(i.C, ratio);
                return EngineTiming.Matmul(_t, i.A, i.B, i.C, bf16, ratio);
            case Opcode.Conv:
                {
                    long n = i.A & 0xFFFF, h = (i.A >> 16) & 0xFFFF, w = (i.A >> 32) & 0xFFFF, c = (i.A >> 48) & 0xFFFF;
                    long k = i.B & 0xFFFF, r = (i.B >> 16) & 0xFF, s = (i.B >> 24) & 0xFF, stride = (i.B >> 32) & 0xFF, pad = (i.B >> 40) & 0xFF;
                    long p = EngineTiming.ConvOut(h, r, stride, pad);
                    long q = EngineTiming.ConvOut(w, s, stride, pad);
                    _macs.Value += n * p * q * k * EngineTiming.CeilDiv(r * s * c, ratio);
                    return EngineTiming.Conv(_t, n, h, w, c, k, r, s, stride, pad, bf16, ratio);
                }

            default:
                throw ProgramError("not an SPU instruction");
        }
    }
}
