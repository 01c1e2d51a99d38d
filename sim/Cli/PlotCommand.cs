using System.CommandLine;
using System.Text;
using Antoum.Sim.Config;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Cli;

/// <summary><c>antoum plot OUT/</c>: redraws OUT/plots/*.svg from OUT/timeline.csv (and OUT/layers.csv) without simulating.</summary>
internal static class PlotCommand
{
    internal static Command Build(TextWriter stdout)
    {
        var folder = new Argument<string>("folder") { Description = "A finished run's output folder (with timeline.csv; layers.csv is used when present)." };
        var cmd = new Command("plot", "Draw utilization.svg, bandwidth.svg (and layers.svg) into FOLDER/plots/ from the folder's timeline.csv and layers.csv, without re-simulating.")
        {
            folder,
        };
        cmd.SetAction(parse =>
        {
            string dir = parse.GetValue(folder)!;
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
}
