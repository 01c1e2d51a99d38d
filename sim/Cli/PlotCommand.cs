using System.CommandLine;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Cli;

/// <summary>
/// <c>antoum plot OUT/</c>: redraws OUT/plots/*.svg and *.png and OUT/report.html from the folder's output files
/// (timeline.csv, and layers.csv, power.csv, summary.json when present) without re-simulating.
/// </summary>
internal static class PlotCommand
{
    internal static Command Build(TextWriter stdout)
    {
        var folder = new Argument<string>("folder") { Description = "A finished run's output folder (with timeline.csv; layers.csv, power.csv and summary.json are used when present)." };
        var cmd = new Command("plot", "Draw the charts (utilization, bandwidth, power, energy breakdown, layers, roofline) as SVG and PNG into FOLDER/plots/ and write FOLDER/report.html, from the folder's files, without re-simulating.")
        {
            folder,
        };
        cmd.SetAction(parse =>
        {
            string dir = parse.GetValue(folder)!;
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
}
