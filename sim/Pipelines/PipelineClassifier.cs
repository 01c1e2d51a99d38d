using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Stats;

namespace Antoum.Sim.Pipelines;

/// <summary>
/// Builds the classifier stage of a pipeline from the normal compiled-network path: the network is compiled for the
/// card and run once at the pipeline's batch (<see cref="NetworkRun"/>); the batch time is that run's simulated time
/// (host input over PCIe and kernel launch included), and its block activity and counters are kept per batch.
/// </summary>
public static class PipelineClassifier
{
    public static ClassifierModel FromNetwork(CardParameters p, WorkloadGraph graph, int batch, ulong maxEvents = ulong.MaxValue, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        NetworkRunResult run = NetworkRun.Run(p, graph, batch, null, ulong.MaxValue, maxEvents, progress);
        StatRegistry stats = run.Model.Sim.Stats;
        ulong elapsed = run.Summary.SimulatedPs;
        var blocks = new List<ClassifierActivity>();
        foreach (BlockActivity b in stats.Blocks)
        {
            blocks.Add(new ClassifierActivity(b.Name, b.Kind, b.ClockHz, Math.Min(b.BusyPs(), elapsed), Math.Min(b.StallPs(), elapsed), b.BytesIn(), b.BytesOut()));
        }

        var counters = new List<(string, string, string, long)>();
        foreach (Statistic s in stats.All)
        {
            // Times ("ps": finish times, waits) do not add up over batches; counts, bytes and cycles do.
            if (s is Counter c && c.Unit != "ps")
            {
                counters.Add((c.Name, c.Unit, c.Description + " (classifier, replayed per batch)", c.Value));
            }
        }

        return new ClassifierModel(graph.Name, batch, elapsed) { Blocks = blocks, Counters = counters };
    }
}
