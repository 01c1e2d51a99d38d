using System.CommandLine;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Cli;

/// <summary>
/// <c>antoum plot OUT/</c>: redraws OUT/plots/*.svg and *.png and OUT/report.html from the folder's output files
/// (timeline.csv, and layers.csv, power.csv, summary.json when present) without re-simulating;
/// <c>antoum plot sweep.csv</c> (or a sweep's folder) draws the sweep's Pareto and sensitivity charts.
/// </summary>
internal static class PlotCommand
{
    internal static Command Build(TextWriter stdout)
    {
        var folder = new Argument<string>("folder") { Description = "A finished run's output folder (with timeline.csv; layers.csv, power.csv and summary.json are used when present), or a sweep's sweep.csv (or its folder)." };
        var cmd = new Command("plot", "Draw the charts (utilization, bandwidth, power, energy breakdown, layers, roofline) as SVG and PNG into FOLDER/plots/ and write FOLDER/report.html, from the folder's files, without re-simulating; or a sweep's charts.")
        {
            folder,
        };
        cmd.SetAction(parse =>
        {
            string dir = parse.GetValue(folder)!;
            string? sweepCsv = File.Exists(dir) && dir.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? dir
                : !File.Exists(Path.Combine(dir, "timeline.csv")) && File.Exists(Path.Combine(dir, Sweep.SweepRunner.CsvName)) ? Path.Combine(dir, Sweep.SweepRunner.CsvName) : null;
            if (sweepCsv is not null)
            {
                WriteSweepPlots(sweepCsv, stdout);
                return Program.ExitOk;
            }

            foreach ((string name, byte[] bytes) in Plots.RenderFolder(PlotInputs.FromFolder(dir)))
            {
                string path = Path.Combine(dir, name);
                OutputFolder.WriteFileAtomically(path, bytes);
                stdout.WriteLine(path);
            }

            return Program.ExitOk;
        });
        return cmd;
    }

    /// <summary>Draws a sweep.csv's charts into plots/ beside it (see <see cref="Sweep.SweepPlots"/>).</summary>
    internal static void WriteSweepPlots(string csvPath, TextWriter stdout)
    {
        SortedDictionary<string, string> svgs = Sweep.SweepPlots.Render(File.ReadAllText(csvPath), csvPath);
        string plots = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(csvPath))!, "plots");
        Directory.CreateDirectory(plots);
        foreach ((string name, string svg) in svgs)
        {
            Sweep.AtomicFile.Write(Path.Combine(plots, name), svg);
            stdout.WriteLine(Path.Combine(plots, name));
        }
    }
}
