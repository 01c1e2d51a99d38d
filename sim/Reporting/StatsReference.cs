using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Stats;
using Antoum.Sim.Workloads;

namespace Antoum.Sim.Reporting;

/// <summary>
/// <c>docs/stats.md</c>: every statistic the models declare, generated from the statistics registry of an S4 card built
/// for the two run paths (a compiled network, with every engine kind, and the built-in GEMM stream). Instance numbers in
/// names are written N (chip0.cluster3.spu7 → chipN.clusterN.spuN); each name pattern appears once with its kind, unit,
/// meaning and the value lines stats.txt prints for it.
/// </summary>
public static partial class StatsReference
{
    public static string Generate()
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load("S4").Config);
        var rows = new SortedDictionary<string, (string Kind, string Unit, string Meaning, string Paths)>(StringComparer.Ordinal);
        foreach (Antoum.Firmware.Workloads.WorkloadGraph graph in Antoum.Firmware.Workloads.Networks.All)
        {
            // ResNet-50 (SPU, DMA, VPU) and BERT-base (also SFA): together every engine kind a compiled network uses.
            if (graph.Name is "resnet50" or "bert-base")
            {
                Antoum.Firmware.Compiler.CompileResult compiled = Antoum.Firmware.Compiler.Compiler.Compile(graph, 1, CompilerTarget.From(p));
                Collect(ProgramRunner.Build(p, compiled.Program, graph.Name).Sim.Stats, "network/program", rows);
            }
        }

        Collect(CardBuilder.Build(p, BuiltInWorkloads.Resolve("gemm-small"), 1).Sim.Stats, "GEMM stream", rows);

        var sb = new StringBuilder();
        sb.Append("# Statistics reference\n\n");
        sb.Append("Generated from the statistics registry by `StatsReference.Generate` (sim/Reporting/StatsReference.cs); a test keeps\n");
        sb.Append("this file in sync (regenerate with `ANTOUM_REGEN_DOCS=1 dotnet test AntoumSim.sln -c Release --filter \"FullyQualifiedName~StatsReferenceDoc\"`).\n");
        sb.Append("Every line of `stats.txt` is `name value unit # meaning`. Instance numbers are written `N`. Kinds: counter (a count\n");
        sb.Append("over the run), timeWeighted (printed as `.mean` and `.max`), histogram (`.count`, `.mean`, `.min`, `.max`, `.bucket[...]`),\n");
        sb.Append("formula (computed at report time). \"Run path\" says which models declare it: network/program runs (engines, memory\n");
        sb.Append("fabric) or the built-in GEMM stream (control CPU, MAC arrays, DRAM interfaces). The power model reads the counters\n");
        sb.Append("listed in docs/power.md; summary.json field names are documented in docs/reporting.md.\n\n");
        sb.Append("| Statistic | Kind | Unit | Run path | Meaning |\n|---|---|---|---|---|\n");
        foreach ((string name, (string kind, string unit, string meaning, string paths)) in rows)
        {
            sb.Append(CultureInfo.InvariantCulture, $"| `{name}` | {kind} | {unit} | {paths} | {meaning.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }

        return sb.ToString();
    }

    private static void Collect(StatRegistry stats, string path, SortedDictionary<string, (string, string, string, string)> rows)
    {
        foreach (Statistic s in stats.All)
        {
            string name = Instance(s.Name);
            string kind = s.Kind switch
            {
                StatKind.Counter => "counter",
                StatKind.TimeWeighted => "timeWeighted",
                StatKind.Histogram => "histogram",
                _ => "formula",
            };
            if (rows.TryGetValue(name, out (string Kind, string Unit, string Meaning, string Paths) row))
            {
                if (!row.Paths.Contains(path, StringComparison.Ordinal))
                {
                    rows[name] = row with { Paths = row.Paths + ", " + path };
                }

                continue;
            }

            rows[name] = (kind, s.Unit, DottedName().Replace(s.Description, m => Instance(m.Value + ".x")[..^2]), path);
        }
    }

    // Instance numbers: digits after a letter that end a non-final name part (chip0., spu12., ch1.) or sit around "to"
    // (ring0to1); the final part keeps its digits (issuedMacsInt8).
    private static string Instance(string dotted)
    {
        int last = dotted.LastIndexOf('.');
        string head = last < 0 ? string.Empty : dotted[..(last + 1)];
        string tail = last < 0 ? dotted : dotted[(last + 1)..];
        return InstanceDigits().Replace(head, "N") + Ring().Replace(tail, "${a}NtoN");
    }

    [GeneratedRegex(@"(?<=[a-zA-Z]{2})\d+(?=\.|to\d)|(?<=to)\d+(?=\.)")]
    private static partial Regex InstanceDigits();

    [GeneratedRegex(@"(?<a>[a-z])\d+to\d+$")]
    private static partial Regex Ring();

    [GeneratedRegex(@"\b[a-z]+\d*(\.[A-Za-z]+\d*)+\b")]
    private static partial Regex DottedName();
}
