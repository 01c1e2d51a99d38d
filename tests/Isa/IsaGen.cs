using Antoum.Isa;

namespace Antoum.Tests.Isa;

/// <summary>Random valid instructions and programs for the ISA tests, driven by a seeded System.Random.</summary>
internal static class IsaGen
{
    public static int FuzzCases
    {
        get
        {
            string? s = Environment.GetEnvironmentVariable("ANTOUM_FUZZ_CASES");
            return int.TryParse(s, out int n) && n > 0 ? n : 2000;
        }
    }

    /// <summary>
    /// FsCheck settings of every ISA property: <see cref="FuzzCases"/> cases, and a fixed replay seed so that CI is
    /// reproducible (ANTOUM_FUZZ_SEED=N picks another seed; ANTOUM_FUZZ_SEED=random lets FsCheck choose, for
    /// exploratory long runs; a failure prints the seed to replay).
    /// </summary>
    public static global::FsCheck.Config FuzzConfig
    {
        get
        {
            global::FsCheck.Config config = global::FsCheck.Config.QuickThrowOnFailure.WithMaxTest(FuzzCases);
            string? text = Environment.GetEnvironmentVariable("ANTOUM_FUZZ_SEED");
            if (string.Equals(text, "random", StringComparison.OrdinalIgnoreCase))
            {
                return config;
            }

            ulong seed = ulong.TryParse(text, out ulong s) ? s : 20261123UL;
            var replay = new global::FsCheck.Replay(new global::FsCheck.Rnd(seed, 0x9E3779B97F4A7C15UL), Microsoft.FSharp.Core.FSharpOption<int>.None);
            return config.WithReplay(Microsoft.FSharp.Core.FSharpOption<global::FsCheck.Replay>.Some(replay));
        }
    }

    /// <summary>The engine the round-trip tests run each opcode on.</summary>
    public static EngineId EngineFor(OpcodeInfo info)
    {
        EngineKind kind = info.AllowedOn(EngineKind.Dma) ? EngineKind.Dma : info.Engines[0];
        return kind == EngineKind.Spu ? new EngineId(kind, 0, 0, 0) : new EngineId(kind, 0, 0, 0);
    }

    /// <summary>0 = all minimum, 1 = all maximum, otherwise random per field.</summary>
    public static Instruction Make(OpcodeInfo info, Random rng, int mode)
    {
        Span<long> slots = stackalloc long[Instruction.SlotCount];
        OperandInfo? scalar = null;
        foreach (OperandInfo o in info.Operands)
        {
            bool max = mode == 1 || (mode > 1 && rng.Next(3) == 0);
            bool min = mode == 0 || (mode > 1 && !max && rng.Next(2) == 0);
            long v = o.Kind switch
            {
                OperandKind.Count => min ? o.Min : max ? o.Max : o.Min + (long)(rng.NextDouble() * (o.Max - o.Min)),
                OperandKind.Target => min ? 0 : max ? int.MaxValue : rng.Next(1000),
                OperandKind.Enum => min ? 0 : max ? o.EnumNames.Count - 1 : rng.Next(o.EnumNames.Count),
                OperandKind.Mem => o.Presence == OperandPresence.Keyword ? 0 : Mem(rng, min, max),
                OperandKind.Token => new TokenRef(min ? 0 : max ? IsaLimits.MaxTokens - 1 : rng.Next(IsaLimits.MaxTokens), max || rng.Next(2) == 0).Pack(),
                OperandKind.Engine => Engine(rng, min, max).Pack(),
                OperandKind.Flags => Flags(rng, min, max).Pack(),
                _ => 0,
            };
            if (o.Kind == OperandKind.Scalar)
            {
                scalar = o;
                continue;
            }

            slots[o.Slot] = o.Insert(slots[o.Slot], v);
        }

        Instruction ins = Instruction.FromSlots(info.Op, slots);
        if (info.FindOperand("flags") is { } flagsOp)
        {
            SpuFlags f = SpuFlags.Unpack(flagsOp.Read(ins));
            if ((Precision)info.Operand("prec").Read(ins) == Precision.Bf16 && f.Requantize)
            {
                f = f with { Requantize = false, RqScale = 0, RqShift = 0 };
                ins = ins.With(flagsOp.Slot, flagsOp.Insert(ins[flagsOp.Slot], f.Pack()));
            }

            if (f.Bias)
            {
                OperandInfo bias = info.Operand("bias");
                ins = ins.With(bias.Slot, Mem(rng, min: mode == 0, max: mode == 1));
            }
        }

        if (info.Op == Opcode.Conv)
        {
            // A strip (ROWS, ROW0) must lie inside the P output rows: clamp the random fields into range.
            ConvGeometry g = ConvGeometry.Decode(ins);
            long rows = g.P == 0 ? 0 : Math.Min(g.Rows, g.P);
            long row0 = rows == 0 ? 0 : Math.Min(g.Row0, g.P - rows);
            ins = ins.With(5, (g with { Rows = rows, Row0 = row0 }).PackF());
        }

        if (scalar is not null)
        {
            var prec = (Precision)info.Operand("prec").Read(ins);
            long v = rng.Next(3) switch
            {
                0 => Mem(rng, mode == 0, mode == 1),
                _ when prec == Precision.Int8 => Scalars.Int8Immediate(mode == 0 ? -128 : mode == 1 ? 127 : rng.Next(-128, 128)),
                _ => Scalars.Bf16Immediate(FiniteBf16(rng)),
            };
            ins = ins.With(scalar.Slot, v);
        }

        return ins;
    }

