using System.Globalization;
using Antoum.Isa;
using Antoum.Sim.Config;

namespace Antoum.Sim.Chip;

/// <summary>
/// Checks a program against the card before it runs: every engine exists on the SKU, every memory operand names
/// an existing memory and fits in it (a program that overflows a buffer is an error naming the buffer, never a
/// silent spill), and every launch names an engine that has a stream.
/// </summary>
public static class ProgramChecks
{
    /// <summary>Fills in the "local" parts of a memory reference from the engine that executes it.</summary>
    public static MemRef Resolve(MemRef m, EngineId engine)
    {
        int chip = m.Chip == MemRef.Local ? engine.Chip : m.Chip;
        int cluster = m.Cluster == MemRef.Local ? (m.Space == MemSpace.Host ? 0 : engine.Cluster) : m.Cluster;
        int unit = m.Unit;
        if (unit == MemRef.Local)
        {
            // An L1 operand names its SPU; only an SPU's own L1 may be left implicit (-1 stays: the check reports it).
            unit = m.Space != MemSpace.L1 ? 0 : engine.Kind == EngineKind.Spu ? engine.Unit : MemRef.Local;
        }

        return new MemRef(m.Space, m.Space == MemSpace.Host ? 0 : chip, cluster, unit, m.Offset);
    }

    public static void Check(CardParameters p, AkpProgram program, string programName)
    {
        var withStream = new HashSet<EngineId>();
        foreach (EngineStream s in program.Streams)
        {
            withStream.Add(s.Engine);
        }

        foreach (EngineStream s in program.Streams)
        {
            EngineId e = s.Engine;
            if (e.Chip >= p.Chips || e.Cluster >= p.Clusters || (e.Kind == EngineKind.Spu && e.Unit >= p.SpusPerCluster))
            {
                throw new UserInputException(string.Create(CultureInfo.InvariantCulture,
                    $"{programName}: engine {e} does not exist on the {p.Sku} ({p.Chips} chip(s), {p.Clusters} clusters of {p.SpusPerCluster} SPUs)"));
            }

            if (e.Kind == EngineKind.Dma && e.Unit >= p.DmaChannels + p.DmaHostQueues)
            {
                throw new UserInputException(string.Create(CultureInfo.InvariantCulture,
                    $"{programName}: engine {e} names DMA channel {e.Unit}, but the {p.Sku}'s config has {p.DmaChannels} DMA channel(s) and {p.DmaHostQueues} host queue(s) per cluster (chip.dma.channels, chip.dma.hostQueues); expected a channel in 0..{p.DmaChannels + p.DmaHostQueues - 1}"));
            }

            for (int pc = 0; pc < s.Code.Length; pc++)
            {
                ref readonly Instruction i = ref s.Code[pc];
                if (i.Op == Opcode.Launch)
                {
                    EngineId target = EngineId.Unpack(i.A);
                    if (!withStream.Contains(target))
                    {
                        throw new UserInputException($"{Where(programName, e, pc, i)}: launches {target}, which has no stream in the program");
                    }
                }

                if (e.Kind == EngineKind.Cpu && i.Op is Opcode.Signal or Opcode.Wait && TokenRef.Unpack(i.A).Cluster)
                {
                    throw new UserInputException($"{Where(programName, e, pc, i)}: a cluster-local token (c:) needs an engine of a cluster; the cpu has none");
                }

                if (!HasMemoryOperand(i.Op))
                {
                    continue;
                }

                foreach ((int slot, long bytes) in Extents(i))
                {
                    if (CheckExtent(p, Resolve(MemRef.Unpack(i[slot]), e), bytes, e) is { } problem)
                    {
                        throw new UserInputException($"{Where(programName, e, pc, i)}: {problem}");
                    }
                }
            }
        }
    }

