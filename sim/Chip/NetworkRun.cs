using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Chip;

/// <summary>Which measurement a network run reproduces (docs/validation.md).</summary>
public enum RunScenario
{
    /// <summary>One batch from an idle card: launch, host input over PCIe, compute, output back; throughput = batch / that time.</summary>
    Single,

    /// <summary>
    /// Steady state of a harness that keeps the card busy (MLPerf Offline): harness.offlineBatches batches back to back,
    /// each cluster's host queue streaming the next input into a free DRAM buffer while the chip computes; throughput
    /// from the interval between batch completions.
    /// </summary>
    Offline,
}

/// <summary>
/// How a run's throughput was measured: the scenario, the batches simulated, when each completed (its output in host
/// memory; single: the end of the run), and the resulting samples per second with the formula used.
/// </summary>
public sealed record ThroughputMeasurement(RunScenario Scenario, int Batch, int Batches, IReadOnlyList<ulong> CompletionPs, double SamplesPerSecond, ulong IntervalPs)
{
    /// <summary>
    /// Offline: the completions the throughput is measured between, batch 0 to batch <see cref="MeasuredLast"/>
    /// (batches − input buffers): the later batches drain, computing without the next input streaming in.
    /// </summary>
    public int MeasuredLast { get; init; }

    /// <summary>Scenario name as the command line and summary.json spell it.</summary>
    public string ScenarioName => Scenario == RunScenario.Offline ? "offline" : "single";

    /// <summary>The formula the throughput comes from.</summary>
    public string Method => Scenario == RunScenario.Offline
        ? "steady state: (batches - inputBuffers) x batch / (completion of batch (batches - inputBuffers) - completion of batch 0); a batch completes when its output has landed in host memory; the last inputBuffers - 1 batches drain (no next input streams in while they compute) and are not measured"
        : "one batch from an idle card: batch / (time from time 0 to the end of the last stream), launch and host copies included";

    /// <summary>Parses single | offline (case-insensitive).</summary>
    public static RunScenario Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.ToLowerInvariant() switch
        {
            "single" => RunScenario.Single,
            "offline" => RunScenario.Offline,
            _ => throw new Config.UserInputException($"expected a scenario single or offline, got '{text}'"),
        };
    }
}

/// <summary>What a network run produced: the compiled program and its report, the run's summary and the per-layer rows.</summary>
public sealed record NetworkRunResult(CompileResult Compiled, ProgramModel Model, ProgramSummary Summary, IReadOnlyList<LayerRow> Layers)
{
    /// <summary>The scenario's throughput measurement.</summary>
    public required ThroughputMeasurement Throughput { get; init; }

    /// <summary>Functional mode: the comparison of the output with the reference (null in timing mode).</summary>
    public Functional.FunctionalOutcome? Functional { get; init; }
}

/// <summary>
/// Runs a network the way a user does: compile the graph for the card (firmware compiler), load the programs,
/// attribute every stream's instructions to the layers the compiler emitted them for, run, and report per layer.
/// </summary>
public static class NetworkRun
{
    /// <summary>
    /// Compiles and runs <paramref name="graph"/>; with <paramref name="functional"/> the compile is functional, the
    /// engines compute values from seeded inputs and the output is compared with the reference (docs/functional.md).
    /// </summary>
    public static NetworkRunResult Run(CardParameters p, WorkloadGraph graph, int batch, PartitionMode? mode, ulong maxCycles, ulong maxEvents, TextWriter? progress = null, bool timeline = false, Functional.FunctionalRequest? functional = null, Action<ProgramModel>? beforeRun = null, RunScenario scenario = RunScenario.Single)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(graph);
        Functional.FunctionalInputs? inputs = functional is null ? null : Functional.FunctionalRun.Generate(graph, batch, functional.Seed);
        CompileResult compiled;
        try
        {
            compiled = Compiler.Compile(graph, batch, CompilerTarget.From(p), new CompileOptions
            {
                Mode = mode,
                Data = inputs is null ? null : new FunctionalData(inputs.Layers),
                Batches = scenario == RunScenario.Offline ? p.OfflineBatches : 1,
                InputBuffers = p.InputBuffers,
            });
        }
        catch (CompileException e)
        {
            throw new Config.UserInputException(e.Message);
        }

        if (functional?.Transform is { } transform)
        {
            compiled = transform(compiled);
        }

