using System.Globalization;
using Antoum.Sim.Bench;

namespace Antoum.Sim.Cli;

/// <summary><c>antoum bench</c>: the event-kernel hold-model benchmark against .NET's PriorityQueue.</summary>
internal static class BenchCommand
{
    /// <summary>Target ratio of the kernel's queue over the PriorityQueue baseline, at every size and distribution.</summary>
    public const double TargetRatio = 1.2;

    public static void Run(IReadOnlyList<int> sizes, int repetitions, double seconds, TextWriter stdout, TextWriter stderr)
    {
        var options = new HoldModelOptions
        {
            Sizes = sizes,
            Repetitions = repetitions,
            TargetSecondsPerRepetition = seconds,
        };
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"antoum bench: hold model, {repetitions} timed repetitions per figure (median), {Environment.ProcessorCount} cores, .NET {Environment.Version}"));
        HoldModelReport report = HoldModelBenchmark.Run(options, stderr);
        stdout.Write(report.Format());
        bool met = true;
        foreach (HoldModelRow row in report.Rows)
        {
            if (row.Ratio < TargetRatio)
            {
                met = false;
            }
        }

        stdout.WriteLine(met
            ? string.Create(CultureInfo.InvariantCulture, $"target met: EventQueue >= {TargetRatio}x PriorityQueue at every size and distribution")
            : string.Create(CultureInfo.InvariantCulture, $"target NOT met: EventQueue < {TargetRatio}x PriorityQueue somewhere (see the Ratio column)"));
    }
}
