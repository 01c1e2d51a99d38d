using System.Globalization;
using System.Text;
using Antoum.Isa;
using Antoum.Sim.Blocks.Codec;
using Antoum.Sim.Blocks.Dma;
using Antoum.Sim.Blocks.Interconnect;
using Antoum.Sim.Blocks.Memory;
using Antoum.Sim.Blocks.Sfa;
using Antoum.Sim.Blocks.Spu;
using Antoum.Sim.Blocks.Sync;
using Antoum.Sim.Blocks.Vpu;
using Antoum.Sim.Config;
using Antoum.Sim.Engines;
using Antoum.Sim.Kernel;
using Antoum.Sim.Protocol;

namespace Antoum.Sim.Chip;

/// <summary>A run that did not finish: a deadlock, the watchdog or the event limit. The message is the report.</summary>
public sealed class SimulationStoppedException : UserInputException
{
    public SimulationStoppedException(string message)
        : base(message)
    {
    }
}

/// <summary>A card wired to execute one program.</summary>
public sealed class ProgramModel
{
    internal ProgramModel(Simulator sim, CardParameters p, IReadOnlyList<EngineCore> engines, SyncUnit sync, IReadOnlyList<ClockDomain> clocks)
    {
        Sim = sim;
        Parameters = p;
        Engines = engines;
        Sync = sync;
        Clocks = clocks;
    }

    public Simulator Sim { get; }

    public CardParameters Parameters { get; }

    /// <summary>One engine per stream, in program order.</summary>
    public IReadOnlyList<EngineCore> Engines { get; }

    public SyncUnit Sync { get; }

    /// <summary>Per engine (by index): its cluster's sync unit and its port there; null for the cpu.</summary>
    internal IReadOnlyList<(SyncUnit Unit, int Local)?> ClusterSync { get; init; } = [];

    /// <summary>What engine <paramref name="index"/> is blocked on at either sync unit, or null.</summary>
    public string? BlockedOn(int index)
    {
        if (index < ClusterSync.Count && ClusterSync[index] is { } cs && cs.Unit.BlockedOn(cs.Local) is { } local)
        {
            return "cluster " + local;
        }

        return Sync.BlockedOn(index);
    }

    public IReadOnlyList<ClockDomain> Clocks { get; }

    /// <summary>The timeline sampler, when the model was built with one.</summary>
    public Reporting.TimelineSampler? Timeline { get; init; }

    /// <summary>
    /// How the watchdog message names the cycle limit given to <see cref="ProgramRunner.Run"/> (default
    /// <c>--max-cycles N</c>); the command line sets it when the limit came from <c>--max-time</c>.
    /// </summary>
    public string? CycleLimitName { get; set; }
}

/// <summary>One engine's line in a program summary.</summary>
public sealed record EngineRow(string Engine, long Instructions, long BusyCycles, ulong WaitPs, ulong FinishPs);

/// <summary>Results of a program run.</summary>
public sealed record ProgramSummary(string Sku, int Chips, ulong SimulatedPs, ulong Cycles, ulong ClockHz, ulong Events, IReadOnlyList<EngineRow> Engines)
{
    /// <summary>Bytes through every DRAM interface.</summary>
    public long DramBytes { get; init; }

    /// <summary>Bytes over the core NoC ring links (each hop counted).</summary>
    public long NocBytes { get; init; }

    /// <summary>Bytes over the host link (both directions).</summary>
    public long PcieBytes { get; init; }
}

