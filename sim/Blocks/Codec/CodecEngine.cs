using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;

namespace Antoum.Sim.Blocks.Codec;

/// <summary>
/// Video/JPEG codec engine (one per cluster): <c>vdec</c> and <c>jdec</c> with the placeholder rules of
/// <see cref="EngineTiming.VideoFrame"/> and <see cref="EngineTiming.JpegImage"/> (the slower of pixel work and
/// entropy decoding). The codec issue replaces them with macroblock/CTU and MCU models. Statistics: those of
/// <see cref="EngineCore"/>.
/// </summary>
public sealed class CodecEngine : EngineCore
{
    private readonly EngineTimingParams _t;

    public CodecEngine(Simulator sim, string name, EngineId id, int index, ClockDomain clock, EngineTimingParams timing)
        : base(sim, name, id, index, clock)
    {
        _t = timing;
    }

    protected override long Execute(in Instruction instruction)
    {
        ref readonly Instruction i = ref instruction;
        return i.Op switch
        {
            Opcode.Vdec => EngineTiming.VideoFrame(_t, i.C, i.D, i.E),
            Opcode.Jdec => EngineTiming.JpegImage(_t, i.C, i.D, i.E, (int)i.F),
            _ => throw ProgramError("not a codec instruction"),
        };
    }
}
