using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Kernel;
using Antoum.Sim.Workloads;
using NUnit.Framework;

namespace Antoum.Tests.Perf;

/// <summary>The hot path allocates nothing per event: after a warm-up, running more events allocates no bytes.</summary>
[TestFixture]
[Category("Quick")]
[Category("Perf")]
public class AllocationTests
{
    private static long AllocatedWhileRunning(Simulator sim, ulong events, out StopReason reason)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        reason = sim.Run(maxEvents: events);
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Test]
    public void CardModelRunsWithoutAllocatingPerEvent()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S10").Config);
        GemmWorkload w = BuiltInWorkloads.Resolve("mlp");
        CardModel model = CardBuilder.Build(p, w, 8);
        AllocatedWhileRunning(model.Sim, 100_000, out _);
        long allocated = AllocatedWhileRunning(model.Sim, 200_000, out StopReason reason);
        Assert.That(reason, Is.EqualTo(StopReason.EventLimit));
        Assert.That(allocated, Is.EqualTo(0), "bytes allocated over 200,000 events");
    }

    [Test]
    public void ProgramExecutionRunsWithoutAllocatingPerEvent()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4").Config);
        string text = ".engine dma.0\n loop 100000\n copy l2[0], dram[0], 8192\n signal t0\n endloop\n" +
                      ".engine vpu.0\n loop 100000\n wait t0\n vop add, l2[0x4000], l2[0], l2[0], 1024, int8\n endloop\n";
        ProgramModel model = ProgramRunner.Build(p, Assembler.Assemble(text, "alloc.s"), "alloc.s");
        AllocatedWhileRunning(model.Sim, 50_000, out _);
        long allocated = AllocatedWhileRunning(model.Sim, 100_000, out StopReason reason);
        Assert.That(reason, Is.EqualTo(StopReason.EventLimit));
        Assert.That(allocated, Is.EqualTo(0), "bytes allocated over 100,000 events");
    }
}
