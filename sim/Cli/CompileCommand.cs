using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;

namespace Antoum.Sim.Cli;

/// <summary><c>antoum compile</c>: a workload graph → a partitioned, tiled program (.akp) plus a compile report.</summary>
internal static class CompileCommand
{
    internal static Command Build(TextWriter stdout)
    {
        var workload = new Option<string>("--workload", "-w")
        {
            Description = "Workload: a layer-graph JSON file, or a built-in name (" + string.Join(", ", SyntheticGraphs.Names) + ").",
            Required = true,
        };
        var sku = new Option<string>("--sku") { Description = "SKU to compile for: S4, S10 or S30. Ignored when --config is given.", DefaultValueFactory = _ => "S4" };
        var configFile = new Option<string?>("--config") { Description = "A configuration JSON file to use instead of the SKU's shipped one." };
        var batch = new Option<int>("--batch", "-b") { Description = "Samples per run; split over the chips, then (perCluster) over the clusters.", DefaultValueFactory = _ => 1 };
        var mode = new Option<string?>("--mode")
        {
            Description = "Partition: perCluster (one model instance per cluster), split (each layer over all clusters) or broadcast (same input, weights split). Default: split for transformers, perCluster otherwise.",
        };
        var output = new Option<string>("--output", "-o") { Description = "Program file to write (.akp).", Required = true };
        var report = new Option<string?>("--report") { Description = "Write the compile report to this file (.csv: CSV, else text)." };
        var cmd = new Command("compile", "Compile a workload graph into a program for 'antoum run --program' (see docs/compiler.md).")
        {
            workload, sku, configFile, batch, mode, output, report,
        };
        cmd.SetAction(parse =>
        {
            ResolvedConfig config = ConfigLoader.Load(parse.GetValue(configFile) ?? parse.GetValue(sku)!, []);
            CompileTarget target = CompilerTarget.From(CardParameters.FromConfig(config.Config));
            WorkloadGraph graph = ResolveWorkload(parse.GetValue(workload)!);
            int b = parse.GetValue(batch);
            if (b <= 0)
            {
                throw new UserInputException($"--batch: must be a positive number of samples (got {b})");
            }

            // An unwritable -o or --report fails before the compile, and before the program is written.
            ProgramFiles.CheckWritable(parse.GetValue(output)!);
            if (parse.GetValue(report) is string reportTarget)
            {
                ProgramFiles.CheckWritable(reportTarget);
            }

            CompileResult result;
            try
            {
                string? m = parse.GetValue(mode);
                var options = new CompileOptions { Mode = m is null ? null : Compiler.ParseMode(m) };
                result = Compiler.Compile(graph, b, target, options);
            }
            catch (CompileException e)
            {
                throw new UserInputException("compile: " + e.Message);
            }

            string target1 = parse.GetValue(output)!;
            ProgramFiles.WriteAtomically(target1, AkpContainer.Write(result.Program));
            string? reportPath = parse.GetValue(report);
            if (reportPath is not null)
            {
                string text = reportPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? result.Report.ToCsv() : result.Report.ToText();
                ProgramFiles.WriteAtomically(reportPath, Encoding.UTF8.GetBytes(text));
            }

            CompileReport r = result.Report;
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{target1}: {graph.Name} on {r.Sku}, batch {r.Batch}, {CompileReport.ModeName(r.Mode)}: {r.Streams} streams, {r.Instructions} instructions, {r.Layers.Count} layers, {r.TotalTiles} tiles, {r.TotalMacs / 1e9:0.###} G MACs"));
            return Program.ExitOk;
        });
        return cmd;
    }

    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>
    /// The one place a network workload is resolved: a shipped network or ByteMLPerf alias (traces/, see
    /// docs/workloads.md), a .json layer graph, a SCALE-Sim topology .csv, or one of the compiler's synthetic test
    /// graphs. Bad files and unknown names are user errors naming the file, the JSON path or the known names.
    /// </summary>
    internal static WorkloadGraph ResolveWorkload(string nameOrFile)
    {
        WorkloadGraph? synthetic = SyntheticGraphs.TryGet(nameOrFile) ?? Functional.FunctionalWorkloads.TryGet(nameOrFile);
        if (synthetic is not null)
        {
            return synthetic;
        }

        bool isFile = nameOrFile.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || nameOrFile.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrFile);
        if (!isFile && !Networks.All.Any(g => string.Equals(g.Name, nameOrFile, StringComparison.OrdinalIgnoreCase)
            || g.Aliases.Any(a => string.Equals(a, nameOrFile, StringComparison.OrdinalIgnoreCase))))
        {
            throw new UserInputException($"unknown workload '{nameOrFile}': expected a network ({string.Join(", ", Networks.Names)}), "
                + "a ByteMLPerf task name (resnet50-torch-fp32, bert-torch-fp32, ...), a built-in GEMM stream (gemm-small, gemm-1k, mlp, gemm:MxNxK), "
                + "a layer-graph .json or a SCALE-Sim topology .csv; 'antoum workloads' lists them");
        }

        try
        {
            return WorkloadFile.LoadAny(nameOrFile);
        }
        catch (WorkloadException e)
        {
            throw new UserInputException(e.Message);
        }
        catch (FileNotFoundException)
        {
            throw new UserInputException($"{nameOrFile}: file not found");
        }
    }
}
