using System.Numerics;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Engines;

/// <summary>
/// Cluster-local tokens (<c>c:tN</c>, docs/isa.md "Tokens and barriers"): kept by a sync unit per cluster,
/// <c>control.clusterSyncLatency</c> away from the cluster's engines, while chip and card tokens, barriers and
/// launches stay with the card's unit <c>control.syncLatency</c> away.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Engines")]
public class ClusterSyncTests
{
    private const ulong Ps = 1_000_000_000_000;

    private static CardParameters S4() => CardParameters.FromConfig(ConfigLoader.Load("S4").Config) with { DramDevice = null };

    private static ulong Edge(ulong n, ulong f) => (ulong)(((BigInteger)n * Ps + f - 1) / f);

    private static ProgramSummary Run(string text, CardParameters p)
    {
        ProgramModel model = ProgramRunner.Build(p, Assembler.Assemble(text, "test.s"), "test.s");
        return ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue);
    }

    private static string ProducerConsumer(string token) =>
        $".engine spu.0.0\n matmul 16, 32, 64, l1[0], l1[0x1000], l1[0x2000], int8, fmt=dense\n signal {token}\n end\n" +
        $".engine spu.0.1\n wait {token}\n end\n";

    [Test]
    public void ClusterTokens_RoundTripInText_AndPacking()
    {
        Assert.That(TokenRef.TryParse("c:t7", out TokenRef t), Is.True);
        Assert.That((t.Id, t.Global, t.Cluster), Is.EqualTo((7, false, true)));
        Assert.That(t.ToString(), Is.EqualTo("c:t7"));
        Assert.That(TokenRef.Unpack(t.Pack()), Is.EqualTo(t));
        Assert.That(TokenRef.Check(t.Pack()), Is.Null);
        Assert.That(TokenRef.Check((1L << 12) | (1L << 13)), Does.Contain("both"));
        Assert.That(TokenRef.Unpack(new TokenRef(7, false).Pack()).Cluster, Is.False);
        AkpProgram program = Assembler.Assemble(".engine dma.1.2\n signal c:t300\n wait c:t300\n end\n", "t.s");
        Assert.That(Disassembler.Disassemble(program), Does.Contain("signal c:t300").And.Contain("wait c:t300"));
    }

    [Test]
    public void AWaitOnAClusterToken_TakesTheClusterLatency_NotTheCardLatency()
    {
        CardParameters p = S4();
        Assert.That(p.ClusterSyncLatencyPs, Is.LessThan(p.SyncLatencyPs), "the shipped config: a cluster's unit is nearer than the card's");
        ProgramSummary local = Run(ProducerConsumer("c:t0"), p);
        ProgramSummary card = Run(ProducerConsumer("t0"), p);

        // The signal leaves when the matmul ends (one cycle before the producer finishes); the consumer's grant needs
        // the signal's trip to the unit and the grant's trip back: 2 x latency, plus the message serialisation.
        ulong producer = local.Engines[0].FinishPs;
        Assert.That(card.Engines[0].FinishPs, Is.EqualTo(producer), "the producer does not depend on the token's unit");
        ulong sentAt = producer - Edge(1, p.ClockHz);
        ulong localDone = local.Engines[1].FinishPs, cardDone = card.Engines[1].FinishPs;
        Assert.That(localDone, Is.GreaterThanOrEqualTo(sentAt + (2 * p.ClusterSyncLatencyPs)));
        Assert.That(localDone, Is.LessThan(sentAt + (2 * p.SyncLatencyPs)), "faster than a round trip to the card's unit");
        Assert.That(cardDone, Is.GreaterThanOrEqualTo(sentAt + (2 * p.SyncLatencyPs)));
        Assert.That(cardDone - localDone, Is.InRange(2 * (p.SyncLatencyPs - p.ClusterSyncLatencyPs) - Edge(1, p.ClockHz), 2 * (p.SyncLatencyPs - p.ClusterSyncLatencyPs) + Edge(1, p.ClockHz)),
            "the difference is the two latencies, both ways");

        // The latency is the config's: at the card's value the two paths take the same time.
        ProgramSummary slow = Run(ProducerConsumer("c:t0"), p with { ClusterSyncLatencyPs = p.SyncLatencyPs });
        Assert.That(slow.Engines[1].FinishPs, Is.EqualTo(cardDone));
    }

    [Test]
    public void ClusterTokens_AreSeparatePerCluster_ChipTokensAreShared()
    {
        CardParameters p = S4();

        // A chip token signalled in cluster 0 releases a waiter in cluster 1.
        ProgramSummary shared = Run(".engine spu.0.0\n signal t9\n end\n.engine spu.1.0\n wait t9\n end\n", p);
        Assert.That(shared.Engines, Has.Count.EqualTo(2));

        // The same id as a cluster token does not: cluster 1's token t9 is never signalled.
        SimulationStoppedException e = Assert.Throws<SimulationStoppedException>(() =>
            Run(".engine spu.0.0\n signal c:t9\n end\n.engine spu.1.0\n wait c:t9\n end\n", p))!;
        Assert.That(e.Message, Does.Contain("deadlock").And.Contain("spu.1.0 waits for cluster token t9 (needs 1, has 0)"));

        // Within a cluster, across engine kinds (DMA channel and SPU), it does.
        ProgramSummary same = Run(".engine dma.2.3\n signal c:t9\n end\n.engine spu.2.5\n wait c:t9\n end\n", p);
        Assert.That(same.Engines, Has.Count.EqualTo(2));
    }

    [Test]
    public void TheCpu_CannotUseClusterTokens()
    {
        UserInputException e = Assert.Throws<UserInputException>(() => Run(".engine cpu\n signal c:t1\n end\n", S4()))!;
        Assert.That(e.Message, Does.Contain("cluster-local token"));
    }

    [Test]
    public void CompiledPrograms_UseClusterTokensInsideClusters_AndTheChipTokenForTheEnd()
    {
        CardParameters p = S4();
        WorkloadGraph g = new()
        {
            Name = "g",
            Layers = [new Layer { Name = "fc", Op = OpKind.Gemm, M = 64, K = 256, N = 128 }, new Layer { Name = "fc2", Op = OpKind.Gemm, M = 64, K = 128, N = 64 }],
        };
        CompileResult c = Antoum.Firmware.Compiler.Compiler.Compile(g, 8, CompilerTarget.From(p), new CompileOptions { Mode = PartitionMode.PerCluster });
        int local = 0;
        foreach (EngineStream s in c.Program.Streams)
        {
            foreach (Instruction i in s.Code)
            {
                if (i.Op is not (Opcode.Signal or Opcode.Wait))
                {
                    continue;
                }

                TokenRef t = TokenRef.Unpack(i.A);
                bool chipEnd = !t.Cluster && t.Id == 300;
                Assert.That(t.Cluster || chipEnd, Is.True, $"{s.Engine}: {t}");
                Assert.That(t.Cluster && s.Engine.Kind == EngineKind.Cpu, Is.False, $"{s.Engine}: {t}");
                local += t.Cluster ? 1 : 0;
            }
        }

        Assert.That(local, Is.GreaterThan(0));
        ProgramSummary run = ProgramRunner.Run(ProgramRunner.Build(p, c.Program, "g"), ulong.MaxValue, 50_000_000);
        Assert.That(run.Cycles, Is.GreaterThan(0UL));
    }
}