/// <summary>
/// Loads a program onto a card and runs it. Every stream gets its engine; the control CPU's streams start
/// <c>launchOverhead</c> after time 0 and start the others with <c>launch</c>; a program without a cpu stream
/// starts every stream at that time. Engines reach the sync unit and the memory fabric only through links.
/// </summary>
public static class ProgramRunner
{
    /// <summary>Builds the card for <paramref name="program"/>; with <paramref name="data"/> (functional mode) the engines also compute values.</summary>
    public static ProgramModel Build(CardParameters p, AkpProgram program, string programName, bool timeline = false, Functional.FunctionalMemory? data = null)
    {
        if (program.Streams.Count == 0)
        {
            throw new UserInputException($"{programName}: the program has no stream");
        }

        ProgramChecks.Check(p, program, programName);
        var sim = new Simulator();
        var clocks = new List<ClockDomain>(p.Chips);
        for (int c = 0; c < p.Chips; c++)
        {
            clocks.Add(new ClockDomain(sim, "chip" + c.ToString(CultureInfo.InvariantCulture) + ".core", p.ClockHz));
        }

        var timing = new EngineTimingParams(p.SpuRows, p.SpuCols, p.SpuPipelineLatency, p.Bf16RateDivisor, p.VpuLanes, p.VpuPipelineLatency,
            p.VpuGatherPerCycle, p.CodecCyclesPerMacroblock, p.CodecEntropyBitsPerCycle, p.CodecCyclesPerJpegMcu)
        {
            VpuOpCycles = p.VpuOpCycles,
            VpuBf16Factor = p.VpuBf16Factor,
            SfaFunctions = p.SfaFunctions,
            Codec = p.Codec,
        };
        var dmaParams = new DmaParams(p.DmaBurstBytes, p.DmaMaxOutstanding, p.DmaEffectiveSetupCycles);
        bool hasCpu = false;
        foreach (EngineStream s in program.Streams)
        {
            hasCpu |= s.Engine.Kind == EngineKind.Cpu;
        }

        var engines = new List<EngineCore>(program.Streams.Count);
        var movers = new List<DmaEngine>();
        var index = new Dictionary<EngineId, int>();
        for (int e = 0; e < program.Streams.Count; e++)
        {
            EngineId id = program.Streams[e].Engine;
            string name = EngineName(id);
            ClockDomain clock = clocks[id.Chip];
            EngineCore engine;
            switch (id.Kind)
            {
                case EngineKind.Spu:
                    engine = new SpuEngine(sim, name, id, e, clock, p.SpuModel);
                    break;
                case EngineKind.Vpu:
                    engine = new VpuEngine(sim, name, id, e, clock, timing);
                    break;
                case EngineKind.Sfa:
                    engine = new SfaEngine(sim, name, id, e, clock, timing);
                    break;
                case EngineKind.Codec:
                    engine = new CodecEngine(sim, name, id, e, clock, timing);
                    break;
                default:
                    {
                        EngineId self = id;
                        var dma = new DmaEngine(sim, name, id, e, clock, dmaParams, packed => ProgramChecks.Resolve(MemRef.Unpack(packed), self).Pack());
                        movers.Add(dma);
                        engine = dma;
                        break;
                    }
            }

            index[id] = e;
            bool autoStart = !hasCpu || id.Kind == EngineKind.Cpu;
            engine.Load(program.Streams[e].Code, autoStart, p.LaunchOverheadPs);
            engine.Data = data;
            engines.Add(engine);
        }

        foreach (EngineCore engine in engines)
        {
            if (engine.Id.Kind == EngineKind.Cpu)
            {
                engine.LaunchResolver = packed => index[EngineId.Unpack(packed)];
            }
        }

        var names = new List<string>(engines.Count);
        var chipOf = new List<int>(engines.Count);
        foreach (EngineCore engine in engines)
        {
            names.Add(engine.Id.ToString());
            chipOf.Add(engine.Id.Chip);
        }

        var sync = new SyncUnit(sim, "card.sync", p.Chips, chipOf, names);
        var syncLink = new LinkTiming(p.SyncLatencyPs, p.CrossbarBytesPerSecond, 64);
        foreach (EngineCore engine in engines)
        {
            Link<SyncRequest>.Connect(sim, engine.Name + ".link.sync", engine.SyncPort, sync.RequestPort(engine.Index), syncLink);
            Link<SyncGrant>.Connect(sim, engine.Name + ".link.grant", sync.GrantPort(engine.Index), engine.GrantPort, syncLink);
        }

        // One sync unit per cluster with engines, for cluster-local (c:) tokens, control.clusterSyncLatency away from
        // the cluster's engines; the cpu has no cluster and no link to one.
        var clusterSync = new (SyncUnit Unit, int Local)?[engines.Count];
        var clusterLink = new LinkTiming(p.ClusterSyncLatencyPs, p.CrossbarBytesPerSecond, 64);
        for (int c = 0; c < p.Chips; c++)
        {
            for (int k = 0; k < p.Clusters; k++)
            {
                var members = new List<EngineCore>();
                foreach (EngineCore engine in engines)
                {
                    if (engine.Id.Kind != EngineKind.Cpu && engine.Id.Chip == c && engine.Id.Cluster == k)
                    {
                        members.Add(engine);
                    }
                }

                if (members.Count == 0)
                {
                    continue;
                }

                var memberNames = new List<string>(members.Count);
                foreach (EngineCore engine in members)
                {
                    memberNames.Add(engine.Id.ToString());
                }

                string name = string.Create(CultureInfo.InvariantCulture, $"chip{c}.cluster{k}.sync");
                var unit = new SyncUnit(sim, name, 1, new int[members.Count], memberNames);
                for (int i = 0; i < members.Count; i++)
                {
                    EngineCore engine = members[i];
                    Link<SyncRequest>.Connect(sim, engine.Name + ".link.clusterSync", engine.ClusterSyncPort, unit.RequestPort(i), clusterLink);
                    Link<SyncGrant>.Connect(sim, engine.Name + ".link.clusterGrant", unit.GrantPort(i), engine.ClusterGrantPort, clusterLink);
                    clusterSync[engine.Index] = (unit, i);
                }
            }
        }

        if (movers.Count > 0)
        {
            var fabricParams = Fabric(p);
            var fabric = new MemoryFabric(sim, "card.fabric", fabricParams, movers.Count, p.DmaMaxOutstanding);
            var request = new LinkTiming(0, p.CrossbarBytesPerSecond, p.DmaMaxOutstanding);
            for (int m = 0; m < movers.Count; m++)
            {
                Link<MemCopy>.Connect(sim, movers[m].Name + ".link.mem", movers[m].MemPort, fabric.RequestPort(m), request);
                Link<MemResponse>.Connect(sim, movers[m].Name + ".link.memDone", fabric.ResponsePort(m), movers[m].MemDonePort, request);
            }
        }

        Reporting.TimelineSampler? sampler = timeline ? new Reporting.TimelineSampler(sim) : null;
        sim.Start();
        return new ProgramModel(sim, p, engines, sync, clocks) { Timeline = sampler, ClusterSync = clusterSync };
    }

