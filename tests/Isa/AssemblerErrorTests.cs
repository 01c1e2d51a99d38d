using Antoum.Isa;
using NUnit.Framework;

namespace Antoum.Tests.Isa;

/// <summary>Each assembler error names file:line:col and what was expected.</summary>
[TestFixture]
[Category("Quick")]
[Category("Isa")]
public class AssemblerErrorTests
{
    private static readonly object[] s_cases =
    [
        new object[] { "nop\n", "k.s:1:1: expected '.engine ENGINEID' before the first instruction, got 'nop'" },
        new object[] { ".engine spu.0.0\n  matmull 1, 1, 1, l1[0], l1[0], l1[0], int8, fmt=dense\n", "k.s:2:3: expected an instruction mnemonic (did you mean 'matmul'?), got 'matmull'" },
        new object[] { ".engine dma.0\ncopy l2[0], dram[0]\n", "k.s:2:20: expected 3 operands for 'copy DST, SRC, BYTES' (missing BYTES), got '<end of line>'" },
        new object[] { ".engine dma.0\ncopy l2[0], dram[0], 4, 5\n", "k.s:2:25: expected at most 3 operands for 'copy DST, SRC, BYTES', got '5'" },
        new object[] { ".engine dma.0\ncopy l2[0], dram[0], 0\n", "k.s:2:22: expected BYTES in 1..2^40, got '0'" },
        new object[] { ".engine dma.0\ncopy l2[0], 7, 1\n", "k.s:2:13: expected SRC as a memory reference like dram[0x1000], l2[0], l1[0x40], l1.S[0] or host[0], got '7'" },
        new object[] { ".engine dma.0\n loop 2\n nop\n", "k.s:2:2: expected a matching 'endloop' before the end of the stream of dma.0, got 'loop'" },
        new object[] { ".engine dma.0\nendloop\n", "k.s:2:1: expected 'endloop' only inside a loop, got 'endloop'" },
        new object[] { ".engine dma.0\nloop 0\nendloop\n", "k.s:2:6: expected COUNT in 1..2^32-1, got '0'" },
        new object[] { ".engine vpu.0\nlaunch spu.0.0\n", "k.s:2:1: expected an instruction allowed on vpu.0 (launch runs on: cpu), got 'launch'" },
        new object[] { ".engine cpu\na: nop\na: nop\n", "k.s:3:1: expected a new name ('a' is already defined at line 2), got 'a'" },
        new object[] { ".const X = 1\n.const X = 2\n", "k.s:2:8: expected a new name ('X' is already defined at line 1), got 'X'" },
        new object[] { ".const X = Y + 1\n", "k.s:1:12: expected a constant or label defined earlier, got 'Y'" },
        new object[] { ".const X = 4 / (2 - 2)\n", "k.s:1:14: expected a non-zero divisor, got '/ (2 - 2)'" },
        new object[] { ".engine spu.9.0\n", "k.s:1:9: expected a cluster index in 0..3 in an engine id, got 'spu.9.0'" },
        new object[] { ".engine cpu\n.engine cpu\n", "k.s:2:9: expected an engine without a stream yet (cpu started at line 1), got 'cpu'" },
        new object[] { ".engine cpu\nwait t4096\n", "k.s:2:6: expected a token t0..t4095 (or g:tN for card scope, c:tN for the engine's cluster), got 't4096'" },
        new object[] { ".engine cpu\nend\nnop\n", "k.s:3:1: expected no instruction after 'end' (line 2) in the stream of cpu, got 'nop'" },
        // Found by the mutated-text property: a bare 'fmt' used to throw ArgumentOutOfRangeException.
        new object[] { ".engine spu.0.1\nmatmul 1, 1, 1, l1[0], l1[0], l1[0], int8, fmt\n", "k.s:2:44: expected fmt=dense|nofm|bitmap|csr|blockcsr[:RATIO], got 'fmt'" },
        new object[] { ".engine spu.0.1\nmatmul 1, 1, 1, l1[0], l1[0], l1[0], int8, fmt=bitmap:33\n", "k.s:2:44: expected a sparsity ratio in 1..32, got 'fmt=bitmap:33'" },
        new object[] { ".engine spu.0.1\nmatmul 1, 1, 1, l1[0], l1[0], l1[0], int8, fmt=dense bias\n", "k.s:2:58: expected bias=MEM because FLAGS has 'bias', got '<end of line>'" },
        new object[] { ".engine spu.0.1\nmatmul 1, 1, 1, l1[0], l1[0], l1[0], fp32, fmt=dense\n", "k.s:2:38: expected PREC one of int8|bf16, got 'fp32'" },
        new object[] { ".engine dma.1\ncopy l1[0], dram[0], 4\n", "k.s:2:1: expected a valid instruction: copy: dst: only an SPU has its own l1; name the SPU as l1.S[..], got 'copy l1[0], dram[0], 4'" },
        new object[] { ".engine cpu\ncopy dram[0], l2[0], 4\n", "k.s:2:1: expected a valid instruction: copy on the cpu must have host memory on one side, got 'copy dram[0], l2[0], 4'" },
        new object[] { ".engine vpu.0\nspaxpy l2[0], 300, l2[8], 1, 1, int8\n", "k.s:2:15: expected an int8 immediate in -128..127 or a memory reference, got '300'" },
        new object[] { ".engine dma.0\ncopy l2[0], , 4\n", "k.s:2:13: expected an operand, got ','" },
        new object[] { ".bogus 1\n", "k.s:1:1: expected a directive (.const or .engine), got '.bogus'" },
        new object[] { ".engine dma.0\ncopy host.1[0], dram[0], 4\n", "k.s:2:6: expected host memory without qualifiers, 'host[OFFSET]', got 'host.1'" },
    ];

    [TestCaseSource(nameof(s_cases))]
    public void Error_NamesLocationAndExpectation(string source, string message)
    {
        AsmException e = Assert.Throws<AsmException>(() => Assembler.Assemble(source, "k.s"))!;
        Assert.That(e.Message, Is.EqualTo(message));
        Assert.That(e.File, Is.EqualTo("k.s"));
    }

    [Test]
    public void MissingEnd_IsImplicit()
    {
        AkpProgram p = Assembler.Assemble(".engine sfa.2\n  sfa exp, l2[0], l2[64], 32, bf16\n.engine codec.3\n", "k.s");
        Assert.That(p.Streams[0].Code[^1].Op, Is.EqualTo(Opcode.End));
        Assert.That(p.Streams[1].Code, Has.Length.EqualTo(1));
    }
}
