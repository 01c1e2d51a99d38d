using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Engines;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Chip;

/// <summary>What a network run produced: the compiled program and its report, the run's summary and the per-layer rows.</summary>
public sealed record NetworkRunResult(CompileResult Compiled, ProgramModel Model, ProgramSummary Summary, IReadOnlyList<LayerRow> Layers);

/// <summary>
/// Runs a network the way a user does: compile the graph for the card (firmware compiler), load the programs,
/// attribute every stream's instructions to the layers the compiler emitted them for, run, and report per layer.
/// </summary>
public static class NetworkRun
{
    public static NetworkRunResult Run(CardParameters p, WorkloadGraph graph, int batch, PartitionMode? mode, ulong maxCycles, ulong maxEvents)
    {
        CompileResult compiled;
        try
        {
            compiled = Compiler.Compile(graph, batch, CompilerTarget.From(p), new CompileOptions { Mode = mode });
        }
        catch (CompileException e)
        {
            throw new Config.UserInputException(e.Message);
        }

        ProgramModel model = ProgramRunner.Build(p, compiled.Program, graph.Name);
        int layers = compiled.Layers.LayerNames.Count;
        foreach (EngineCore engine in model.Engines)
        {
            // Streams without layer work (the cpu's launches and final wait) are not attributed to any layer.
            int[]? starts = SegmentStarts(compiled.Layers, engine.Id, layers, engine.CodeLength);
            if (starts is not null)
            {
                engine.SetSegments(starts);
            }
        }

        ProgramSummary summary = ProgramRunner.Run(model, maxCycles, maxEvents);
        var macs = new long[layers];
        for (int l = 0; l < layers && l < compiled.Report.Layers.Count; l++)
        {
            macs[l] = compiled.Report.Layers[l].Macs;
        }

        List<LayerRow> rows = LayersCsv.Rows(compiled.Layers.LayerNames, macs, model.Engines, p.ClockHz);
        return new NetworkRunResult(compiled, model, summary, rows);
    }

    /// <summary>Start instruction of every layer in one stream; a layer the stream has no part in gets an empty range.</summary>
    public static int[]? SegmentStarts(LayerMap map, EngineId engine, int layers, int codeLength)
    {
        var starts = new int[layers];
        Array.Fill(starts, -1);
        bool any = false;
        foreach (LayerSpan span in map.Spans)
        {
            if (span.Engine == engine && span.Layer < layers && (starts[span.Layer] < 0 || span.Start < starts[span.Layer]))
            {
                starts[span.Layer] = span.Start;
                any = true;
            }
        }

        if (!any)
        {
            return null;
        }

        int next = codeLength;
        for (int l = layers - 1; l >= 0; l--)
        {
            if (starts[l] < 0)
            {
                starts[l] = next;
            }

            next = starts[l];
        }

        starts[0] = 0;
        for (int l = 1; l < layers; l++)
        {
            // Keep the ranges ordered even if a compiler interleaves layers in one stream (the overlap is then
            // attributed to the earlier layer).
            starts[l] = Math.Max(starts[l], starts[l - 1]);
        }

        return starts;
    }
}
