using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;

namespace Antoum.Sim.Blocks.Codec;

/// <summary>
/// Video/JPEG codec engine (one per cluster) executing <c>vdec</c> and <c>jdec</c> of a program with the models of
/// <see cref="VideoDecoderModel"/> (one decoder core, a P frame) and <see cref="JpegDecoderModel.Uniform"/> (an image
/// known only by its size: its bits spread evenly, one restart interval). The pipelines of docs/codec.md use the
/// same models with the real per-frame and per-MCU bits. Statistics: those of <see cref="EngineCore"/>.
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
            Opcode.Vdec => VideoDecoderModel.Frame(_t.Codec.Video, (VideoCodec)i.A, i.C, i.D, i.E, VideoFrameType.P).Cycles,
            Opcode.Jdec => JpegDecoderModel.Uniform(_t.Codec.Jpeg, i.C, i.D, i.E, (int)i.F).Cycles,
            _ => throw ProgramError("not a codec instruction"),
        };
    }
}
