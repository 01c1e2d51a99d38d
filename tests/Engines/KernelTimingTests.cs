using System.Numerics;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Engines;

/// <summary>
/// The hand-written kernels in firmware/kernels against an independent reference: a plain sequential replay of each
/// stream with the documented timing rules written out here (instruction cycles, one sync hop = 8-byte message
/// serialisation + control.syncLatency, DMA bursts through a bandwidth/latency path with a window of outstanding
/// bursts). The replay has no event queue, no links and no simulator code; the simulator must agree to the picosecond.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Engines")]
public class KernelTimingTests
{
    private const ulong Ps = 1_000_000_000_000;

    [TestCase("softmax_vpu.s")]
    [TestCase("spaxpy.s")]
    [TestCase("gemm_int8_db.s")]
    public void KernelMatchesTheReferenceReplay(string name)
    {
        string root = Antoum.Tests.Isa.KernelTests.RepoRoot() ?? throw new InvalidOperationException("repository root (AntoumSim.sln) not found");
        AkpProgram program = Assembler.Assemble(File.ReadAllText(Path.Combine(root, "firmware", "kernels", name)), name);
        // ws pinned: the replay's SPU rule restates the ws mapping (the shipped dataflow is os since the convwin work).
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4", [.. Antoum.Sim.Validation.Validator.Neutral(), "chip.spu.formats.bitmap.imbalance=binomial", "chip.spu.dataflow=ws"]).Config) with { DramDevice = null };

        ProgramSummary sim = ProgramRunner.Run(ProgramRunner.Build(p, program, name), ulong.MaxValue, ulong.MaxValue);
        Dictionary<EngineId, ulong> reference = new Replay(p, program).Run();

        foreach (EngineRow row in sim.Engines)
        {
            Assert.That(row.FinishPs, Is.EqualTo(reference[EngineId.Parse(row.Engine)]), $"{name}: {row.Engine} finish time");
        }

        Assert.That(sim.SimulatedPs, Is.EqualTo(reference.Values.Max()));
    }

    private sealed class Replay
    {
        private readonly CardParameters _p;
        private readonly AkpProgram _program;
        private readonly ulong _hop;
        private readonly Dictionary<string, ulong> _free = new();
        private readonly Dictionary<(int Chip, int Token), List<ulong>> _signals = new();
        private readonly Dictionary<(int Chip, int Token), int> _taken = new();

        public Replay(CardParameters p, AkpProgram program)
        {
            _p = p;
            _program = program;
            _hop = Ser(8, p.CrossbarBytesPerSecond) + p.SyncLatencyPs;
        }

        private sealed class Stream(EngineId id, Instruction[] code)
        {
            public EngineId Id { get; } = id;

            public Instruction[] Code { get; } = code;

            public int Pc { get; set; }

            public ulong T { get; set; }

            public bool Started { get; set; }

            public bool Done { get; set; }

            public Stack<(int Pc, long Left)> Loops { get; } = new();
        }

        public Dictionary<EngineId, ulong> Run()
        {
            bool hasCpu = _program.Streams.Any(s => s.Engine.Kind == EngineKind.Cpu);
            List<Stream> streams = _program.Streams.Select(s => new Stream(s.Engine, s.Code)).ToList();
            Assert.That(streams.Count(s => s.Id.Kind is EngineKind.Dma or EngineKind.Cpu && s.Code.Any(IsCopy)), Is.LessThanOrEqualTo(1),
                "the replay assumes one engine uses the memory fabric");
            foreach (Stream s in streams)
            {
                if (!hasCpu || s.Id.Kind == EngineKind.Cpu)
                {
                    s.Started = true;
                    s.T = _p.LaunchOverheadPs;
                }
            }

            bool progress = true;
            while (progress)
            {
                progress = false;
                foreach (Stream s in streams)
                {
                    while (s.Started && !s.Done && Step(s, streams))
                    {
                        progress = true;
                    }
                }
            }

            Assert.That(streams.All(s => s.Done), "the reference replay found a deadlock");
            return streams.ToDictionary(s => s.Id, s => s.T);
        }

