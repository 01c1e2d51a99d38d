using System.Globalization;
using System.Text;
using System.Text.Json;
using Antoum.Sim.Chip;

namespace Antoum.Sim.Reporting;

/// <summary>What a network run adds to a program summary: batch, partition mode, MACs, instructions.</summary>
public sealed record NetworkFacts(int Batch, string Mode, long Macs, long Instructions)
{
    /// <summary>The card's compute roof: 2 × MAC units × clock, ops/s (a MAC is two operations).</summary>
    public double PeakOpsPerSecond { get; init; }

    /// <summary>The card's DRAM bandwidth roof (configured bandwidth per interface × interfaces), B/s.</summary>
    public double DramBytesPerSecond { get; init; }

    /// <summary>How the throughput was measured (null: one batch, batch / simulated time).</summary>
    public ThroughputMeasurement? Throughput { get; init; }
}

/// <summary>summary.json and the console summary of a program run (<c>antoum run --program</c>).</summary>
public static class ProgramReport
{
    public static string ToJson(ProgramSummary s, RunProvenance prov, NetworkFacts? network = null, Power.PowerReport? power = null, Functional.FunctionalOutcome? functional = null)
    {
        return SummaryWriter.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("format", "antoumsim.summary/1");
            SummaryWriter.WriteProvenance(w, prov);
            w.WriteStartObject("run");
            w.WriteString("sku", s.Sku);
            w.WriteNumber("chips", s.Chips);
            w.WriteNumber("events", s.Events);
            if (network is not null)
            {
                w.WriteNumber("batch", network.Batch);
                w.WriteString("mode", network.Mode);
                w.WriteNumber("instructions", network.Instructions);
            }

            w.WriteEndObject();
            w.WriteStartObject("results");
            w.WriteNumber("simulatedTimePs", s.SimulatedPs);
            w.WriteNumber("cycles", s.Cycles);
            w.WriteNumber("clockHz", s.ClockHz);
            if (network is not null)
            {
                double seconds = s.SimulatedPs / 1e12;
                ThroughputMeasurement? t = network.Throughput;
                if (t is { Scenario: RunScenario.Offline })
                {
                    w.WriteNumber("steadyIntervalPerBatchPs", t.IntervalPs);
                }
                else
                {
                    w.WriteNumber("latencyPerBatchPs", s.SimulatedPs);
                }

                w.WriteNumber("samplesPerSecond", t?.SamplesPerSecond ?? (seconds > 0 ? network.Batch / seconds : 0));
                w.WriteNumber("macs", network.Macs);
                if (t is not null)
                {
                    w.WriteStartObject("scenario");
                    w.WriteString("name", t.ScenarioName);
                    w.WriteNumber("batches", t.Batches);
                    w.WriteString("throughputMethod", t.Method);
                    w.WriteStartArray("batchCompletionPs");
                    foreach (ulong done in t.CompletionPs)
                    {
                        w.WriteNumberValue(done);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }
            }

            if (network is not null && network.PeakOpsPerSecond > 0)
            {
                w.WriteStartObject("roofs");
                w.WriteNumber("peakOpsPerSecond", network.PeakOpsPerSecond);
                w.WriteNumber("dramBytesPerSecond", network.DramBytesPerSecond);
                w.WriteEndObject();
            }

            w.WriteNumber("dramBytes", s.DramBytes);
            w.WriteNumber("nocBytes", s.NocBytes);
            w.WriteNumber("pcieBytes", s.PcieBytes);
            w.WriteStartArray("engines");
            foreach (EngineRow e in s.Engines)
            {
                w.WriteStartObject();
                w.WriteString("engine", e.Engine);
                w.WriteNumber("instructions", e.Instructions);
                w.WriteNumber("busyCycles", e.BusyCycles);
                w.WriteNumber("waitTimePs", e.WaitPs);
                w.WriteNumber("finishTimePs", e.FinishPs);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            power?.WriteJson(w);
            functional?.WriteJson(w);
            w.WriteEndObject();
        });
    }

    private static string Rate(long bytes, double seconds)
    {
        return seconds <= 0 ? "0 GB/s" : (bytes / seconds / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + " GB/s";
    }

    public static string ToConsole(ProgramSummary s, RunProvenance prov)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(c, $"AntoumSim {prov.ProgramVersion}  {s.Sku} ({s.Chips} chip{(s.Chips == 1 ? string.Empty : "s")})  program {prov.WorkloadName}\n");
        sb.Append(c, $"  config          {prov.Config.Source}  hash {prov.Config.Hash[..12]}\n");
        sb.Append(c, $"  simulated time  {s.SimulatedPs:N0} ps  ({s.Cycles:N0} cycles at {s.ClockHz / 1e6:0.###} MHz)\n");
        sb.Append(c, $"  events          {s.Events:N0}\n");
        double seconds = s.SimulatedPs / 1e12;
        sb.Append(c, $"  traffic         DRAM {s.DramBytes / 1e6:N2} MB ({Rate(s.DramBytes, seconds)}), NoC {s.NocBytes / 1e6:N2} MB ({Rate(s.NocBytes, seconds)}), PCIe host {s.PcieBytes / 1e6:N2} MB ({Rate(s.PcieBytes, seconds)})\n");
        sb.Append("  engine             instructions   busy cycles   busy %   waited (ps)   finished (ps)\n");
        int shown = 0;
        foreach (EngineRow e in s.Engines)
        {
            if (shown++ == 24)
            {
                sb.Append(c, $"  … {s.Engines.Count - 24} more engines in summary.json\n");
                break;
            }

            double busy = s.Cycles == 0 ? 0 : 100.0 * e.BusyCycles / s.Cycles;
            sb.Append(c, $"  {e.Engine,-18} {e.Instructions,12:N0} {e.BusyCycles,13:N0} {busy,7:0.0}% {e.WaitPs,13:N0} {e.FinishPs,15:N0}\n");
        }

        return sb.ToString();
    }
}