        Functional.FunctionalMemory? memory = inputs is null ? null : Functional.FunctionalRun.Load(p, compiled, inputs);
        NetworkRunResult result = Run(p, compiled, graph.Name, maxCycles, maxEvents, progress, timeline, memory, beforeRun);
        return inputs is null ? result : result with
        {
            Functional = Functional.FunctionalRun.Compare(graph, batch, functional!.Seed, compiled, inputs, memory!).Outcome,
        };
    }

    /// <summary>
    /// Runs an already compiled network (the sweep reuses compiled programs; see docs/sweeps.md); with
    /// <paramref name="memory"/> the engines also compute values (functional mode).
    /// </summary>
    public static NetworkRunResult Run(CardParameters p, CompileResult compiled, string name, ulong maxCycles, ulong maxEvents, TextWriter? progress = null, bool timeline = false, Functional.FunctionalMemory? memory = null, Action<ProgramModel>? beforeRun = null)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        ProgramModel model = ProgramRunner.Build(p, compiled.Program, name, timeline, memory);
        int layers = compiled.Layers.LayerNames.Count;
        foreach (EngineCore engine in model.Engines)
        {
            // Streams without layer work (the cpu's launches and final wait) are not attributed to any layer.
            int[]? map = SegmentMap(compiled.Layers, engine.Id, engine.CodeLength);
            if (map is not null)
            {
                engine.SetSegmentMap(map, layers);
            }
        }

        if (compiled.Completion is { } completion)
        {
            model.Sync.WatchGlobalTokens(completion.FirstToken, completion.Batches, completion.SignalsPerBatch);
        }

        beforeRun?.Invoke(model);
        ProgramSummary summary = ProgramRunner.Run(model, maxCycles, maxEvents, progress);
        var macs = new long[layers];
        var dramBytes = new long[layers];
        for (int l = 0; l < layers && l < compiled.Report.Layers.Count; l++)
        {
            macs[l] = compiled.Report.Layers[l].Macs;
            dramBytes[l] = compiled.Report.Layers[l].DramBytes;
        }

        List<LayerRow> rows = LayersCsv.Rows(compiled.Layers.LayerNames, macs, model.Engines, p.ClockHz, dramBytes);
        return new NetworkRunResult(compiled, model, summary, rows) { Throughput = Measure(compiled, model, summary) };
    }

    /// <summary>
    /// The throughput of a finished run. Single-batch program: batch / simulated time. Multi-batch (offline) program:
    /// the batch completion times the sync unit recorded, and last × batch / (t_last − t_0) with last = batches − input
    /// buffers (the batches after it drain and are not measured).
    /// </summary>
    public static ThroughputMeasurement Measure(CompileResult compiled, ProgramModel model, ProgramSummary summary)
    {
        ArgumentNullException.ThrowIfNull(compiled);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(summary);
        int batch = compiled.Report.Batch;
        if (compiled.Completion is not { } completion)
        {
            double seconds = summary.SimulatedPs / 1e12;
            return new ThroughputMeasurement(RunScenario.Single, batch, 1, [summary.SimulatedPs], seconds > 0 ? batch / seconds : 0, summary.SimulatedPs);
        }

        ulong[] done = [.. model.Sync.WatchedTimesPs];
        for (int b = 0; b < done.Length; b++)
        {
            if (done[b] == 0 || (b > 0 && done[b] < done[b - 1]))
            {
                throw new Config.SimInvariantException($"batch {b} of {done.Length}: completion time {done[b]} ps missing or out of order");
            }
        }

        // Batch b computes while batch b + buffers - 1's input streams in, as in an endless run, only for
        // b <= batches - buffers: the batches after it drain and are not measured.
        int last = done.Length - completion.InputBuffers;
        if (last < 1)
        {
            throw new Config.UserInputException($"the offline scenario needs more batches ({done.Length}) than input buffers ({completion.InputBuffers}) (harness.offlineBatches, harness.inputBuffers)");
        }

        ulong span = done[last] - done[0];
        return new ThroughputMeasurement(RunScenario.Offline, batch, done.Length, done,
            span > 0 ? last * (double)batch / (span / 1e12) : 0, span / (ulong)last)
        {
            MeasuredLast = last,
        };
    }

    /// <summary>
    /// The layer of every instruction of one stream, from all the compiler's spans (a layer emitted once per
    /// micro-batch has a span per emission); -1 where no span covers the instruction (it then counts with the
    /// instruction before it). Null when the stream has no span at all.
    /// </summary>
    public static int[]? SegmentMap(LayerMap map, EngineId engine, int codeLength)
    {
        var segmentOfPc = new int[codeLength];
        Array.Fill(segmentOfPc, -1);
        bool any = false;
        foreach (LayerSpan span in map.Spans)
        {
            if (span.Engine != engine)
            {
                continue;
            }

            any = true;
            for (int pc = Math.Max(0, span.Start); pc < Math.Min(codeLength, span.End); pc++)
            {
                segmentOfPc[pc] = span.Layer;
            }
        }

        return any ? segmentOfPc : null;
    }
}