        private static bool Signals(Stream s, int token)
        {
            for (int pc = s.Pc; pc < s.Code.Length; pc++)
            {
                if (s.Code[pc].Op == Opcode.Signal && TokenRef.Unpack(s.Code[pc].A).Id == token)
                {
                    return true;
                }
            }

            return s.Loops.Count > 0 && s.Code.Any(c => c.Op == Opcode.Signal && TokenRef.Unpack(c.A).Id == token);
        }

        private static bool IsCopy(Instruction i) => i.Op is Opcode.Copy or Opcode.Copy2d or Opcode.Copy3d;

        // Executes one instruction; false when the stream is blocked on a token whose signal is not known yet.
        private bool Step(Stream s, List<Stream> all)
        {
            Instruction i = s.Code[s.Pc];
            switch (i.Op)
            {
                case Opcode.End:
                    s.Done = true;
                    return true;
                case Opcode.Nop:
                    s.T = After(s.T, 1);
                    break;
                case Opcode.Loop:
                    s.Loops.Push((s.Pc, i.A));
                    s.T = After(s.T, 1);
                    break;
                case Opcode.EndLoop:
                    {
                        (int pc, long left) = s.Loops.Pop();
                        if (left > 1)
                        {
                            s.Loops.Push((pc, left - 1));
                            s.Pc = pc;
                        }

                        s.T = After(s.T, 1);
                        break;
                    }

                case Opcode.Launch:
                    {
                        Stream target = all.Single(x => x.Id == EngineId.Unpack(i.A));
                        target.Started = true;
                        target.T = s.T + (2 * _hop);
                        s.T = After(s.T, 1);
                        break;
                    }

                case Opcode.Signal:
                    {
                        var key = (s.Id.Chip, TokenRef.Unpack(i.A).Id);
                        (_signals.TryGetValue(key, out List<ulong>? list) ? list : _signals[key] = new List<ulong>()).Add(s.T + _hop);
                        s.T = After(s.T, 1);
                        break;
                    }

                case Opcode.Wait:
                    {
                        Assert.That(i.B, Is.EqualTo(1), "the replay handles wait counts of 1");
                        var key = (s.Id.Chip, TokenRef.Unpack(i.A).Id);
                        int taken = _taken.GetValueOrDefault(key);
                        if (!_signals.TryGetValue(key, out List<ulong>? arrivals) || arrivals.Count <= taken)
                        {
                            return false;
                        }

                        // The k-th wait takes the k-th signal to reach the sync unit; it is known only once no other
                        // stream that signals this token can still deliver an earlier one.
                        arrivals.Sort();
                        ulong signal = arrivals[taken];
                        foreach (Stream other in all)
                        {
                            if (other != s && !other.Done && Signals(other, key.Item2) && (!other.Started || other.T + _hop <= signal))
                            {
                                return false;
                            }
                        }

                        _taken[key] = taken + 1;
                        s.T = Math.Max(s.T + _hop, signal) + _hop;
                        s.Pc++;
                        return true;
                    }

                case Opcode.Copy:
                    s.T = Copy(s, i.A, i.B, 1, i.C, 0, 0);
                    s.Pc++;
                    return true;
                case Opcode.Copy2d:
                    s.T = Copy(s, i.A, i.B, i.C, i.D, i.E, i.F);
                    s.Pc++;
                    return true;
                default:
                    s.T = After(s.T, Cycles(i));
                    break;
            }

            s.Pc++;
            return true;
        }

        private ulong Group(bool bf16) => (ulong)(bf16 ? _p.VpuLanes / _p.VpuBf16Factor : _p.VpuLanes);