    public static ushort FiniteBf16(Random rng)
    {
        while (true)
        {
            ushort b = (ushort)rng.Next(0x10000);
            if (Scalars.IsFiniteBf16(b))
            {
                return b;
            }
        }
    }

    public static long Mem(Random rng, bool min, bool max)
    {
        if (min)
        {
            return MemRef.Of(MemSpace.Dram, 0).Pack();
        }

        if (max)
        {
            return new MemRef(MemSpace.L1, IsaLimits.MaxChips - 1, IsaLimits.ClustersPerChip - 1, IsaLimits.SpusPerCluster - 1, IsaLimits.MaxOffset).Pack();
        }

        var space = (MemSpace)rng.Next(4);
        ulong offset = rng.Next(4) == 0 ? IsaLimits.MaxOffset : (ulong)rng.NextInt64(0, 1L << 32);
        if (space == MemSpace.Host)
        {
            return MemRef.Of(space, offset).Pack();
        }

        int chip = rng.Next(-1, IsaLimits.MaxChips);
        int cluster = rng.Next(-1, IsaLimits.ClustersPerChip);
        int unit = space == MemSpace.L1 ? rng.Next(cluster >= 0 ? 0 : -1, IsaLimits.SpusPerCluster) : -1;
        return new MemRef(space, chip, cluster, unit, offset).Pack();
    }

    public static EngineId Engine(Random rng, bool min, bool max)
    {
        if (min)
        {
            return new EngineId(EngineKind.Cpu, 0, 0, 0);
        }

        var kind = max ? EngineKind.Spu : (EngineKind)rng.Next(6);
        int chip = max ? IsaLimits.MaxChips - 1 : rng.Next(IsaLimits.MaxChips);
        int cluster = kind == EngineKind.Cpu ? 0 : max ? 3 : rng.Next(4);
        int unit = kind == EngineKind.Spu ? (max ? 7 : rng.Next(8)) : 0;
        return new EngineId(kind, chip, cluster, unit);
    }

    public static SpuFlags Flags(Random rng, bool min, bool max)
    {
        if (min)
        {
            return SpuFlags.Dense;
        }

        if (max)
        {
            return new SpuFlags(SparseFormat.BlockCsr, SpuFlags.MaxRatio, true, true, true, SpuFlags.MaxRqScale, SpuFlags.MaxRqShift);
        }

        var format = (SparseFormat)rng.Next(5);
        bool rq = rng.Next(2) == 0;
        return new SpuFlags(format, format == SparseFormat.Dense ? 1 : rng.Next(1, 33), rng.Next(2) == 0, rng.Next(2) == 0, rq,
            rq ? rng.Next(65536) : 0, rq ? rng.Next(32) : 0);
    }
}
