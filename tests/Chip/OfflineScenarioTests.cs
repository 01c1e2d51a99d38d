using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using NUnit.Framework;
using FwCompiler = Antoum.Firmware.Compiler.Compiler;

namespace Antoum.Tests.Chip;

/// <summary>
/// The offline scenario (docs/validation.md): batches back to back, each cluster's host queue streaming the next
/// batch's input while the chip computes. Checked against independent computations: the compute time C of one batch
/// from a single-batch program without host copies, and the host time H = input bytes / the host path's bandwidth
/// (closed form from the card parameters). The steady-state interval must be about max(C, H), never C + H.
/// </summary>
[TestFixture]
[Category("Quick")]
public class OfflineScenarioTests
{
    private const int Batch = 8;

    // The host path's bandwidth in these tests: well below what one host queue sustains (8 bursts of 4 KB in flight
    // per round trip of the path), so the link, not the queue, limits H.
    private const ulong HostBytesPerSecond = 8_000_000_000;

    private static WorkloadGraph Graph(long inputBytesPerSample) => SyntheticGraphs.ConvNet() with { InputBytesPerSample = inputBytesPerSample };

    private static CardParameters S4() => CardParameters.FromConfig(ConfigLoader.Load("S4").Config);

    private static CardParameters SlowHost() => S4() with { HostLinkBytesPerSecond = HostBytesPerSecond, ChipLinkBytesPerSecond = HostBytesPerSecond };

    /// <summary>
    /// C: one batch's compute, from a single-batch program with no host copies, less the launch overhead. Without
    /// resident weights (CompileOptions.ResidentWeights): a single-batch program would pay their one-time load at its
    /// start, which the steady state of a multi-batch program does not; staged per batch instead, they overlap the
    /// layers before, as they would every batch.
    /// </summary>
    private static double ComputePs(CardParameters p, long inputBytesPerSample)
    {
        CompileResult compiled = FwCompiler.Compile(Graph(inputBytesPerSample), Batch, CompilerTarget.From(p), new CompileOptions { Mode = PartitionMode.PerCluster, HostTransfers = false, ResidentWeights = false });
        NetworkRunResult r = NetworkRun.Run(p, compiled, "convnet", ulong.MaxValue, ulong.MaxValue);
        return r.Summary.SimulatedPs - (double)p.LaunchOverheadPs;
    }

    /// <summary>H: a batch's input over the host path (host link, then the chip's link from the switch), bytes / the slower bandwidth.</summary>
    private static double HostPs(CardParameters p, long inputBytesPerSample)
    {
        double bw = Math.Min(p.HostLinkBytesPerSecond, p.ChipLinkBytesPerSecond);
        return Batch * inputBytesPerSample / bw * 1e12;
    }

    private static ThroughputMeasurement Offline(CardParameters p, long inputBytesPerSample)
    {
        return NetworkRun.Run(p, Graph(inputBytesPerSample), Batch, PartitionMode.PerCluster, ulong.MaxValue, ulong.MaxValue, scenario: RunScenario.Offline).Throughput;
    }

    [TestCase(8 * 1024)]
    [TestCase(24 * 1024)]
    [TestCase(128 * 1024)]
    public void SteadyIntervalIsTheSlowerOfComputeAndHostInputNotTheirSum(long inputBytesPerSample)
    {
        CardParameters p = SlowHost();
        double c = ComputePs(p, inputBytesPerSample);
        double h = HostPs(p, inputBytesPerSample);
        Assert.That(ComputePs(S4(), inputBytesPerSample), Is.EqualTo(c), "C does not depend on the host link");

        ThroughputMeasurement t = Offline(p, inputBytesPerSample);
        double interval = t.IntervalPs;
        double expected = Math.Max(c, h);

        // D: each cluster's input share written into its DRAM interface while the chip computes; a stated term of the
        // compute-bound case (C comes from a program without host copies, so it has no input to write).
        double d = Batch / p.Clusters * inputBytesPerSample / (double)p.DramBytesPerSecondPerInterface * 1e12;
        // R: the input queue copies the clusters' shares one after the other, and an in-order DMA queue starts a copy
        // when the previous one's last burst has landed: one round trip of the host path (host link, chip link and
        // DRAM latencies) per cluster, a stated term of the host-bound case.
        double r = p.Clusters * (double)(p.HostLinkLatencyPs + p.ChipLinkLatencyPs + p.DramLatencyPs);
        double upper = Math.Max(c + d, h + r);
        TestContext.Out.WriteLine(string.Join(" ", t.CompletionPs));
        TestContext.Out.WriteLine($"input {inputBytesPerSample} B/sample: C {c / 1e6:0.000} us, H {h / 1e6:0.000} us, D {d / 1e6:0.000} us, R {r / 1e6:0.000} us, interval {interval / 1e6:0.000} us, max {expected / 1e6:0.000} us, sum {(c + h) / 1e6:0.000} us");

        Assert.That(t.Scenario, Is.EqualTo(RunScenario.Offline));
        Assert.That(t.Batches, Is.EqualTo(p.OfflineBatches));
        Assert.That(t.MeasuredLast, Is.EqualTo(t.Batches - p.InputBuffers));
        Assert.That(t.SamplesPerSecond, Is.EqualTo(t.MeasuredLast * (double)Batch / ((t.CompletionPs[t.MeasuredLast] - t.CompletionPs[0]) / 1e12)).Within(1e-6).Percent);

        // Besides max(C + D, H + R), small terms: per batch the output staged to a DRAM buffer and the token round trips
        // between channel 0 and the host queues: within 5 %.
        Assert.That(interval, Is.GreaterThanOrEqualTo(0.97 * expected), "faster than the slower of compute and host input");
        Assert.That(interval, Is.LessThanOrEqualTo(1.05 * upper), "the next input does not overlap the current batch's compute");
        if (h > 0.7 * c && h < 1.4 * c)
        {
            Assert.That(interval, Is.LessThan(0.8 * (c + h)), "C + H would mean no overlap");
        }
    }

