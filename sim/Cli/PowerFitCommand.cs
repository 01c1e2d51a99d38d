using System.CommandLine;
using Antoum.Sim.Power;

namespace Antoum.Sim.Cli;

/// <summary><c>antoum power-fit</c>: fits the one card-level power calibration term on the S4 anchor (docs/power.md).</summary>
internal static class PowerFitCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var noChecks = new Option<bool>("--no-checks") { Description = "Fit on the S4 anchor only; skip the S10/S30 check runs." };
        var set = new Option<string[]>("--set")
        {
            Description = "Override a configuration value in every run: --set path=value, repeatable.",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cmd = new Command("power-fit", "Fit the power calibration term card.dynamicOverheadFactor on the S4 ResNet-50 anchor (closed form: the anchor draws card.anchorTdpFraction of the S4 TDP), print it with the uncalibrated and calibrated power, and check S10/S30 (never fitted).")
        {
            noChecks, set,
        };
        cmd.SetAction(parse =>
        {
            EnergyTable table = EnergyTable.Load();
            PowerCalibration.Result r = PowerCalibration.Fit(table, stderr, parse.GetValue(set) ?? [], checks: !parse.GetValue(noChecks));
            stdout.Write(PowerCalibration.Format(r, table));
            return Program.ExitOk;
        });
        return cmd;
    }
}
