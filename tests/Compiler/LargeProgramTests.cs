using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Compiler;

/// <summary>
/// A program large enough that the compiler's stream builder spreads streams over several storage chunks (docs/
/// performance.md, "Memory and run cost of the BERT family"): every stream ends in `end`, every loop's hidden target
/// is its own endloop and back, every instruction is valid, and the .akp container round-trips it exactly.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Compiler")]
public class LargeProgramTests
{
    [Test]
    public void BertBaseProgramIsWellFormedAcrossBuilderChunksAndRoundTripsThroughAkp()
    {
        CardParameters card = CardParameters.FromConfig(ConfigLoader.Load("S4").Config) with { DramDevice = null, DmaChannels = 1 };
        // One DMA channel per cluster keeps a single stream large enough to span several builder chunks.
        CompileResult r = Antoum.Firmware.Compiler.Compiler.Compile(Networks.BertBase(), 8, CompilerTarget.From(card));
        AkpProgram program = r.Program;

        long largestWords = 0;
        foreach (EngineStream s in program.Streams)
        {
            long words = 0;
            var open = new Stack<int>();
            for (int pc = 0; pc < s.Code.Length; pc++)
            {
                Instruction i = s.Code[pc];
                words += OpcodeTable.Get(i.Op).WordCount;
                Assert.That(OpcodeTable.Get(i.Op).Validate(i, s.Engine), Is.Null, $"{s.Engine} instruction {pc}");
                if (i.Op == Opcode.Loop)
                {
                    open.Push(pc);
                    Assert.That(s.Code[(int)i.B].Op, Is.EqualTo(Opcode.EndLoop), $"{s.Engine} loop at {pc}: target");
                    Assert.That(s.Code[(int)i.B].A, Is.EqualTo(pc), $"{s.Engine} loop at {pc}: its endloop points back");
                }
                else if (i.Op == Opcode.EndLoop)
                {
                    Assert.That(open.Pop(), Is.EqualTo((int)i.A), $"{s.Engine} endloop at {pc}");
                }
            }

            Assert.That(open, Is.Empty);
            Assert.That(s.Code[^1].Op, Is.EqualTo(Opcode.End));
            largestWords = Math.Max(largestWords, words);
        }

        // The builder's chunks hold 65,536 words: the test only means something if a stream spans several.
        Assert.That(largestWords, Is.GreaterThan(2 * 65536));

        byte[] bytes = AkpContainer.Write(program);
        AkpProgram back = AkpContainer.Read(bytes, "bert-base.akp");
        Assert.That(back.Streams, Has.Count.EqualTo(program.Streams.Count));
        for (int s = 0; s < program.Streams.Count; s++)
        {
            Assert.That(back.Streams[s].Engine, Is.EqualTo(program.Streams[s].Engine));
            Assert.That(back.Streams[s].Code, Is.EqualTo(program.Streams[s].Code), $"stream {program.Streams[s].Engine}");
        }

        Assert.That(AkpContainer.Write(back), Is.EqualTo(bytes));
    }
}
