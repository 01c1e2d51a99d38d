using Antoum.Sim.Blocks.Control;
using Antoum.Sim.Blocks.Dram;
using Antoum.Sim.Blocks.Host;
using Antoum.Sim.Blocks.Interconnect;
using Antoum.Sim.Blocks.Spu;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;
using Antoum.Sim.Workloads;

namespace Antoum.Sim.Chip;

/// <summary>What the builder made: the kernel and the handles the run needs to finish and report.</summary>
public sealed class CardModel
{
    internal CardModel(Simulator sim, CardParameters parameters, HostDriver host, IReadOnlyList<ClockDomain> clocks, IReadOnlyList<LayerPlan> layers)
    {
        Sim = sim;
        Parameters = parameters;
        Host = host;
        Clocks = clocks;
        Layers = layers;
    }

    public Simulator Sim { get; }

    public CardParameters Parameters { get; }

    public HostDriver Host { get; }

    /// <summary>One core clock domain per chip.</summary>
    public IReadOnlyList<ClockDomain> Clocks { get; }

    /// <summary>The tiling the control CPUs run.</summary>
    public IReadOnlyList<LayerPlan> Layers { get; }

    /// <summary>The timeline sampler, when the card was built with one (an observer: results are the same without it).</summary>
    public Reporting.TimelineSampler? Timeline { get; init; }

    /// <summary>Every MAC array with its engine identity (chip, cluster, unit), for trace.json.</summary>
    public IReadOnlyList<(Antoum.Isa.EngineId Id, MacArray Array)> Arrays { get; init; } = [];
}

/// <summary>
/// Builds a card from <see cref="CardParameters"/>: host → PCIe switch → per chip a control CPU, per cluster a
/// DRAM interface and S MAC arrays, each array wired to its cluster's DRAM through the cluster crossbar and to
/// the control CPU. Every connection is a link with latency, bandwidth and credits; nothing holds a reference
/// to another block. Statistic names follow the tree: <c>host</c>, <c>card.pcie</c>,
/// <c>chip{c}.control</c>, <c>chip{c}.cluster{k}.dram</c>, <c>chip{c}.cluster{k}.spu{s}</c>, links under
/// <c>….link.*</c>.
/// </summary>
public static class CardBuilder
{
    /// <summary>Credits of command / completion / PCIe links: enough that they never limit the placeholder model.</summary>
    private const int ControlCredits = 64;

    public static CardModel Build(CardParameters p, GemmWorkload workload, int batch, bool timeline = false)
    {
        if (batch <= 0)
        {
            throw new Config.UserInputException($"batch must be > 0 (got {batch})");
        }

        var layers = new List<LayerPlan>(workload.Layers.Count);
        foreach (GemmLayer l in workload.Layers)
        {
            int depth = ControlCpu.ChunkDepthFor(l.Name, p.SpuRows, p.SpuCols, l.K, p.CommandSlots, p.L1Bytes);
            // The control CPU numbers a chip's tiles of a layer with an int: refuse a batch whose tile count would wrap.
            long samplesPerChip = (batch + (long)p.Chips - 1) / p.Chips;
            long tileRows = ((samplesPerChip * l.RowsPerSample) + p.SpuRows - 1) / p.SpuRows;
            long tiles = tileRows * ((l.N + (long)p.SpuCols - 1) / p.SpuCols);
            if (tiles > int.MaxValue - (long)p.SpusPerChip)
            {
                throw new Config.UserInputException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"--batch {batch}: layer '{l.Name}' of {workload.Name} would need {tiles} tiles per chip, more than the {int.MaxValue - p.SpusPerChip} the model counts; use a smaller batch"));
            }