    /// <summary>Runs to the end; a deadlock, the watchdog or the event limit ends it with a report.</summary>
    public static ProgramSummary Run(ProgramModel model, ulong maxCycles, ulong maxEvents, TextWriter? progress = null)
    {
        Simulator sim = model.Sim;
        ClockDomain clock = model.Clocks[0];
        ulong limitPs = maxCycles == ulong.MaxValue ? ulong.MaxValue : clock.EdgeTime(maxCycles);
        StopReason reason = RunWithProgress(sim, limitPs, maxEvents, progress);
        if (reason == StopReason.TimeLimit)
        {
            throw new SimulationStoppedException(Report(model, string.Create(CultureInfo.InvariantCulture,
                $"watchdog: the run reached {model.CycleLimitName ?? "--max-cycles " + maxCycles.ToString(CultureInfo.InvariantCulture)} (t = {sim.Now} ps) before every engine finished"), running: true));
        }

        if (reason == StopReason.EventLimit)
        {
            throw new SimulationStoppedException(Report(model, string.Create(CultureInfo.InvariantCulture,
                $"the run reached --max-events {maxEvents} at t = {sim.Now} ps (cycle {clock.CycleAtOrBefore(sim.Now)}) before every engine finished"), running: true));
        }

        foreach (EngineCore e in model.Engines)
        {
            if (e.State != EngineState.Finished)
            {
                throw new SimulationStoppedException(Report(model, string.Create(CultureInfo.InvariantCulture,
                    $"deadlock at t = {sim.Now} ps (cycle {clock.CycleAtOrBefore(sim.Now)}): no event is pending but engines have not finished"), running: false));
            }
        }

        sim.Finish();
        ulong end = 0;
        var rows = new List<EngineRow>(model.Engines.Count);
        foreach (EngineCore e in model.Engines)
        {
            end = Math.Max(end, e.FinishTimePs);
            rows.Add(new EngineRow(e.Id.ToString(), Value(sim, e.Name + ".instructions"), Value(sim, e.Name + ".busyCycles"),
                (ulong)Value(sim, e.Name + ".waitTime"), e.FinishTimePs));
        }

        long dram = 0;
        long noc = 0;
        long pcie = 0;
        foreach (Stats.Statistic stat in sim.Stats.All)
        {
            if (stat is not Stats.Counter c || !stat.Name.EndsWith(".bytes", StringComparison.Ordinal))
            {
                continue;
            }

            if (stat.Name.EndsWith(".dram.bytes", StringComparison.Ordinal))
            {
                dram += c.Value;
            }
            else if (stat.Name.Contains(".noc.ring", StringComparison.Ordinal))
            {
                noc += c.Value;
            }
            else if (stat.Name.StartsWith("card.hostLink.", StringComparison.Ordinal))
            {
                pcie += c.Value;
            }
        }

        return new ProgramSummary(model.Parameters.Sku, model.Parameters.Chips, end, clock.CycleAtOrAfter(end), model.Parameters.ClockHz, sim.EventsExecuted, rows)
        {
            DramBytes = dram,
            NocBytes = noc,
            PcieBytes = pcie,
        };
    }