        private ulong Cycles(Instruction i)
        {
            static ulong Div(long a, long b) => (ulong)((a + b - 1) / b);
            switch (i.Op)
            {
                case Opcode.Matmul:
                    {
                        bool bf16 = ((i.H >> 48) & 0xFF) == 1;
                        int ratio = (int)Math.Max(1, (i.H >> 3) & 0x3F);
                        int format = (int)(i.H & 7);
                        Assert.That(_p.SpuDataflow, Is.EqualTo(Antoum.Sim.Blocks.Spu.SpuDataflow.Ws), "the rule below restates the ws mapping");
                        return (ulong)Spu.SpuRule.Cycles("ws", _p.SpuRows, _p.SpuCols, i.A, i.B, i.C, format, ratio, bf16, _p.SpuPipelineLatency, _p.Bf16RateDivisor);
                    }

                case Opcode.Vop:
                    // A rows form (bits 16-47 of the prec slot) costs its rows single-row vops.
                    return (ulong)Math.Max(1, (i.F >> 16) & 0xFFFF_FFFFL)
                        * ((Div(i.E, (long)Group((i.F & 0xFF) == 1)) * (ulong)_p.VpuOpCycles[(int)i.A]) + (ulong)_p.VpuPipelineLatency);
                case Opcode.Vreduce:
                    {
                        // sum costs an add, max a max, min a min (VpuOp order: add, sub, mul, max, min, ...).
                        int cls = i.A switch { 1 => 3, 2 => 4, _ => 0 };
                        ulong g = Group((i.E & 0xFF) == 1);
                        return (ulong)Math.Max(1, (i.E >> 16) & 0xFFFF_FFFFL)
                            * ((Div(i.D, (long)g) * (ulong)_p.VpuOpCycles[cls]) + (ulong)Math.Ceiling(Math.Log2(g)) + (ulong)_p.VpuPipelineLatency);
                    }

                case Opcode.Spaxpy:
                    return (Div(i.D + (2 * i.E), (long)Group((i.F & 0xFF) == 1)) * (ulong)_p.VpuOpCycles[2]) + (ulong)_p.VpuPipelineLatency;
                case Opcode.Sfa:
                    return Div(i.D, _p.SfaFunctions[(int)i.A].ElementsPerCycle) + (ulong)_p.SfaFunctions[(int)i.A].Latency;
                default:
                    throw new NotSupportedException("the replay does not cover " + i.Op);
            }
        }

        // A DMA descriptor: setup cycles, then bursts (rows split at the burst size) through the fabric path; at most
        // maxOutstanding in flight, a new burst leaving when an earlier one lands; 16-byte requests and 8-byte answers
        // serialise on their links at crossbar bandwidth. A burst claims the DRAM interface, or each SRAM bank it touches
        // (word-interleaved: word w in bank w mod banks) for its bytes there, plus the crossbar port of an L1 end.
        private ulong Copy(Stream s, long dstPacked, long srcPacked, long rows, long rowBytes, long dstStride, long srcStride)
        {
            MemRef dstRef = MemRef.Unpack(dstPacked);
            MemRef srcRef = MemRef.Unpack(srcPacked);
            var bursts = new List<(ulong Src, ulong Dst, long Len)>();
            for (long r = 0; r < rows; r++)
            {
                for (long off = 0; off < rowBytes; off += (long)_p.DmaBurstBytes)
                {
                    bursts.Add((srcRef.Offset + (ulong)((r * srcStride) + off), dstRef.Offset + (ulong)((r * dstStride) + off),
                        Math.Min((long)_p.DmaBurstBytes, rowBytes - off)));
                }
            }

            ulong t0 = After(s.T, (ulong)_p.DmaSetupCycles);
            var landed = new ulong[bursts.Count];
            var req = new SerialLink(_p.CrossbarBytesPerSecond);
            var resp = new SerialLink(_p.CrossbarBytesPerSecond);
            ulong lastAnswer = 0;
            for (int b = 0; b < bursts.Count; b++)
            {
                ulong send = b < _p.DmaMaxOutstanding ? t0 : landed[b - _p.DmaMaxOutstanding];
                ulong arrive = req.Send(send, 16);
                var claims = new Dictionary<string, (ulong Bytes, ulong Bw)>();
                ulong latency = Claim(claims, srcRef, bursts[b].Src, (ulong)bursts[b].Len, s.Id)
                    + Claim(claims, dstRef, bursts[b].Dst, (ulong)bursts[b].Len, s.Id);
                ulong start = arrive;
                foreach (string name in claims.Keys)
                {
                    start = Math.Max(start, _free.GetValueOrDefault(name));
                }

                ulong longest = 0;
                foreach ((string name, (ulong bytes, ulong bw)) in claims)
                {
                    ulong t = Ser(bytes, bw);
                    _free[name] = start + t;
                    longest = Math.Max(longest, t);
                }

                landed[b] = start + longest + latency;
                lastAnswer = resp.Send(landed[b], 8);
            }

            return lastAnswer;
        }

