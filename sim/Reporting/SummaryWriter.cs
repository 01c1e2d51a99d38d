using System.Globalization;
using System.Text;
using System.Text.Json;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;

namespace Antoum.Sim.Reporting;

/// <summary>What produced a run: the program, the command, the configuration and the workload.</summary>
public sealed record RunProvenance(string ProgramVersion, string CommandLine, ResolvedConfig Config, string WorkloadName, string WorkloadDescription);

/// <summary>
/// Writes <c>summary.json</c> and the one-screen console summary. Numbers are culture-invariant; nothing
/// depends on the host (no absolute paths, no wall-clock time), so two runs of the same inputs give the same bytes.
/// </summary>
public static class SummaryWriter
{
    public static string ToJson(RunSummary s, RunProvenance prov, Power.PowerReport? power = null)
    {
        return SummaryWriter.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("format", "antoumsim.summary/1");
            WriteProvenance(w, prov);

            w.WriteStartObject("run");
            w.WriteString("sku", s.Sku);
            w.WriteNumber("chips", s.Chips);
            w.WriteNumber("batch", s.Batch);
            w.WriteString("stopReason", s.StopReason);
            w.WriteNumber("events", s.Events);
            w.WriteEndObject();

            w.WriteStartObject("results");
            w.WriteNumber("simulatedTimePs", s.SimulatedPs);
            w.WriteNumber("cycles", s.Cycles);
            w.WriteNumber("clockHz", s.ClockHz);
            w.WriteNumber("samplesPerSecond", s.SamplesPerSecond);
            w.WriteNumber("macs", s.Macs);
            w.WriteNumber("macUtilization", s.MacUtilization);
            w.WriteNumber("spuStallFraction", s.SpuStallFraction);
            w.WriteNumber("dramBytesRead", s.DramBytesRead);
            w.WriteNumber("dramBytesWritten", s.DramBytesWritten);
            w.WriteNumber("dramBandwidthBytesPerSecond", s.DramBandwidthBytesPerSecond);
            w.WriteNumber("dramBandwidthUtilization", s.DramBandwidthUtilization);
            w.WriteNumber("nocBytes", 0);
            w.WriteNumber("pcieBytes", s.PcieBytes);
            w.WriteNumber("pcieBandwidthBytesPerSecond", s.PcieBandwidthBytesPerSecond);
            w.WriteEndObject();
            power?.WriteJson(w);
            w.WriteEndObject();
        });
    }

    /// <summary>An indented JSON document (relaxed escaping, so '&lt;out&gt;' stays readable) with a final newline.</summary>
    public static string Document(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            write(w);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>The provenance block shared by every summary.json: program, command, configuration, workload.</summary>
    public static void WriteProvenance(Utf8JsonWriter w, RunProvenance prov)
    {
        w.WriteStartObject("provenance");
        w.WriteString("program", "AntoumSim");
        w.WriteString("version", prov.ProgramVersion);
        w.WriteString("commandLine", prov.CommandLine);
        w.WriteString("configSource", prov.Config.Source);
        w.WriteStartArray("configFiles");
        foreach (string f in prov.Config.Files)
        {
            w.WriteStringValue(f);
        }

        w.WriteEndArray();
        w.WriteString("configHash", prov.Config.Hash);
        w.WriteString("workload", prov.WorkloadName);
        w.WriteString("workloadDescription", prov.WorkloadDescription);
        w.WriteEndObject();
    }

    /// <summary>The one-screen summary printed after a run.</summary>
    public static string ToConsole(RunSummary s, RunProvenance prov)
    {
        var sb = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        sb.Append(c, $"AntoumSim {prov.ProgramVersion}  {s.Sku} ({s.Chips} chip{(s.Chips == 1 ? string.Empty : "s")})  workload {prov.WorkloadName}  batch {s.Batch}\n");
        sb.Append(c, $"  config          {prov.Config.Source}  hash {prov.Config.Hash[..12]}\n");
        sb.Append(c, $"  simulated time  {FormatTime(s.SimulatedPs)}  ({s.Cycles:N0} cycles at {s.ClockHz / 1e6:0.###} MHz)\n");
        sb.Append(c, $"  throughput      {s.SamplesPerSecond:N1} samples/s\n");
        sb.Append(c, $"  MAC utilization {s.MacUtilization * 100:0.0} %   ({s.Macs:N0} MACs; SPUs stalled on operands {s.SpuStallFraction * 100:0.0} % of the time)\n");
        sb.Append(c, $"  DRAM            {(s.DramBytesRead + s.DramBytesWritten) / 1e6:N1} MB moved, {s.DramBandwidthBytesPerSecond / 1e9:0.00} GB/s average, channels busy {s.DramBandwidthUtilization * 100:0.0} %\n");
        sb.Append(c, $"  NoC             0 B: in these workloads every cluster reads only its own DRAM interface\n");
        sb.Append(c, $"  PCIe            {s.PcieBytes / 1e6:N2} MB, {s.PcieBandwidthBytesPerSecond / 1e9:0.00} GB/s average\n");
        sb.Append(c, $"  events          {s.Events:N0}\n");
        return sb.ToString();
    }

    private static string FormatTime(ulong ps)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        return ps switch
        {
            >= 1_000_000_000_000UL => (ps / 1e12).ToString("0.000 s", c),
            >= 1_000_000_000UL => (ps / 1e9).ToString("0.000 ms", c),
            >= 1_000_000UL => (ps / 1e6).ToString("0.000 us", c),
            _ => ps.ToString("N0", c) + " ps",
        };
    }
}
