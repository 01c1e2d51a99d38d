using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Functional;
using NUnit.Framework;

namespace Antoum.Tests.Engines;

/// <summary>
/// The rows form of vop and vreduce (docs/isa.md): one instruction for ROWS rows of ELEMS elements, costing exactly
/// ROWS single-row instructions, computing exactly what a per-row loop computes, and written / read back by the
/// assembler and disassembler.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Engines")]
public class VpuRowsTests
{
    private static CardParameters S4() => CardParameters.FromConfig(ConfigLoader.Load("S4", Antoum.Sim.Validation.Validator.Neutral()).Config) with { DramDevice = null };

    private static ProgramSummary Run(string text, CardParameters p)
    {
        AkpProgram program = Assembler.Assemble(text, "test.s");
        return ProgramRunner.Run(ProgramRunner.Build(p, program, "test.s"), ulong.MaxValue, ulong.MaxValue);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;

    [TestCase("add", 0, 384, 1, "int8")]
    [TestCase("sub", 1, 384, 97, "bf16")]
    [TestCase("mul", 2, 1000, 33, "bf16")]
    [TestCase("scale", 0, 768, 64, "int8")]
    public void RowsVopCostsItsSingleRowVops(string op, int bcast, long elems, long rows, string prec)
    {
        // Independent closed form: ROWS x (ceil(ELEMS / G) x opCost + pipeline latency), G = lanes or lanes / bf16Factor.
        CardParameters p = S4();
        int opIndex = Array.IndexOf(["add", "sub", "mul", "max", "min", "relu", "copy", "scale"], op);
        long group = prec == "bf16" ? p.VpuLanes / p.VpuBf16Factor : p.VpuLanes;
        long single = (CeilDiv(elems, group) * p.VpuOpCycles[opIndex]) + p.VpuPipelineLatency;
        ProgramSummary s = Run($".engine vpu.0\n vop {op}, dram[0x0], dram[0x1000000], dram[0x2000000], {elems}, {prec}, {bcast}, {rows}\n end\n", p);
        Assert.That(s.Engines[0].BusyCycles, Is.EqualTo(rows * single));

        // The same work as a per-row loop is busy for exactly as long; the loop adds only its 1 + ROWS control cycles.
        ProgramSummary loop = Run($".engine vpu.0\n loop {rows}\n vop {op}, dram[0x0], dram[0x1000000], dram[0x2000000], {elems}, {prec}, {bcast}\n endloop\n end\n", p);
        Assert.That(loop.Engines[0].BusyCycles, Is.EqualTo(rows * single));
        Assert.That(loop.Engines[0].Instructions - s.Engines[0].Instructions, Is.EqualTo(2 * rows));
    }

    [TestCase("sum", 384, 200, "bf16")]
    [TestCase("max", 4096, 3, "int8")]
    [TestCase("min", 5, 1, "bf16")]
    public void RowsVreduceCostsItsSingleRowVreduces(string op, long elems, long rows, string prec)
    {
        CardParameters p = S4();
        int cls = op switch { "max" => 3, "min" => 4, _ => 0 };
        long group = prec == "bf16" ? p.VpuLanes / p.VpuBf16Factor : p.VpuLanes;
        long single = (CeilDiv(elems, group) * p.VpuOpCycles[cls]) + (long)Math.Ceiling(Math.Log2(group)) + p.VpuPipelineLatency;
        ProgramSummary s = Run($".engine vpu.0\n vreduce {op}, dram[0x0], dram[0x1000000], {elems}, {prec}, {rows}\n end\n", p);
        Assert.That(s.Engines[0].BusyCycles, Is.EqualTo(rows * single));
    }

    [Test]
    public void RowsZeroAndOneAreOneRowAndOmittedRowsIsZero()
    {
        Instruction plain = Assembler.Assemble(".engine vpu.0\n vop add, l2[0x0], l2[0x100], l2[0x200], 64, int8\n", "t.s").Streams[0].Code[0];
        Assert.That(Antoum.Sim.Engines.EngineTiming.VpuRows(plain.F), Is.EqualTo(1));
        Assert.That(plain.F >> 16, Is.Zero, "a vop without ROWS encodes as before the rows form existed");
        Instruction one = Assembler.Assemble(".engine vpu.0\n vop add, l2[0x0], l2[0x100], l2[0x200], 64, int8, 0, 1\n", "t.s").Streams[0].Code[0];
        Assert.That(Antoum.Sim.Engines.EngineTiming.VpuRows(one.F), Is.EqualTo(1));
    }

    [TestCase(".engine vpu.0\n vop sub, l2[0x0], l2[0x100], l2[0x200], 64, bf16, 1, 12\n end\n")]
    [TestCase(".engine vpu.0\n vop mul, l2[0x0], l2[0x100], dram[0x200], 768, bf16, 2, 4096\n end\n")]
    [TestCase(".engine vpu.0\n vreduce sum, l2[0x0], l2[0x100], 384, bf16, 4294967295\n end\n")]
    public void RowsFormRoundTripsThroughTheDisassembler(string text)
    {
        AkpProgram a = Assembler.Assemble(text, "t.s");
        AkpProgram b = Assembler.Assemble(Disassembler.Disassemble(a), "t2.s");
        Assert.That(b.Streams[0].Code, Is.EqualTo(a.Streams[0].Code));
        Assert.That(Encoder.EncodeAll(b.Streams[0].Code), Is.EqualTo(Encoder.EncodeAll(a.Streams[0].Code)));
    }

    [Test]
    public void BcastThreeIsRejected()
    {
        Assert.Throws<AsmException>(() => Assembler.Assemble(".engine vpu.0\n vop add, l2[0x0], l2[0x100], l2[0x200], 64, int8, 3\n", "t.s"));
    }

    [TestCase(VpuOp.Sub, 1, false)]
    [TestCase(VpuOp.Mul, 2, true)]
    [TestCase(VpuOp.Add, 0, true)]
    [TestCase(VpuOp.Scale, 0, false)]
    public void RowsVopComputesWhatThePerRowOpsCompute(VpuOp op, int bcast, bool bf16)
    {
        const long Elems = 37, Rows = 9;
        int es = bf16 ? 2 : 1;
        FunctionalMemory mem = Seeded(7);
        MemRef At(ulong offset) => new(MemSpace.Dram, 0, 0, 0, offset);
        Assert.That(FunctionalOps.VopRows(mem, op, At(0x10000), At(0x20000), At(0x30000), Elems, bf16, bcast, Rows), Is.Null);

        // Reference: the per-row ops with the row addresses written out.
        bool scalar = bcast == 1 || op == VpuOp.Scale;
        for (long r = 0; r < Rows; r++)
        {
            ulong row = (ulong)(r * Elems * es);
            ulong s1 = scalar ? (ulong)(r * es) : bcast == 2 ? 0 : row;
            Assert.That(FunctionalOps.Vop(mem, op, At(0x40000 + row), At(0x20000 + row), At(0x30000 + s1), Elems, bf16, scalar), Is.Null);
        }

        Assert.That(mem.Read(At(0x10000), Rows * Elems * es), Is.EqualTo(mem.Read(At(0x40000), Rows * Elems * es)));
    }

    [TestCase(ReduceOp.Sum, false, 4)]
    [TestCase(ReduceOp.Max, false, 1)]
    [TestCase(ReduceOp.Sum, true, 2)]
    [TestCase(ReduceOp.Min, true, 2)]
    public void RowsVreduceWritesOneResultPerRow(ReduceOp op, bool bf16, int resultBytes)
    {
        const long Elems = 50, Rows = 6;
        int es = bf16 ? 2 : 1;
        FunctionalMemory mem = Seeded(11);
        MemRef At(ulong offset) => new(MemSpace.Dram, 0, 0, 0, offset);
        Assert.That(FunctionalOps.VreduceRows(mem, op, At(0x10000), At(0x20000), Elems, bf16, Rows), Is.Null);
        for (long r = 0; r < Rows; r++)
        {
            Assert.That(FunctionalOps.Vreduce(mem, op, At(0x40000 + (ulong)(r * resultBytes)), At(0x20000 + (ulong)(r * Elems * es)), Elems, bf16), Is.Null);
        }

        Assert.That(mem.Read(At(0x10000), Rows * resultBytes), Is.EqualTo(mem.Read(At(0x40000), Rows * resultBytes)));
    }

    private static FunctionalMemory Seeded(int seed)
    {
        var mem = new FunctionalMemory();
        var rng = new Random(seed);
        var bytes = new byte[0x20000];
        rng.NextBytes(bytes);
        for (int i = 1; i < bytes.Length; i += 2)
        {
            bytes[i] = (byte)(0x3C + (bytes[i] & 3)); // bf16 high bytes of ordinary magnitudes (about 0.01 .. 0.06)
        }

        mem.Write(new MemRef(MemSpace.Dram, 0, 0, 0, 0x20000), bytes);
        return mem;
    }
}