        // Adds one memory end's claims; returns its latency (memory, plus the crossbar port for an L1).
        private ulong Claim(Dictionary<string, (ulong Bytes, ulong Bw)> claims, MemRef m, ulong address, ulong bytes, EngineId e)
        {
            void Add(string name, ulong n, ulong bw) => claims[name] = (claims.GetValueOrDefault(name).Bytes + n, bw);

            int cluster = m.Cluster < 0 ? e.Cluster : m.Cluster;
            if (m.Space == MemSpace.Dram)
            {
                Add("dram" + cluster, bytes, _p.DramBytesPerSecondPerInterface);
                return _p.DramLatencyPs;
            }

            (string name, int banks, int word, int perCycle, int latencyCycles) = m.Space switch
            {
                MemSpace.L2 => ("l2." + cluster, _p.L2Banks, _p.L2WordBytes, _p.L2BytesPerCycle, _p.L2LatencyCycles),
                MemSpace.L1 => ("l1." + cluster + "." + m.Unit, _p.L1Banks, _p.L1WordBytes, _p.L1BytesPerCycle, _p.L1LatencyCycles),
                _ => throw new NotSupportedException("the replay does not cover host memory"),
            };
            ulong bankBw = (ulong)(perCycle / banks) * _p.ClockHz;
            for (ulong w = address / (ulong)word; w * (ulong)word < address + bytes; w++)
            {
                ulong lo = Math.Max(address, w * (ulong)word);
                ulong hi = Math.Min(address + bytes, (w + 1) * (ulong)word);
                Add(name + ".bank" + (w % (ulong)banks), hi - lo, bankBw);
            }

            ulong latency = Edge((ulong)latencyCycles);
            if (m.Space == MemSpace.L1)
            {
                Add("xbar" + cluster, bytes, _p.CrossbarBytesPerSecond);
                latency += _p.CrossbarLatencyPs;
            }

            return latency;
        }

        private sealed class SerialLink(ulong bytesPerSecond)
        {
            private ulong _busyUntil;
            private ulong _start;
            private ulong _bytes;

            public ulong Send(ulong t, ulong bytes)
            {
                if (t >= _busyUntil)
                {
                    _start = t;
                    _bytes = 0;
                }

                _bytes += bytes;
                _busyUntil = _start + Ser(_bytes, bytesPerSecond);
                return _busyUntil;
            }
        }

        private ulong Edge(ulong n) => (ulong)(((BigInteger)n * Ps + _p.ClockHz - 1) / _p.ClockHz);

        private ulong After(ulong t, ulong cycles)
        {
            ulong c = t == 0 ? 0 : (ulong)(((BigInteger)(t - 1) * _p.ClockHz / Ps) + 1);
            return Edge(c + cycles);
        }
    }

    private static ulong Ser(ulong bytes, ulong bw) => (ulong)(((BigInteger)bytes * Ps + bw - 1) / bw);
}
