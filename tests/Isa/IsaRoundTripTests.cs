using Antoum.Isa;
using NUnit.Framework;

namespace Antoum.Tests.Isa;

/// <summary>Every opcode at its operand boundaries: assemble, encode, decode, disassemble, assemble again.</summary>
[TestFixture]
[Category("Quick")]
[Category("Isa")]
public class IsaRoundTripTests
{
    private static IEnumerable<Opcode> Opcodes => OpcodeTable.All.Select(i => i.Op).Where(o => o is not Opcode.Loop and not Opcode.EndLoop);

    [TestCaseSource(nameof(Opcodes))]
    public void EveryOpcode_RoundTripsAtBoundaries(Opcode op)
    {
        OpcodeInfo info = OpcodeTable.Get(op);
        EngineId engine = IsaGen.EngineFor(info);
        var rng = new Random((int)op);
        int tested = 0;
        for (int mode = 0; mode < 40; mode++)
        {
            Instruction ins = IsaGen.Make(info, rng, mode);
            if (info.Validate(ins, engine) is not null)
            {
                Assert.That(mode, Is.GreaterThan(1), $"boundary instruction invalid: {info.Validate(ins, engine)}");
                continue;
            }

            tested++;
            CheckRoundTrip(engine, ins);
        }

        Assert.That(tested, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public void Loops_RoundTripWithMatchedIndices()
    {
        const string Source = ".engine vpu.1\nloop 1\n  loop 4294967295\n    nop\n  endloop\nendloop\nloop 3\nendloop\n";
        AkpProgram p = Assembler.Assemble(Source, "loops.s");
        Instruction[] code = p.Streams[0].Code;
        Assert.That(code.Select(i => i.Op), Is.EqualTo(new[] { Opcode.Loop, Opcode.Loop, Opcode.Nop, Opcode.EndLoop, Opcode.EndLoop, Opcode.Loop, Opcode.EndLoop, Opcode.End }));
        Assert.That(code[0].B, Is.EqualTo(4));
        Assert.That(code[1].B, Is.EqualTo(3));
        Assert.That(code[3].A, Is.EqualTo(1));
        Assert.That(code[4].A, Is.EqualTo(0));
        Assert.That(code[1].A, Is.EqualTo(4294967295L));
        CheckProgram(p);
    }

    [Test]
    public void SymbolsAndKeywordOperands_RoundTrip()
    {
        const string Source = """
            .const BASE = 0x100        ; a constant
            .const SIZE = (BASE + 4) * 2 - 8 / 2
            .engine c2:spu.3.7
            start: matmul m=16, 32, k=SIZE, l1[BASE], l1.2.3[0], c1:dram.2[BASE*2], int8, fmt=nofm:8 acc bias rq=3:7, bias=l2[0x40]
            wait g:t4095, 65535
            wait t0
            mid:
            conv 1, 224, 224, 3, 64, 7, 7, 2, 3, dram[0], dram[1], dram[2], bf16, fmt=csr:32
            .engine vpu.0
            vop relu, l2[0], l2[0], l2[0], 10, int8
            vop add, l2[0], l2[0], l2[8], 10, bf16, 1
            spaxpy l2[0], -1.5, l2[64], 0, 4294967295, bf16
            spaxpy l2[0], -128, l2[64], 1, 1, int8
            done:
            end
            after:
            """;
        AkpProgram p = Assembler.Assemble(Source, "sym.s");
        Assert.That(p.Symbols.Select(s => s.Name), Is.EqualTo(new[] { "BASE", "SIZE", "start", "mid", "done", "after" }));
        Assert.That(p.Symbols[1].Value, Is.EqualTo(516));
        Assert.That(p.Streams[0].Code[0].Get("k"), Is.EqualTo(516));
        Assert.That(p.Streams[0].Code[2].Get("count"), Is.EqualTo(1));
        CheckProgram(p);
    }

    internal static void CheckRoundTrip(EngineId engine, Instruction ins)
    {
        ulong[] words = Encoder.Encode(ins);
        Instruction decoded = Decoder.Decode(words, out int used);
        Assert.That(used, Is.EqualTo(words.Length));
        Assert.That(decoded, Is.EqualTo(ins));
        Instruction[] code = ins.Op == Opcode.End ? [ins] : [ins, new Instruction(Opcode.End)];
        var p = new AkpProgram([new EngineStream(engine, code)], []);
        CheckProgram(p);
    }

    internal static void CheckProgram(AkpProgram p)
    {
        byte[] bytes = AkpContainer.Write(p);
        string text = Disassembler.Disassemble(p);
        AkpProgram again = Assembler.Assemble(text, "dis.s");
        Assert.That(Disassembler.Disassemble(again), Is.EqualTo(text));
        Assert.That(AkpContainer.Write(again), Is.EqualTo(bytes), text);
        for (int s = 0; s < p.Streams.Count; s++)
        {
            Assert.That(again.Streams[s].Engine, Is.EqualTo(p.Streams[s].Engine));
            Assert.That(again.Streams[s].Code, Is.EqualTo(p.Streams[s].Code), text);
        }

        Assert.That(again.Symbols, Is.EqualTo(p.Symbols));
        AkpProgram read = AkpContainer.Read(bytes, "rt.akp");
        Assert.That(AkpContainer.Write(read), Is.EqualTo(bytes));
        Assert.That(read.Symbols, Is.EqualTo(p.Symbols));
    }
}