    [Test]
    public void SingleScenarioPaysTheHostInputOnTopOfCompute()
    {
        CardParameters p = SlowHost();
        const long input = 24 * 1024;
        double c = ComputePs(p, input);
        NetworkRunResult single = NetworkRun.Run(p, Graph(input), Batch, PartitionMode.PerCluster, ulong.MaxValue, ulong.MaxValue);
        Assert.That(single.Throughput.Scenario, Is.EqualTo(RunScenario.Single));
        Assert.That(single.Throughput.Batches, Is.EqualTo(1));
        Assert.That(single.Throughput.SamplesPerSecond, Is.EqualTo(Batch / (single.Summary.SimulatedPs / 1e12)));
        Assert.That((double)single.Summary.SimulatedPs, Is.GreaterThan(0.95 * (c + HostPs(p, input))), "one batch from an idle card: host input, then compute");
    }

    [Test]
    public void OfflineProgramHasAHostQueuePerClusterAndRunsEveryBatch()
    {
        CardParameters p = S4();
        CompileResult r = FwCompiler.Compile(Graph(64 * 1024), Batch, CompilerTarget.From(p), new CompileOptions { Mode = PartitionMode.PerCluster, Batches = 3, InputBuffers = 2 });
        Assert.That(r.Completion, Is.Not.Null);
        Assert.That(r.Completion!.Batches, Is.EqualTo(3));
        Assert.That(r.Completion.SignalsPerBatch, Is.EqualTo(p.Chips));
        int hostQueues = r.Program.Streams.Count(s => s.Engine.Kind == Antoum.Isa.EngineKind.Dma && s.Engine.Unit >= p.DmaChannels);
        Assert.That(hostQueues, Is.EqualTo(2 * p.Chips), "an input and an output queue per chip");
        CompileResult one = FwCompiler.Compile(Graph(64 * 1024), Batch, CompilerTarget.From(p), new CompileOptions { Mode = PartitionMode.PerCluster });
        Assert.That(r.Report.TotalMacs, Is.EqualTo(3 * one.Report.TotalMacs), "every batch's work is in the program");
        Assert.That(r.Report.HostBytes, Is.EqualTo(3 * one.Report.HostBytes), "every batch's input and output cross the host link");
        Assert.That(one.Completion, Is.Null);
    }

    [Test]
    public void SplitModeOfflineRunsAndCompletesInOrder()
    {
        CardParameters p = S4();
        ThroughputMeasurement t = NetworkRun.Run(p, SyntheticGraphs.Attention(), 4, PartitionMode.Split, ulong.MaxValue, 200_000_000, scenario: RunScenario.Offline).Throughput;
        Assert.That(t.CompletionPs, Is.Ordered);
        Assert.That(t.CompletionPs[0], Is.GreaterThan(0UL));
        Assert.That(t.SamplesPerSecond, Is.GreaterThan(0));
    }

    [Test]
    public void OfflineNeedsAHostQueueAndIsTimingOnly()
    {
        CardParameters p = S4() with { DmaHostQueues = 1 };
        var ex = Assert.Throws<CompileException>(() => FwCompiler.Compile(Graph(64 * 1024), Batch, CompilerTarget.From(p), new CompileOptions { Batches = 2 }));
        Assert.That(ex!.Message, Does.Contain("chip.dma.hostQueues"));
        Assert.Throws<CompileException>(() => FwCompiler.Compile(Graph(64 * 1024), Batch, CompilerTarget.From(S4()), new CompileOptions { Batches = 2, InputBuffers = 1 }));
    }

    [Test]
    public void OfflineRunsAreDeterministic()
    {
        CardParameters p = S4();
        ThroughputMeasurement a = Offline(p, 64 * 1024);
        ThroughputMeasurement b = Offline(p, 64 * 1024);
        Assert.That(b.CompletionPs, Is.EqualTo(a.CompletionPs));
        Assert.That(b.SamplesPerSecond, Is.EqualTo(a.SamplesPerSecond));
    }
}