    /// <summary>Bytes each memory operand of <paramref name="i"/> spans (operand slot, extent).</summary>
    public static List<(int Slot, long Bytes)> Extents(in Instruction i)
    {
        var list = new List<(int, long)>(4);
        switch (i.Op)
        {
            case Opcode.Copy:
                list.Add((0, i.C));
                list.Add((1, i.C));
                break;
            case Opcode.Copy2d:
                list.Add((0, ((i.C - 1) * i.E) + i.D));
                list.Add((1, ((i.C - 1) * i.F) + i.D));
                break;
            case Opcode.Copy3d:
                list.Add((0, ((i.C - 1) * i.H) + ((i.D - 1) * i.F) + i.E));
                list.Add((1, ((i.C - 1) * i.H) + ((i.D - 1) * i.G) + i.E));
                break;
            case Opcode.Matmul:
                {
                    bool bf16 = (((i.H >> 48) & 0xFF) == 1);
                    int es = bf16 ? 2 : 1;
                    SpuFlags f = SpuFlags.Unpack(i.H & SpuFlags.Mask);
                    int ratio = Math.Max(1, f.Ratio);
                    list.Add((3, i.A * i.C * es));
                    list.Add((4, (i.C + ratio - 1) / ratio * i.B * es));
                    list.Add((5, i.A * i.B * (f.Requantize ? 1 : 4)));
                    if (f.Bias)
                    {
                        list.Add((6, i.B * 4));
                    }

                    break;
                }

            case Opcode.Conv:
                {
                    var g = ConvGeometry.Decode(i);
                    bool bf16 = (((i.H >> 48) & 0xFF) == 1);
                    int es = bf16 ? 2 : 1;
                    SpuFlags f = SpuFlags.Unpack(i.H & SpuFlags.Mask);
                    int ratio = Math.Max(1, f.Ratio);
                    (long m, long n, long k) = g.Gemm;
                    list.Add((2, g.InElements * es));
                    list.Add((3, (k + ratio - 1) / ratio * n * es));
                    list.Add((4, m * n * (f.Requantize ? 1 : 4)));
                    if (f.Bias)
                    {
                        list.Add((6, n * 4));
                    }

                    break;
                }

            case Opcode.Vop:
                {
                    int es = (i.F & 0xFF) == 1 ? 2 : 1;
                    int bcast = Engines.EngineTiming.VopBcast(i.F);
                    long rows = Engines.EngineTiming.VpuRows(i.F);
                    list.Add((1, rows * i.E * es));
                    list.Add((2, rows * i.E * es));
                    bool scalar = bcast == 1 || (VpuOp)(i.A & 0xFF) == VpuOp.Scale; // scale: one scalar per row
                    list.Add((3, scalar ? rows * es : bcast == 2 ? i.E * es : rows * i.E * es));
                    break;
                }

            case Opcode.Vreduce:
                {
                    int es = (i.E & 0xFF) == 1 ? 2 : 1;
                    long rows = Engines.EngineTiming.VpuRows(i.E);
                    list.Add((1, rows * 4));
                    list.Add((2, rows * i.D * es));
                    break;
                }

            case Opcode.Gather:
                list.Add((0, i.D * ((i.E & 0xFF) == 1 ? 2 : 1)));
                list.Add((2, i.D * 4));
                break;
            case Opcode.Scatter:
                list.Add((1, i.D * ((i.E & 0xFF) == 1 ? 2 : 1)));
                list.Add((2, i.D * 4));
                break;
            case Opcode.Spaxpy:
                list.Add((0, Math.Max(1, i.D) * 8));
                list.Add((2, Math.Max(1, i.E) * 8));
                break;
            case Opcode.Sfa:
                {
                    int es = (i.E & 0xFF) == 1 ? 2 : 1;
                    list.Add((1, i.D * es));
                    list.Add((2, i.D * es));
                    break;
                }

            case Opcode.Vdec:
                list.Add((1, i.C * i.D * 3 / 2));
                break;
            case Opcode.Jdec:
                {
                    long pixels = i.D * i.E;
                    long frame = i.F switch { 0 => pixels * 3 / 2, 1 => pixels * 2, _ => pixels * 3 };
                    list.Add((0, frame));
                    list.Add((1, i.C));
                    break;
                }
        }

        return list;
    }

    /// <summary>"PROGRAM: ENGINE instruction PC (MNEMONIC)", built only for an error (programs have millions of instructions).</summary>
    private static string Where(string programName, EngineId e, int pc, in Instruction i) =>
        string.Create(CultureInfo.InvariantCulture, $"{programName}: {e} instruction {pc} ({OpcodeTable.Get(i.Op).Mnemonic})");

    /// <summary>Whether <see cref="Extents"/> lists any operand of <paramref name="op"/>.</summary>
    private static bool HasMemoryOperand(Opcode op) => op is Opcode.Copy or Opcode.Copy2d or Opcode.Copy3d or Opcode.Matmul or Opcode.Conv
        or Opcode.Vop or Opcode.Vreduce or Opcode.Gather or Opcode.Scatter or Opcode.Spaxpy or Opcode.Sfa or Opcode.Vdec or Opcode.Jdec;

    /// <summary>Null when <paramref name="bytes"/> at <paramref name="m"/> fit the memory they name, else what is wrong.</summary>
    private static string? CheckExtent(CardParameters p, MemRef m, long bytes, EngineId engine)
    {
        ulong capacity;
        switch (m.Space)
        {
            case MemSpace.Host:
                return null;
            case MemSpace.Dram:
                capacity = p.DramBytesPerInterface;
                break;
            case MemSpace.L2:
                capacity = p.L2Bytes;
                break;
            default:
                if (engine.Kind != EngineKind.Spu && m.Unit < 0)
                {
                    return $"an L1 operand on a {engine.Kind} engine must name the SPU (l1.S[...])";
                }

                if (m.Unit >= p.SpusPerCluster)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"l1.{m.Unit} does not exist (clusters have {p.SpusPerCluster} SPUs)");
                }

                capacity = p.L1Bytes;
                break;
        }

        if (m.Chip >= p.Chips || m.Cluster >= p.Clusters)
        {
            return $"{Name(m)} does not exist on the {p.Sku}";
        }

        if (bytes < 0 || m.Offset + (ulong)bytes > capacity)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"bytes [0x{m.Offset:x}, 0x{m.Offset + (ulong)bytes:x}) overflow the {Name(m)} ({capacity} B)");
        }

        return null;
    }

    private static string Name(MemRef m) => m.Space switch
    {
        MemSpace.Dram => string.Create(CultureInfo.InvariantCulture, $"DRAM interface c{m.Chip}:dram.{m.Cluster}"),
        MemSpace.L2 => string.Create(CultureInfo.InvariantCulture, $"L2 of c{m.Chip}:cluster {m.Cluster}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"L1 of c{m.Chip}:spu.{m.Cluster}.{m.Unit}"),
    };
}
