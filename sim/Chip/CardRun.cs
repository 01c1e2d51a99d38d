using Antoum.Sim.Kernel;
using Antoum.Sim.Stats;
using Antoum.Sim.Workloads;

namespace Antoum.Sim.Chip;

/// <summary>Limits that bound a run's cost.</summary>
public sealed record RunLimits(ulong MaxEvents = ulong.MaxValue, ulong MaxTimePs = ulong.MaxValue);

/// <summary>The headline results of a run, computed from the statistics after it (reporting never reads block internals).</summary>
public sealed record RunSummary
{
    public required string Sku { get; init; }

    public required string Workload { get; init; }

    public required int Batch { get; init; }

    public required int Chips { get; init; }

    public required ulong SimulatedPs { get; init; }

    public required ulong Cycles { get; init; }

    public required ulong ClockHz { get; init; }

    public required double SamplesPerSecond { get; init; }

    public required long Macs { get; init; }

    public required double MacUtilization { get; init; }

    public required long DramBytesRead { get; init; }

    public required long DramBytesWritten { get; init; }

    public required double DramBandwidthBytesPerSecond { get; init; }

    public required double DramBandwidthUtilization { get; init; }

    public required long PcieBytes { get; init; }

    public required double PcieBandwidthBytesPerSecond { get; init; }

    public required double SpuStallFraction { get; init; }

    public required ulong Events { get; init; }

    public required string StopReason { get; init; }
}

/// <summary>Runs a built card to completion and summarises it.</summary>
public static class CardRun
{
    /// <summary>Runs the model; throws a user error if a limit stops it before the workload finished.</summary>
    public static RunSummary Run(CardModel model, GemmWorkload workload, int batch, RunLimits limits)
    {
        Simulator sim = model.Sim;
        StopReason reason = sim.Run(limits.MaxTimePs, limits.MaxEvents);
        sim.Finish();
        if (!model.Host.Done)
        {
            string why = reason switch
            {
                Kernel.StopReason.EventLimit => $"the event limit ({limits.MaxEvents} events) was reached",
                Kernel.StopReason.TimeLimit => $"the simulated-time limit ({limits.MaxTimePs} ps) was reached",
                _ => "the model went quiet before the workload finished (deadlock): " + DescribeWaiting(sim),
            };
            throw new Config.UserInputException($"run did not finish: {why}");
        }

        return Summarize(model, workload, batch, reason);
    }

    private static string DescribeWaiting(Simulator sim)
    {
        var waiting = new List<string>();
        foreach (Statistic s in sim.Stats.All)
        {
            if (s is Counter c && s.Name.EndsWith(".refusals", StringComparison.Ordinal) && c.Value > 0)
            {
                waiting.Add(s.Name[..^".refusals".Length]);
            }
        }

        return waiting.Count == 0 ? "no link was refusing" : "links that refused sends: " + string.Join(", ", waiting);
    }

    private static RunSummary Summarize(CardModel model, GemmWorkload workload, int batch, StopReason reason)
    {
        Simulator sim = model.Sim;
        CardParameters p = model.Parameters;
        ulong end = model.Host.FinishTimePs;
        ulong cycles = model.Clocks[0].CycleAtOrAfter(end);
        long macs = 0;
        long dramRead = 0;
        long dramWritten = 0;
        long dramBusy = 0;
        long stall = 0;
        int drams = 0;
        foreach (Statistic s in sim.Stats.All)
        {
            if (s is not Counter c)
            {
                continue;
            }

            string n = s.Name;
            if (n.EndsWith(".macs", StringComparison.Ordinal))
            {
                macs += c.Value;
            }
            else if (n.EndsWith(".dram.bytesRead", StringComparison.Ordinal))
            {
                dramRead += c.Value;
            }
            else if (n.EndsWith(".dram.bytesWritten", StringComparison.Ordinal))
            {
                dramWritten += c.Value;
            }
            else if (n.EndsWith(".dram.busyTime", StringComparison.Ordinal))
            {
                dramBusy += c.Value;
                drams++;
            }
            else if (n.EndsWith(".stallTime", StringComparison.Ordinal))
            {
                stall += c.Value;
            }
        }

        long pcie = ((Counter)sim.Stats.Find("card.link.hostDown.bytes")!).Value + ((Counter)sim.Stats.Find("card.link.hostUp.bytes")!).Value;
        double seconds = end / 1e12;
        int arrays = p.Chips * p.SpusPerChip;
        return new RunSummary
        {
            Sku = p.Sku,
            Workload = workload.Name,
            Batch = batch,
            Chips = p.Chips,
            SimulatedPs = end,
            Cycles = cycles,
            ClockHz = p.ClockHz,
            SamplesPerSecond = seconds > 0 ? batch / seconds : 0,
            Macs = macs,
            MacUtilization = cycles == 0 ? 0 : macs / ((double)p.CardMacsPerCycle * cycles),
            DramBytesRead = dramRead,
            DramBytesWritten = dramWritten,
            DramBandwidthBytesPerSecond = seconds > 0 ? (dramRead + dramWritten) / seconds : 0,
            DramBandwidthUtilization = end == 0 || drams == 0 ? 0 : dramBusy / ((double)end * drams),
            PcieBytes = pcie,
            PcieBandwidthBytesPerSecond = seconds > 0 ? pcie / seconds : 0,
            SpuStallFraction = end == 0 ? 0 : stall / ((double)end * arrays),
            Events = sim.EventsExecuted,
            StopReason = reason.ToString(),
        };
    }
}