    /// <summary>
    /// The memory fabric's numbers: SRAM banks (ports × bytes per cycle per port each, latency in core cycles rounded
    /// up to ps), crossbar ports, ring links at min(width × NoC clock, credits × width / (2 × hop latency)), the
    /// chips' links to the on-card switch and the host link at its effective PCIe bandwidth.
    /// </summary>
    public static FabricParams Fabric(CardParameters p)
    {
        static ulong Ps(ulong cycles, ulong hz) => (ulong)(((UInt128)cycles * 1_000_000_000_000UL + hz - 1) / hz);
        var l1 = new SramBanks(p.L1Banks, p.L1WordBytes, p.L1BytesPerCycle / (p.L1Banks * p.L1WordBytes), p.ClockHz, Ps((ulong)p.L1LatencyCycles, p.ClockHz));
        var l2 = new SramBanks(p.L2Banks, p.L2WordBytes, p.L2BytesPerCycle / (p.L2Banks * p.L2WordBytes), p.ClockHz, Ps((ulong)p.L2LatencyCycles, p.ClockHz));
        ulong nocClockHz = p.NocBytesPerSecond / p.NocLinkWidthBytes;
        ulong ring = RingTopology.LinkBytesPerSecond(p.NocLinkWidthBytes, nocClockHz, p.NocCredits, p.NocHopLatencyPs);
        return new FabricParams(p.Chips, p.Clusters, p.SpusPerCluster,
            new ResourceSpec(p.DramBytesPerSecondPerInterface, p.DramLatencyPs), l2, l1,
            new ResourceSpec(p.CrossbarBytesPerSecond, p.CrossbarLatencyPs),
            new ResourceSpec(ring, p.NocHopLatencyPs),
            new ResourceSpec(p.ChipLinkBytesPerSecond, p.ChipLinkLatencyPs),
            new ResourceSpec(p.HostLinkBytesPerSecond, p.HostLinkLatencyPs))
        {
            DramDevice = p.DramDevice,
        };
    }

    /// <summary>
    /// Runs in slices of a million events; when a run lasts longer than a second of wall time, prints one plain
    /// progress line per second to <paramref name="progress"/> (events, simulated time, speed). Output of the
    /// simulation does not depend on it.
    /// </summary>
    public static StopReason RunWithProgress(Simulator sim, ulong limitPs, ulong maxEvents, TextWriter? progress)
    {
        if (progress is null)
        {
            return sim.Run(limitPs, maxEvents);
        }

        var wall = System.Diagnostics.Stopwatch.StartNew();
        double nextReport = 1.0;
        ulong left = maxEvents;
        while (true)
        {
            ulong slice = Math.Min(left, 1_000_000UL);
            StopReason reason = sim.Run(limitPs, slice);
            if (left != ulong.MaxValue)
            {
                left -= Math.Min(left, slice);
            }

            if (reason != StopReason.EventLimit || left == 0)
            {
                return reason;
            }

            double seconds = wall.Elapsed.TotalSeconds;
            if (seconds >= nextReport)
            {
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"antoum: {sim.EventsExecuted / 1e6:0.0} M events, simulated {sim.Now / 1e9:0.000} ms, {sim.EventsExecuted / seconds / 1e6:0.0} M events/s"));
                nextReport = seconds + 1.0;
            }
        }
    }

    /// <summary>
    /// Statistics name of an engine: chip, cluster, engine, e.g. <c>chip0.cluster1.spu3</c>, <c>chip0.cpu</c>; DMA channel 0
    /// is <c>chip0.cluster1.dma</c>, channel C &gt; 0 <c>chip0.cluster1.dmaC</c>.
    /// </summary>
    public static string EngineName(EngineId id)
    {
        string chip = "chip" + id.Chip.ToString(CultureInfo.InvariantCulture);
        return id.Kind switch
        {
            EngineKind.Cpu => chip + ".cpu",
            EngineKind.Spu => string.Create(CultureInfo.InvariantCulture, $"{chip}.cluster{id.Cluster}.spu{id.Unit}"),
            EngineKind.Dma when id.Unit > 0 => string.Create(CultureInfo.InvariantCulture, $"{chip}.cluster{id.Cluster}.dma{id.Unit}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"{chip}.cluster{id.Cluster}.{id.Kind.ToString().ToLowerInvariant()}"),
        };
    }

    private static long Value(Simulator sim, string stat)
    {
        return sim.Stats.Find(stat) is Stats.Counter c ? c.Value : 0;
    }

    private static string Report(ProgramModel model, string headline, bool running)
    {
        var sb = new StringBuilder(headline);
        foreach (EngineCore e in model.Engines)
        {
            string? blocked = model.BlockedOn(e.Index);
            string line = e.State switch
            {
                EngineState.Waiting => $"{e.Id} waits for {blocked ?? "a sync grant in flight"} at instruction {e.Pc}",
                EngineState.Idle => $"{e.Id} was never launched",
                EngineState.Running when running => string.Create(CultureInfo.InvariantCulture,
                    $"{e.Id} still running at instruction {e.Pc} of {e.CodeLength}"),
                EngineState.Running => $"{e.Id} is stuck inside instruction {e.Pc}",
                _ => string.Empty,
            };
            if (line.Length > 0)
            {
                sb.Append("\n  ").Append(line);
            }
        }

        return sb.ToString();
    }
}
