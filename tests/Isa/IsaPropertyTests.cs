using Antoum.Isa;
using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;

namespace Antoum.Tests.Isa;

/// <summary>FsCheck properties; the case count comes from ANTOUM_FUZZ_CASES (default 2000).</summary>
[TestFixture]
[Category("Quick")]
[Category("Isa")]
public class IsaPropertyTests
{
    private static readonly string[] s_fragments =
    [
        "nop", "end", "loop 3", "endloop", "signal t1", "wait g:t2, 3", "barrier 1, 2", ".engine spu.0.0", ".engine dma.1", ".engine cpu",
        "copy l2[0], dram[8], 16", "matmul 1, 2, 3, l1[0], l1[0], l1[0], int8, fmt=nofm:4 acc", ".const Q = 7 * (2 + 1)", "lbl:", ",", "[", "]",
        "(", ")", "=", "0x", "-", "#", ";", ":", "g:", "t9999", "l1.9[0]", "c3:", "\n", " ", "bias=l2[0]", "fmt=csr:40", "99999999999999999999",
    ];

    [Test]
    public void RandomValidInstructions_EncodeDecodeRoundTrip()
    {
        OpcodeInfo[] all = [.. OpcodeTable.All];
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var rng = new Random(seed);
            OpcodeInfo info = all[rng.Next(all.Length)];
            Instruction ins = IsaGen.Make(info, rng, 2 + rng.Next(100));
            Assert.That(info.Validate(ins), Is.Null);
            ulong[] words = Encoder.Encode(ins);
            Instruction back = Decoder.Decode(words, out int used);
            return used == words.Length && back == ins && Encoder.Encode(back).SequenceEqual(words);
        }).Check(IsaGen.FuzzConfig);
    }

    [Test]
    public void RandomWords_DecodeWithoutThrowing()
    {
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var rng = new Random(seed);
            var words = new ulong[rng.Next(1, 12)];
            for (int i = 0; i < words.Length; i++)
            {
                words[i] = (ulong)rng.NextInt64() & (rng.Next(2) == 0 ? 0xFFFUL : ulong.MaxValue);
            }

            Instruction ins = Decoder.Decode(words, out int used);
            return used >= 1 && used <= words.Length && (ins.Op == Opcode.Undefined || used == OpcodeTable.Get(ins.Op).WordCount);
        }).Check(IsaGen.FuzzConfig);
    }

    [Test]
    public void MutatedAssemblyText_IsProgramOrAsmException()
    {
        string[] seeds = [AkpContainerTests.Sample, .. KernelTests.KernelTexts()];
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var rng = new Random(seed);
            string text = seeds[rng.Next(seeds.Length)];
            int edits = rng.Next(1, 5);
            for (int e = 0; e < edits; e++)
            {
                int at = rng.Next(text.Length + 1);
                switch (rng.Next(4))
                {
                    case 0:
                        text = text.Insert(at, s_fragments[rng.Next(s_fragments.Length)]);
                        break;
                    case 1:
                        text = text.Remove(at, Math.Min(rng.Next(1, 12), text.Length - at));
                        break;
                    case 2:
                        text = text.Insert(at, ((char)rng.Next(32, 127)).ToString());
                        break;
                    default:
                        string frag = string.Join(' ', Enumerable.Range(0, rng.Next(1, 6)).Select(_ => s_fragments[rng.Next(s_fragments.Length)]));
                        text = frag + "\n" + text;
                        break;
                }
            }

            try
            {
                AkpProgram p = Assembler.Assemble(text, "m.s");
                byte[] bytes = AkpContainer.Write(p);
                AkpProgram again = Assembler.Assemble(Disassembler.Disassemble(p), "d.s");
                return AkpContainer.Write(again).SequenceEqual(bytes) && AkpContainer.Read(bytes, "m.akp").Streams.Count == p.Streams.Count;
            }
            catch (AsmException e)
            {
                return e.Message.StartsWith("m.s:", StringComparison.Ordinal) && e.Line >= 1 && e.Column >= 1;
            }
        }).Check(IsaGen.FuzzConfig);
    }
}