            layers.Add(new LayerPlan(l.Name, l.RowsPerSample, l.N, l.K, p.SpuRows, p.SpuCols, depth));
        }

        var sim = new Simulator();
        GemmLayer first = workload.Layers[0];
        var host = new HostDriver(sim, "host", new HostParams(batch, p.Chips, (ulong)first.RowsPerSample * (ulong)first.K));
        var pcie = new PcieSwitch(sim, "card.pcie", p.Chips);
        var hostLink = new LinkTiming(p.HostLinkLatencyPs, p.HostLinkBytesPerSecond, ControlCredits);
        var chipLink = new LinkTiming(p.ChipLinkLatencyPs, p.ChipLinkBytesPerSecond, ControlCredits);
        RegisterLink(Link<HostMessage>.Connect(sim, "card.link.hostDown", host.ToCard, pcie.Up, hostLink), sim, p.ClockHz);
        RegisterLink(Link<HostMessage>.Connect(sim, "card.link.hostUp", pcie.ToHost, host.FromCard, hostLink), sim, p.ClockHz);

        var clocks = new List<ClockDomain>(p.Chips);
        var control = new ControlParams(p.SpusPerChip, p.LaunchOverheadPs, layers);
        var macParams = new MacArrayParams(p.SpuModel, p.CommandSlots, p.L1Bytes);
        var dramParams = new DramParams(p.DramBytesPerSecondPerInterface, p.DramLatencyPs, p.SpusPerCluster, p.CommandSlots + 1)
        {
            Device = p.DramDevice,
            RegionBytes = Math.Max(1UL << 20, p.DramBytesPerInterface / (ulong)p.SpusPerCluster),
        };
        var xbar = new LinkTiming(p.CrossbarLatencyPs, p.CrossbarBytesPerSecond, p.CommandSlots + 1);
        var xbarResp = new LinkTiming(p.CrossbarLatencyPs, p.CrossbarBytesPerSecond, p.CommandSlots);
        var cmdLink = new LinkTiming(p.CrossbarLatencyPs, p.CrossbarBytesPerSecond, p.CommandSlots);
        var doneLink = new LinkTiming(p.CrossbarLatencyPs, p.CrossbarBytesPerSecond, ControlCredits);

        var arrays = new List<(Antoum.Isa.EngineId, MacArray)>();
        for (int c = 0; c < p.Chips; c++)
        {
            string chip = "chip" + c;
            var clock = new ClockDomain(sim, chip + ".core", p.ClockHz);
            clocks.Add(clock);
            var cpu = new ControlCpu(sim, chip + ".control", c, control);
            RegisterLink(Link<HostMessage>.Connect(sim, chip + ".link.pcieDown", pcie.Down(c), cpu.HostIn, chipLink), sim, p.ClockHz);
            RegisterLink(Link<HostMessage>.Connect(sim, chip + ".link.pcieUp", cpu.HostOut, pcie.FromChip(c), chipLink), sim, p.ClockHz);
            for (int k = 0; k < p.Clusters; k++)
            {
                string cluster = chip + ".cluster" + k;
                var dram = new DramInterface(sim, cluster + ".dram", dramParams, p.ClockHz);
                for (int s = 0; s < p.SpusPerCluster; s++)
                {
                    int index = (k * p.SpusPerCluster) + s;
                    var spu = new MacArray(sim, cluster + ".spu" + s, clock, macParams);
                    arrays.Add((new Antoum.Isa.EngineId(Antoum.Isa.EngineKind.Spu, c, k, s), spu));
                    PortsOf(spu, out OutPort<MemRequest> req, out InPort<MemResponse> resp, out InPort<TileCommand> cmd, out OutPort<TileDone> done);
                    Link<MemRequest>.Connect(sim, cluster + ".link.req" + s, req, dram.RequestPort(s), xbar);
                    Link<MemResponse>.Connect(sim, cluster + ".link.resp" + s, dram.ResponsePort(s), resp, xbarResp);
                    Link<TileCommand>.Connect(sim, cluster + ".link.cmd" + s, cpu.CommandPort(index), cmd, cmdLink);
                    Link<TileDone>.Connect(sim, cluster + ".link.done" + s, done, cpu.DonePort(index), doneLink);
                }
            }
        }

        Reporting.TimelineSampler? sampler = timeline ? new Reporting.TimelineSampler(sim) : null;
        sim.Start();
        return new CardModel(sim, p, host, clocks, layers) { Timeline = sampler, Arrays = arrays };
    }

    /// <summary>Lists a PCIe link in blocks.csv (busy = serialising; bytes through it both in and out).</summary>
    private static void RegisterLink(Link<HostMessage> link, Simulator sim, ulong clockHz)
    {
        var busy = (Stats.Counter)sim.Stats.Find(link.Name + ".busyTime")!;
        var bytes = (Stats.Counter)sim.Stats.Find(link.Name + ".bytes")!;
        sim.Stats.Block(new Stats.BlockActivity(link.Name, "pcie", clockHz, () => (ulong)busy.Value, () => 0, () => bytes.Value, () => bytes.Value));
    }

    private static void PortsOf(MacArray spu, out OutPort<MemRequest> req, out InPort<MemResponse> resp, out InPort<TileCommand> cmd, out OutPort<TileDone> done)
    {
        req = (OutPort<MemRequest>)Find(spu, ".memReq");
        resp = (InPort<MemResponse>)Find(spu, ".memResp");
        cmd = (InPort<TileCommand>)Find(spu, ".cmd");
        done = (OutPort<TileDone>)Find(spu, ".done");
    }

    private static IPort Find(SimComponent component, string suffix)
    {
        foreach (IPort port in component.Ports)
        {
            if (port.Name.EndsWith(suffix, StringComparison.Ordinal))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"{component.Name} has no port ending in '{suffix}'");
    }
}
