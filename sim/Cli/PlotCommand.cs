using System.CommandLine;
using System.Text;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Cli;

/// <summary><c>antoum plot OUT/</c>: redraws OUT/plots/*.svg from OUT/timeline.csv (and OUT/layers.csv) without simulating;
/// <c>antoum plot sweep.csv</c> (or a sweep's folder) draws the sweep's Pareto and sensitivity charts.</summary>
internal static class PlotCommand
{
    internal static Command Build(TextWriter stdout)
    {
        var folder = new Argument<string>("folder") { Description = "A finished run's output folder (with timeline.csv; layers.csv is used when present), or a sweep's sweep.csv (or its folder)." };
        var cmd = new Command("plot", "Draw utilization.svg, bandwidth.svg (and layers.svg) into FOLDER/plots/ from the folder's timeline.csv and layers.csv, without re-simulating.")
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

            string timelinePath = Path.Combine(dir, "timeline.csv");
            if (!File.Exists(timelinePath))
            {
                throw new UserInputException($"{timelinePath}: not found (run 'antoum run' with a network or a program first)");
            }

            string layersPath = Path.Combine(dir, "layers.csv");
            string? layers = File.Exists(layersPath) ? File.ReadAllText(layersPath) : null;
            SortedDictionary<string, string> svgs = Plots.Render(File.ReadAllText(timelinePath), layers, timelinePath, layersPath);
            string plots = Path.Combine(dir, "plots");
            Directory.CreateDirectory(plots);
            foreach ((string name, string svg) in svgs)
            {
                File.WriteAllText(Path.Combine(plots, name), svg, new UTF8Encoding(false));
                stdout.WriteLine(Path.Combine(plots, name));
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
