using System.CommandLine;
using System.Globalization;
using System.Reflection;
using System.Text;
using Antoum.Isa;
using Antoum.Sim.Bench;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;
using Antoum.Sim.Workloads;

namespace Antoum.Sim.Cli;

/// <summary>The command tree of <c>antoum</c>: run, config show, config reference, workloads, bench.</summary>
internal static class Commands
{
    public static string Version =>
        typeof(Commands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RootCommand Build(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(
            "AntoumSim: a cycle-approximate discrete-event simulator of the Antoum sparse inference chip and its " +
            "S4 / S10 / S30 cards. Run 'antoum COMMAND --help' for each command's options.");
        root.Subcommands.Add(BuildRun(args, stdout, stderr));
        root.Subcommands.Add(BuildConfig(stdout));
        root.Subcommands.Add(BuildWorkloads(stdout));
        root.Subcommands.Add(BuildAsm(stdout));
        root.Subcommands.Add(BuildDisasm(stdout));
        root.Subcommands.Add(BuildBench(stdout, stderr));
        root.Subcommands.Add(ValidateCommand.Build(stdout, stderr));
        root.Subcommands.Add(LayersCommand.Build(stdout));
        root.Subcommands.Add(CompileCommand.Build(stdout));
        root.Subcommands.Add(PlotCommand.Build(stdout));
        root.Subcommands.Add(DiffCommand.Build(stdout));
        root.Subcommands.Add(SweepCommand.Build(stdout, stderr));
        root.Subcommands.Add(PowerFitCommand.Build(stdout, stderr));
        return root;
    }

    private static Option<string> SkuOption() => new("--sku")
    {
        Description = "SKU to simulate: S4 (1 chip), S10 (2 chips) or S30 (3 chips). Ignored when --config is given.",
        DefaultValueFactory = _ => "S4",
    };

    private static Option<string?> ConfigFileOption() => new("--config")
    {
        Description = "A configuration JSON file to use instead of the SKU's shipped one (see docs/configuration.md).",
    };

    private static Option<string[]> SetOption() => new("--set")
    {
        Description = "Override a configuration value: --set path=value, repeatable, e.g. --set chip.spu.rows=32 --set dram.bandwidth=41GB/s.",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.OneOrMore,
    };

    private static Command BuildRun(string[] args, TextWriter stdout, TextWriter stderr)
    {
        Option<string> sku = SkuOption();
        Option<string?> configFile = ConfigFileOption();
        Option<string[]> set = SetOption();
        var workload = new Option<string>("--workload", "-w")
        {
            Description = "Workload to run: video-analytics or jpeg-classify (decode -> resize -> classify pipelines, see docs/codec.md), a shipped network or ByteMLPerf task name (resnet50, bert-base, resnet50-torch-fp32, ...; compiled on the fly), a layer-graph .json, a SCALE-Sim topology .csv, a built-in GEMM stream (gemm-small, gemm-1k, mlp) or gemm:MxNxK. See 'antoum workloads'.",
            DefaultValueFactory = _ => BuiltInWorkloads.Default,
        };
        var batch = new Option<int>("--batch", "-b")
        {
            Description = "Samples per run; split over the card's chips.",
            DefaultValueFactory = _ => 1,
        };
        var outDir = new Option<string>("--out", "-o")
        {
            Description = "Output folder for summary.json and stats.txt (written atomically).",
            DefaultValueFactory = _ => "out",
        };
        var maxEvents = new Option<ulong>("--max-events")
        {
            Description = "Stop with an error after this many events (bounds a run's cost). Default: no limit.",
            DefaultValueFactory = _ => ulong.MaxValue,
        };
        var maxTime = new Option<string?>("--max-time")
        {
            Description = "Stop with an error when simulated time passes this, with units, e.g. 10ms (network and program runs: the core clock cycles in it, as --max-cycles).",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "Print nothing on success but the output folder." };
        var plots = new Option<bool>("--plots") { Description = "Also write the charts (utilization, bandwidth, power, energy breakdown; layers and roofline for networks) as SVG and PNG to OUT/plots/ and a self-contained OUT/report.html, drawn from the run's output files (antoum plot OUT/ redraws them)." };
        var trace = new Option<bool>("--trace") { Description = "Also write OUT/trace.json (Chrome trace-event format, opens in Perfetto): a track per engine with its instruction spans, counters for bandwidth, utilization and power; spans are merged pairwise past a fixed budget (network, program and built-in GEMM runs; GEMM: a track per MAC array with its matmul chunks and operand waits; pipelines: a track per decoder unit, per cluster's preprocess and for the classifier batches)." };
        (Option<bool> functional, Option<ulong> seed) = FunctionalOptions.Create();
        var program = new Option<string?>("--program", "-p")
        {
            Description = "Run a kernel program (.akp, or .s assembly) instead of a workload; every stream runs on its engine.",
        };
        var mode = new Option<string?>("--mode")
        {
            Description = "Partition mode for a network workload: perCluster (one model instance per cluster), split (one model over the chip's clusters) or broadcast. Default: the compiler's choice for the network.",
        };
        var scenario = new Option<string>("--scenario")
        {
            Description = "Network workloads: single (default: one batch from an idle card, host copies and launch exposed) or offline (MLPerf Offline steady state: harness.offlineBatches batches back to back, the next batch's input streamed over PCIe while the chip computes; throughput from the interval between batch completions). See docs/validation.md.",
            DefaultValueFactory = _ => "single",
        };
        var maxCycles = new Option<ulong>("--max-cycles")
        {
            Description = "Watchdog: stop with a report when the chip clock passes this many cycles (ends runaway loops). Default: no limit.",
            DefaultValueFactory = _ => ulong.MaxValue,
        };
        maxCycles.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<ulong>() == 0)
            {
                r.AddError("--max-cycles: must be at least 1 (got 0)");
            }
        });

        var cmd = new Command("run", "Simulate a SKU on a workload (a network, compiled on the fly; a built-in GEMM stream) or a program: print a one-screen summary and write summary.json, stats.txt, blocks.csv (and layers.csv for networks) to --out.")
        {
            sku, configFile, set, workload, batch, mode, scenario, program, outDir, maxEvents, maxCycles, maxTime, quiet, plots, trace, functional, seed,
        };
        var pipeline = new PipelineCommand();
        pipeline.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            ResolvedConfig config = LoadConfig(parse.GetValue(sku)!, parse.GetValue(configFile), parse.GetValue(set));
            string? programPath = parse.GetValue(program);
            RunScenario runScenario = ThroughputMeasurement.Parse(parse.GetValue(scenario)!);
            string workloadArg = parse.GetValue(workload)!;
            if (runScenario != RunScenario.Single && (programPath is not null || PipelineCommand.IsPipeline(workloadArg) || BuiltInWorkloads.IsBuiltIn(workloadArg)))
            {
                throw new UserInputException("--scenario offline: applies to network workloads only (not to --program, pipelines or built-in GEMM streams)");
            }

            if (runScenario != RunScenario.Single && parse.GetValue(functional))
            {
                throw new UserInputException("--scenario offline: the offline scenario is timing-only; --functional runs one batch");
            }

            Functional.FunctionalRequest? request = FunctionalOptions.Request(parse.GetValue(functional), parse.GetValue(seed), programPath, parse.GetValue(workload)!);
            if (programPath is not null)
            {
                (ulong programCycles, string? programLimit) = RunLimitOptions.CyclesWithin(parse.GetValue(maxCycles), parse.GetValue(maxTime), config);
                return RunProgram(args, config, programPath, parse.GetValue(outDir)!, programCycles, parse.GetValue(maxEvents), parse.GetValue(quiet), parse.GetValue(plots), parse.GetValue(trace), stdout, stderr, programLimit);
            }

            string workloadName = parse.GetValue(workload)!;
            if (PipelineCommand.IsPipeline(workloadName))
            {
                return pipeline.Run(args, config, workloadName, parse, parse.GetValue(outDir)!, parse.GetValue(maxEvents), parse.GetValue(quiet), parse.GetValue(plots), parse.GetValue(trace), stdout, stderr);
            }

            if (!BuiltInWorkloads.IsBuiltIn(workloadName))
            {
                int nb = parse.GetValue(batch);
                if (nb <= 0)
                {
                    throw new UserInputException($"--batch: must be a positive number of samples (got {nb})");
                }

                string? m = parse.GetValue(mode);
                (ulong networkCycles, string? networkLimit) = RunLimitOptions.CyclesWithin(parse.GetValue(maxCycles), parse.GetValue(maxTime), config);
                return RunNetwork(args, config, workloadName, nb, m is null ? null : ParseMode(m),
                    parse.GetValue(outDir)!, networkCycles, parse.GetValue(maxEvents), parse.GetValue(quiet), parse.GetValue(plots), parse.GetValue(trace), stdout, stderr, request, networkLimit, runScenario);
            }

            GemmWorkload w = BuiltInWorkloads.Resolve(workloadName);
            int b = parse.GetValue(batch);
            if (b <= 0)
            {
                throw new UserInputException($"--batch: must be a positive number of samples (got {b})");
            }

            ulong maxTimePs = ulong.MaxValue;
            string? maxTimeText = parse.GetValue(maxTime);
            if (maxTimeText is not null)
            {
                try
                {
                    maxTimePs = Duration.Parse(maxTimeText).Picoseconds;
                }
                catch (FormatException e)
                {
                    throw new UserInputException("--max-time: " + e.Message);
                }
            }

            string target = parse.GetValue(outDir)!;
            using OutputFolder output = OutputFolder.Begin(target);
            var wall = System.Diagnostics.Stopwatch.StartNew();
            CardModel model = CardBuilder.Build(CardParameters.FromConfig(config.Config), w, b, timeline: true);
            List<TraceTrack>? gemmTracks = parse.GetValue(trace) ? TraceJson.Attach(model.Arrays) : null;
            RunSummary summary = CardRun.Run(model, w, b, new RunLimits(parse.GetValue(maxEvents), maxTimePs));
            wall.Stop();
            var prov = new RunProvenance(Version, CommandLineFor(args), config, w.Name, w.Description);
            Power.PowerReport power = EstimatePower(model.Sim.Stats, summary.SimulatedPs, model.Parameters, b, model.Timeline);
            string summaryJson = SummaryWriter.ToJson(summary, prov, power);
            output.Write("summary.json", summaryJson);
            output.Write("power.csv", power.ToCsv());
            output.Write("stats.txt", StatsHeader(prov) + model.Sim.Stats.FormatText(model.Sim.Now));
            output.Write("config.txt", config.FormatTree());
            output.Write("blocks.csv", BlocksCsv.Format(model.Sim.Stats, summary.SimulatedPs));
            string gemmTimeline = WriteTimeline(output, model.Timeline!, power, null, parse.GetValue(plots), summaryJson);
            if (gemmTracks is not null)
            {
                output.Write("trace.json", TraceJson.Format(gemmTracks, gemmTimeline, w.Name, summary.Sku));
            }

            output.Commit();
            if (parse.GetValue(quiet))
            {
                stdout.WriteLine(target);
            }
            else
            {
                stdout.Write(SummaryWriter.ToConsole(summary, prov));
                stdout.Write(UtilizationLine(model.Sim.Stats, summary.SimulatedPs));
                stdout.Write(power.ToConsoleLine());
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  wall time       {wall.Elapsed.TotalSeconds:0.000} s ({summary.Events / Math.Max(wall.Elapsed.TotalSeconds, 1e-9) / 1e6:0.0} M events/s)"));
                stdout.WriteLine($"  output          {target}/ (summary.json, stats.txt, blocks.csv, timeline.csv, power.csv{(parse.GetValue(plots) ? ", plots/, report.html" : string.Empty)}{(parse.GetValue(trace) ? ", trace.json" : string.Empty)})");
            }

            return Program.ExitOk;
        });
        return cmd;
    }

    private static Command BuildConfig(TextWriter stdout)
    {
        Option<string> sku = SkuOption();
        Option<string?> configFile = ConfigFileOption();
        Option<string[]> set = SetOption();
        var show = new Command("show", "Print the resolved configuration tree of a SKU, each value with its provenance (stated, derived, assumed, calibration, override, default).")
        {
            sku, configFile, set,
        };
        show.SetAction(parse =>
        {
            ResolvedConfig config = LoadConfig(parse.GetValue(sku)!, parse.GetValue(configFile), parse.GetValue(set));
            stdout.Write(config.FormatTree());
            return Program.ExitOk;
        });

        var reference = new Command("reference", "Print the configuration reference (every key, unit, default and provenance) as Markdown; docs/config-reference.md is this output.");
        reference.SetAction(_ =>
        {
            stdout.Write(ConfigReference.Generate());
            return Program.ExitOk;
        });

        return new Command("config", "Inspect configurations.") { show, reference };
    }

    private static Command BuildWorkloads(TextWriter stdout)
    {
        var cmd = new Command("workloads", "List the shipped networks and the built-in GEMM streams.");
        cmd.SetAction(_ =>
        {
            foreach (GemmWorkload w in BuiltInWorkloads.All)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{w.Name,-12} {w.Description} ({w.MacsPerSample / 1e6:0.#} M MACs per sample)"));
            }

            stdout.WriteLine("gemm:MxNxK   one MxNxK INT8 GEMM per sample (M rows per sample)");
            stdout.WriteLine("video-analytics  pipeline: --streams x 1080p video decode -> resize 224x224 -> resnet50 (docs/codec.md)");
            stdout.WriteLine("jpeg-classify    pipeline: JPEG decode (--images) -> resize 224x224 -> resnet50 (docs/codec.md)");
            stdout.WriteLine();
            stdout.WriteLine("Networks (traces/*.json; compile with 'antoum compile', see docs/workloads.md):");
            foreach (Antoum.Firmware.Workloads.WorkloadGraph g in Antoum.Firmware.Workloads.Networks.All)
            {
                string aliases = g.Aliases.Count == 0 ? string.Empty : " (also " + string.Join(", ", g.Aliases) + ")";
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{g.Name,-18} {Antoum.Firmware.Workloads.LayerMath.TotalMacs(g) / 1e9,7:0.00} GMACs/sample, {g.Layers.Count,3} layers, input {g.Input}{aliases}"));
            }
            return Program.ExitOk;
        });
        return cmd;
    }

    private static Command BuildBench(TextWriter stdout, TextWriter stderr)
    {
        var sizes = new Option<string>("--sizes")
        {
            Description = "Pending-event counts P of the hold model, comma-separated.",
            DefaultValueFactory = _ => "1000,10000,100000",
        };
        var reps = new Option<int>("--repetitions")
        {
            Description = "Timed repetitions per figure (the median is reported); at least 5 for recorded figures.",
            DefaultValueFactory = _ => 5,
        };
        var seconds = new Option<double>("--seconds")
        {
            Description = "Target wall time of one repetition, seconds.",
            DefaultValueFactory = _ => 0.3,
        };
        var cmd = new Command("bench", "Measure the event kernel: hold model at several queue sizes and delay distributions, against .NET's PriorityQueue in the same run.")
        {
            sizes, reps, seconds,
        };
        cmd.SetAction(parse =>
        {
            var list = new List<int>();
            foreach (string part in parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p <= 0 || p > 10_000_000)
                {
                    throw new UserInputException($"--sizes: '{part}' is not a queue size between 1 and 10000000");
                }

                list.Add(p);
            }

            int r = parse.GetValue(reps);
            if (r < 1)
            {
                throw new UserInputException("--repetitions: must be at least 1");
            }

            double s = parse.GetValue(seconds);
            if (!(s > 0) || s > 60)
            {
                throw new UserInputException("--seconds: must be between 0 and 60");
            }

            BenchCommand.Run(list, r, s, stdout, stderr);
            return Program.ExitOk;
        });
        return cmd;
    }

    private static int RunNetwork(string[] args, ResolvedConfig config, string name, int batch, Antoum.Firmware.Compiler.PartitionMode? mode, string target, ulong maxCycles, ulong maxEvents, bool quiet, bool plots, bool trace, TextWriter stdout, TextWriter stderr, Functional.FunctionalRequest? functional = null, string? cycleLimitName = null, RunScenario scenario = RunScenario.Single)
    {
        Antoum.Firmware.Workloads.WorkloadGraph graph = CompileCommand.ResolveWorkload(name);
        using OutputFolder output = OutputFolder.Begin(target);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        List<TraceTrack>? tracks = null;
        NetworkRunResult result = NetworkRun.Run(CardParameters.FromConfig(config.Config), graph, batch, mode, maxCycles, maxEvents, quiet ? null : stderr, timeline: true, functional,
            beforeRun: m =>
            {
                m.CycleLimitName = cycleLimitName;
                tracks = trace ? TraceJson.Attach(m.Engines) : null;
            }, scenario);
        wall.Stop();
        ThroughputMeasurement throughput = result.Throughput;
        ProgramSummary summary = result.Summary;
        var prov = new RunProvenance(Version, CommandLineFor(args), config, graph.Name, graph.Description);
        Antoum.Firmware.Compiler.CompileReport report = result.Compiled.Report;
        Power.PowerReport power = EstimatePower(result.Model.Sim.Stats, summary.SimulatedPs, result.Model.Parameters, (long)batch * throughput.Batches, result.Model.Timeline);
        string summaryJson = ProgramReport.ToJson(summary, prov, NetworkFactsFor(result.Model.Parameters, batch, report) with { Throughput = throughput }, power, result.Functional);
        output.Write("summary.json", summaryJson);
        output.Write("power.csv", power.ToCsv());
        output.Write("stats.txt", StatsHeader(prov) + result.Model.Sim.Stats.FormatText(result.Model.Sim.Now));
        output.Write("config.txt", config.FormatTree());
        output.Write("blocks.csv", BlocksCsv.Format(result.Model.Sim.Stats, summary.SimulatedPs));
        string layersCsv = LayersCsv.Format(result.Layers);
        output.Write("layers.csv", layersCsv);
        string timelineCsv = WriteTimeline(output, result.Model.Timeline!, power, layersCsv, plots, summaryJson);
        if (tracks is not null)
        {
            output.Write("trace.json", TraceJson.Format(tracks, timelineCsv, graph.Name, summary.Sku));
        }

        output.Write("compile-report.txt", report.ToText());
        if (result.Compiled.Tensors is { } tensors)
        {
            output.Write("tensors.csv", tensors.ToCsv());
        }

        output.Commit();
        int exit = result.Functional is { Pass: false } ? Program.ExitFunctionalMismatch : Program.ExitOk;
        if (quiet)
        {
            stdout.WriteLine(target);
            return exit;
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        double seconds = summary.SimulatedPs / 1e12;
        var sb = new StringBuilder();
        sb.Append(c, $"AntoumSim {prov.ProgramVersion}  {summary.Sku} ({summary.Chips} chip{(summary.Chips == 1 ? string.Empty : "s")})  {graph.Name}  batch {batch}  {Antoum.Firmware.Compiler.CompileReport.ModeName(report.Mode)}\n");
        sb.Append(c, $"  config          {config.Source}  hash {config.Hash[..12]}\n");
        sb.Append(c, $"  compiled        {report.Layers.Count} layers, {report.Instructions:N0} instructions in {report.Streams} streams, {report.TotalMacs / 1e9:0.##} G MACs\n");
        if (throughput.Scenario == RunScenario.Offline)
        {
            sb.Append(c, $"  scenario        offline: {throughput.Batches} batches back to back, inputs streamed ahead into {result.Model.Parameters.InputBuffers} DRAM buffers; first batch done at {throughput.CompletionPs[0] / 1e9:0.000} ms, run {seconds * 1e3:0.000} ms ({summary.Cycles:N0} cycles at {summary.ClockHz / 1e6:0.###} MHz)\n");
            sb.Append(c, $"  throughput      {throughput.SamplesPerSecond:N1} samples/s (steady state: {throughput.MeasuredLast} x {batch} samples / {(throughput.CompletionPs[throughput.MeasuredLast] - throughput.CompletionPs[0]) / 1e9:0.000} ms between the completions of batches 0 and {throughput.MeasuredLast}, {throughput.IntervalPs / 1e9:0.000} ms per batch; the last {throughput.Batches - throughput.MeasuredLast - 1} batch(es) drain unmeasured)\n");
        }
        else
        {
            sb.Append(c, $"  latency         {seconds * 1e3:0.000} ms per batch ({summary.Cycles:N0} cycles at {summary.ClockHz / 1e6:0.###} MHz)\n");
            sb.Append(c, $"  throughput      {throughput.SamplesPerSecond:N1} samples/s (scenario single: one batch from an idle card, batch / run time; --scenario offline for the steady state)\n");
        }
        sb.Append(c, $"  traffic         DRAM {summary.DramBytes / 1e6:N1} MB, NoC {summary.NocBytes / 1e6:N1} MB, PCIe host {summary.PcieBytes / 1e6:N1} MB\n");
        sb.Append(UtilizationLine(result.Model.Sim.Stats, summary.SimulatedPs));
        sb.Append(power.ToConsoleLine());
        sb.Append(result.Functional?.ToConsoleLine());
        var slowest = new List<LayerRow>(result.Layers);
        slowest.Sort((x, y) => y.Cycles != x.Cycles ? y.Cycles.CompareTo(x.Cycles) : string.CompareOrdinal(x.Layer, y.Layer));
        sb.Append("  slowest layers  ");
        for (int i = 0; i < Math.Min(5, slowest.Count); i++)
        {
            sb.Append(c, $"{slowest[i].Layer} {slowest[i].Cycles:N0} cyc ({slowest[i].Bottleneck})  ");
        }

        sb.Append('\n');
        sb.Append(c, $"  events          {summary.Events:N0}, wall time {wall.Elapsed.TotalSeconds:0.000} s\n");
        sb.Append(c, $"  output          {target}/ (summary.json, layers.csv, blocks.csv, timeline.csv, power.csv, stats.txt, config.txt, compile-report.txt{(result.Functional is null ? string.Empty : ", tensors.csv")}{(plots ? ", plots/, report.html" : string.Empty)}{(trace ? ", trace.json" : string.Empty)})\n");
        stdout.Write(sb.ToString());
        return exit;
    }

    private static int RunProgram(string[] args, ResolvedConfig config, string programPath, string target, ulong maxCycles, ulong maxEvents, bool quiet, bool plots, bool trace, TextWriter stdout, TextWriter stderr, string? cycleLimitName = null)
    {
        AkpProgram program = ProgramFiles.Load(programPath);
        using OutputFolder output = OutputFolder.Begin(target);
        ProgramModel model = ProgramRunner.Build(CardParameters.FromConfig(config.Config), program, programPath, timeline: true);
        List<TraceTrack>? tracks = trace ? TraceJson.Attach(model.Engines) : null;
        model.CycleLimitName = cycleLimitName;
        ProgramSummary summary = ProgramRunner.Run(model, maxCycles, maxEvents, quiet ? null : stderr);
        string name = Path.GetFileName(programPath);
        var prov = new RunProvenance(Version, CommandLineFor(args), config, name, $"kernel program {name} ({program.Streams.Count} streams)");
        Power.PowerReport power = EstimatePower(model.Sim.Stats, summary.SimulatedPs, model.Parameters, 1, model.Timeline);
        string summaryJson = ProgramReport.ToJson(summary, prov, null, power);
        output.Write("summary.json", summaryJson);
        output.Write("power.csv", power.ToCsv());
        output.Write("stats.txt", StatsHeader(prov) + model.Sim.Stats.FormatText(model.Sim.Now));
        output.Write("config.txt", config.FormatTree());
        output.Write("blocks.csv", BlocksCsv.Format(model.Sim.Stats, summary.SimulatedPs));
        string timelineCsv = WriteTimeline(output, model.Timeline!, power, null, plots, summaryJson);
        if (tracks is not null)
        {
            output.Write("trace.json", TraceJson.Format(tracks, timelineCsv, name, summary.Sku));
        }

        output.Commit();
        stdout.Write(quiet ? target + "\n" : ProgramReport.ToConsole(summary, prov) + UtilizationLine(model.Sim.Stats, summary.SimulatedPs) + power.ToConsoleLine() + $"  output          {target}/ (summary.json, stats.txt, blocks.csv, timeline.csv, power.csv{(plots ? ", plots/, report.html" : string.Empty)}{(trace ? ", trace.json" : string.Empty)})\n");
        return Program.ExitOk;
    }

    private static Command BuildAsm(TextWriter stdout)
    {
        var input = new Argument<string>("source") { Description = "Assembly file (.s)." };
        var output = new Option<string?>("--output", "-o") { Description = "Program file to write (.akp); default: the source name with .akp." };
        var cmd = new Command("asm", "Assemble a kernel program (.s) into a binary program container (.akp). See docs/isa.md.") { input, output };
        cmd.SetAction(parse =>
        {
            string source = parse.GetValue(input)!;
            string target = parse.GetValue(output) ?? Path.ChangeExtension(source, ".akp");
            AkpProgram program = ProgramFiles.Assemble(source);
            ProgramFiles.WriteAtomically(target, AkpContainer.Write(program));
            int instructions = 0;
            foreach (EngineStream s in program.Streams)
            {
                instructions += s.Code.Length;
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target}: {program.Streams.Count} streams, {instructions} instructions"));
            return Program.ExitOk;
        });
        return cmd;
    }

    private static Command BuildDisasm(TextWriter stdout)
    {
        var input = new Argument<string>("program") { Description = "Program file (.akp)." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the assembly to this file instead of the console." };
        var cmd = new Command("disasm", "Disassemble a program container (.akp) to assembly text that re-assembles to the identical binary.") { input, output };
        cmd.SetAction(parse =>
        {
            AkpProgram program = ProgramFiles.Load(parse.GetValue(input)!);
            string text = Disassembler.Disassemble(program);
            string? target = parse.GetValue(output);
            if (target is null)
            {
                stdout.Write(text);
            }
            else
            {
                ProgramFiles.WriteAtomically(target, Encoding.UTF8.GetBytes(text));
            }

            return Program.ExitOk;
        });
        return cmd;
    }

    /// <summary>Writes timeline.csv and, when asked, the plots and report.html drawn from the folder's files.</summary>
    private static string WriteTimeline(OutputFolder output, TimelineSampler timeline, Power.PowerReport power, string? layersCsv, bool plots, string? summaryJson = null)
    {
        string csv = TimelineCsv.Format(timeline, power.BinWatts);
        output.Write("timeline.csv", csv);
        if (plots)
        {
            foreach ((string name, byte[] bytes) in Plots.RenderFolder(new PlotInputs(csv, layersCsv, power.ToCsv(), summaryJson)))
            {
                output.Write(name, bytes);
            }
        }

        return csv;
    }

    /// <summary>--mode of <c>run</c>: a bad name is the user's error (exit code 2), not a compiler failure.</summary>
    private static Antoum.Firmware.Compiler.PartitionMode ParseMode(string text)
    {
        try
        {
            return Antoum.Firmware.Compiler.Compiler.ParseMode(text);
        }
        catch (Antoum.Firmware.Compiler.CompileException e)
        {
            throw new UserInputException("--mode: " + e.Message);
        }
    }

    private static ResolvedConfig LoadConfig(string sku, string? file, string[]? sets)
    {
        return ConfigLoader.Load(file ?? sku, sets ?? []);
    }

    /// <summary>The command line as recorded in outputs: the --out value is replaced by &lt;out&gt; so outputs
    /// do not depend on where they were written.</summary>
    public static string CommandLineFor(string[] args)
    {
        var sb = new StringBuilder("antoum");
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            sb.Append(' ');
            if ((a == "--out" || a == "-o") && i + 1 < args.Length)
            {
                sb.Append(a).Append(" <out>");
                i++;
                continue;
            }

            if (a.StartsWith("--out=", StringComparison.Ordinal))
            {
                sb.Append("--out=<out>");
                continue;
            }

            sb.Append(a.Contains(' ', StringComparison.Ordinal) || a.Length == 0 ? "\"" + a + "\"" : a);
        }

        return sb.ToString();
    }

    /// <summary>The power estimate of a finished run with the default energy table (a program run counts as one sample).</summary>
    private static Power.PowerReport EstimatePower(Stats.StatRegistry stats, ulong elapsedPs, CardParameters p, long samples, TimelineSampler? timeline = null)
    {
        var ctx = new Power.PowerContext(p.Chips, p.Chips * p.Clusters, p.VpuLanes, p.TdpMilliwatts);
        return Power.PowerModel.Estimate(stats, elapsedPs, ctx, samples, Power.EnergyTable.Load(), timeline);
    }

    private static NetworkFacts NetworkFactsFor(CardParameters p, int batch, Antoum.Firmware.Compiler.CompileReport report)
    {
        return new NetworkFacts(batch, Antoum.Firmware.Compiler.CompileReport.ModeName(report.Mode), report.TotalMacs, report.Instructions)
        {
            PeakOpsPerSecond = 2.0 * p.Chips * p.SpusPerChip * p.SpuRows * p.SpuCols * p.ClockHz,
            DramBytesPerSecond = (double)p.Chips * p.Clusters * p.DramBytesPerSecondPerInterface,
        };
    }

    private static string UtilizationLine(Stats.StatRegistry stats, ulong elapsedPs)
    {
        var sb = new StringBuilder("  busy by block   ");
        foreach ((string kind, int count, double u) in BlocksCsv.ByKind(stats, elapsedPs))
        {
            sb.Append(CultureInfo.InvariantCulture, $"{kind} {u * 100:0.0}% (x{count})  ");
        }

        return sb.ToString().TrimEnd() + "\n";
    }

    private static string StatsHeader(RunProvenance prov)
    {
        return $"# AntoumSim {prov.ProgramVersion} statistics\n# command: {prov.CommandLine}\n# config: {prov.Config.Source} sha256 {prov.Config.Hash}\n# workload: {prov.WorkloadName}\n";
    }
}
