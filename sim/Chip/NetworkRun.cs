using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Chip;

/// <summary>What a network run produced: the compiled program and its report, the run's summary and the per-layer rows.</summary>
public sealed record NetworkRunResult(CompileResult Compiled, ProgramModel Model, ProgramSummary Summary, IReadOnlyList<LayerRow> Layers)
{
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
    public static NetworkRunResult Run(CardParameters p, WorkloadGraph graph, int batch, PartitionMode? mode, ulong maxCycles, ulong maxEvents, TextWriter? progress = null, bool timeline = false, Functional.FunctionalRequest? functional = null, Action<ProgramModel>? beforeRun = null)
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
        return new NetworkRunResult(compiled, model, summary, rows);
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
