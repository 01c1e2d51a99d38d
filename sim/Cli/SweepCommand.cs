using System.CommandLine;
using System.Globalization;
using Antoum.Sim.Config;
using Antoum.Sim.Sweep;

namespace Antoum.Sim.Cli;

/// <summary><c>antoum sweep</c>: runs a parameter sweep (parallel, resumable, shardable); <c>antoum sweep merge</c> joins shards.</summary>
internal static class SweepCommand
{
    internal static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var specFile = new Argument<string?>("spec")
        {
            Description = "A sweep spec JSON file (grid, explicit points, or seeded random / Latin-hypercube sampling; see docs/sweeps.md). Without it, the sweep is the grid given by --set, --workload, --sku, --batch and --mode.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var set = new Option<string[]>("--set")
        {
            Description = "A swept parameter with its values, repeatable: --set spu.array=16x32,32x32 --set dram.bandwidth=41GB/s,82GB/s (a single value is a fixed override).",
            Arity = ArgumentArity.OneOrMore,
        };
        var workload = new Option<string>("--workload", "-w") { Description = "Networks, comma-separated (without a spec file).", DefaultValueFactory = _ => "resnet50" };
        var sku = new Option<string>("--sku") { Description = "SKUs, comma-separated (without a spec file).", DefaultValueFactory = _ => "S4" };
        var batch = new Option<string>("--batch", "-b") { Description = "Batch sizes, comma-separated (without a spec file).", DefaultValueFactory = _ => "1" };
        var mode = new Option<string?>("--mode") { Description = "Partition modes, comma-separated (without a spec file); default: the compiler's choice." };
        var outDir = new Option<string>("--out", "-o") { Description = "Output folder: sweep.csv, sweep.json, spec.json, sweep.journal (rerun with the same folder to resume).", DefaultValueFactory = _ => "sweep-out" };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Points run at once (default: the number of cores).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var shard = new Option<string?>("--shard") { Description = "Run only shard i of n (0-based, e.g. 2/8): the points whose index % n == i. Join the shard folders with 'antoum sweep merge'." };
        var noCache = new Option<bool>("--no-compile-cache") { Description = "Compile every point anew instead of reusing programs compiled for equal compiler inputs (results are identical)." };
        var plots = new Option<bool>("--plots") { Description = "Also draw the Pareto and sensitivity charts into OUT/plots/ (as 'antoum plot OUT/sweep.csv')." };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No progress output." };
        var stopAfter = new Option<int>("--stop-after") { Description = "Stop after this many newly finished points, leaving the sweep unfinished (for tests of resume).", Hidden = true };

        var cmd = new Command("sweep", "Run a parameter sweep: every point is compiled and simulated in process, --jobs at a time, journaled as it finishes (a killed sweep resumes where it stopped), and written to OUT/sweep.csv in canonical point order.")
        {
            specFile, set, workload, sku, batch, mode, outDir, jobs, shard, noCache, plots, quiet, stopAfter,
        };
        cmd.SetAction(parse =>
        {
            string? file = parse.GetValue(specFile);
            SweepSpec spec;
            if (file is not null)
            {
                if ((parse.GetValue(set)?.Length ?? 0) > 0 || parse.GetResult(workload) is { Implicit: false } || parse.GetResult(sku) is { Implicit: false } ||
                    parse.GetResult(batch) is { Implicit: false } || parse.GetValue(mode) is not null)
                {
                    throw new UserInputException($"{file}: give the sweep either as a spec file or with --set/--workload/--sku/--batch/--mode, not both");
                }

                spec = SweepSpec.Load(file);
            }
            else
            {
                spec = SweepSpec.FromCommandLine(parse.GetValue(set) ?? [], parse.GetValue(workload)!, parse.GetValue(sku)!, parse.GetValue(batch)!, parse.GetValue(mode));
            }

            (int shardIndex, int shardCount) = parse.GetValue(shard) is { } s ? SweepRunner.ParseShard(s) : (0, 1);
            bool q = parse.GetValue(quiet);
            string target = parse.GetValue(outDir)!;
            var options = new SweepRunOptions
            {
                Jobs = parse.GetValue(jobs),
                ShardIndex = shardIndex,
                ShardCount = shardCount,
                CompileCache = !parse.GetValue(noCache),
                Progress = q ? null : stderr,
                Interactive = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected,
                StopAfter = parse.GetValue(stopAfter),
                Header = string.Create(CultureInfo.InvariantCulture,
                    $"sweep {spec.Name}: {spec.Points.Count} points ({spec.Method}; {spec.Workloads.Count} workload(s) x {spec.Skus.Count} SKU(s) x {spec.Batches.Count} batch(es) x {spec.Modes.Count} mode(s) x {spec.Space.Count}){(shardCount > 1 ? $", shard {shardIndex}/{shardCount}" : string.Empty)}, {parse.GetValue(jobs)} job(s), spec {spec.Hash[..12]}"),
            };

            SweepOutcome outcome = SweepRunner.Run(spec, target, options);
            if (!outcome.Complete)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target}: stopped after {outcome.Ran} new point(s); rerun to finish"));
                return Program.ExitOk;
            }

            string csv = Path.Combine(target, SweepRunner.CsvName);
            if (parse.GetValue(plots))
            {
                PlotCommand.WriteSweepPlots(csv, q ? TextWriter.Null : stdout);
            }

            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{csv}: {outcome.Points} points ({outcome.Resumed} from the journal, {outcome.Ran} run now, {outcome.Infeasible} infeasible) in {outcome.Seconds:0.0} s; {(outcome.Ran > 0 ? outcome.Ran / Math.Max(outcome.Seconds, 1e-9) : 0):0.00} points/s; {(options.CompileCache ? outcome.CompileMisses.ToString(CultureInfo.InvariantCulture) + " compile(s)" : "compile cache off")}"));
            return Program.ExitOk;
        });

        var shardDirs = new Argument<string[]>("shards") { Description = "The shard output folders (each with sweep.csv, sweep.json, spec.json).", Arity = ArgumentArity.OneOrMore };
        var mergeOut = new Option<string>("--out", "-o") { Description = "Folder for the joined sweep.csv, sweep.json and spec.json.", DefaultValueFactory = _ => "sweep-out" };
        var merge = new Command("merge", "Join the shard folders of one sweep into one result, byte-identical to running the whole sweep on one machine.")
        {
            shardDirs, mergeOut,
        };
        merge.SetAction(parse =>
        {
            string target = parse.GetValue(mergeOut)!;
            int rows = SweepRunner.Merge(parse.GetValue(shardDirs)!, target);
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.Combine(target, SweepRunner.CsvName)}: {rows} points from {parse.GetValue(shardDirs)!.Length} shard(s)"));
            return Program.ExitOk;
        });
        cmd.Subcommands.Add(merge);
        return cmd;
    }
}
