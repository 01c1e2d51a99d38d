using System.CommandLine;
using System.Text;
using Antoum.Sim.Config;
using Antoum.Sim.Validation;

namespace Antoum.Sim.Cli;

/// <summary><c>antoum validate</c>: simulated vs published throughput, as a table (docs/validation.md).</summary>
internal static class ValidateCommand
{
    public static Command Build(TextWriter stdout, TextWriter stderr)
    {
        var anchorOnly = new Option<bool>("--anchor-only") { Description = "Run only the calibration anchor (MLPerf v2.1 S4 ResNet-50)." };
        var outFile = new Option<string?>("--out", "-o") { Description = "Also write the table as CSV to this file (atomically)." };
        var cases = new Option<string?>("--cases") { Description = "Cases file (default: configs/validation/published.json)." };
        var fit = new Option<bool>("--fit") { Description = "Fit the calibration parameters to the anchor only (bisection) and print the fitted values for configs/antoum.json." };
        var set = new Option<string[]>("--set")
        {
            Description = "Override a configuration value in every run: --set path=value, repeatable.",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.OneOrMore,
        };
        var cmd = new Command("validate", "Run the published-figure cases (the calibration anchor and the checks) and print simulated vs published throughput with the error; the anchor also without calibration.")
        {
            anchorOnly, outFile, cases, fit, set,
        };
        cmd.SetAction(parse =>
        {
            IReadOnlyList<ValidationCase> all = Validator.LoadCases(parse.GetValue(cases));
            string[] sets = parse.GetValue(set) ?? [];
            // Bad --set values and an unwritable -o fail now, not after minutes of runs.
            ConfigLoader.Load("S4", sets);
            if (parse.GetValue(outFile) is string csvTarget)
            {
                ProgramFiles.CheckWritable(csvTarget);
            }

            if (parse.GetValue(fit))
            {
                ValidationCase a = all.First(c => c.IsAnchor);
                (List<string> fitted, ValidationRow best) = Validator.Fit(a, stderr, sets);
                stdout.WriteLine($"fitted to {a.Name} (published {a.Published.ToString("N1", System.Globalization.CultureInfo.InvariantCulture)} samples/s):");
                foreach (string f in fitted)
                {
                    stdout.WriteLine($"  {f}");
                }

                stdout.Write(Validator.Format([best]));
                return Program.ExitOk;
            }

            var rows = new List<ValidationRow>();
            foreach (ValidationCase c in all)
            {
                if (parse.GetValue(anchorOnly) && !c.IsAnchor)
                {
                    continue;
                }

                rows.Add(Validator.Run(c, stderr, sets));
                if (c.IsAnchor)
                {
                    ValidationRow raw = Validator.Run(c, stderr, [.. sets, .. Validator.Neutral()]);
                    rows.Add(raw with { Case = c with { Name = c.Name + " (uncalibrated)" } });
                }
            }

            stdout.Write(Validator.Format(rows));
            if (!parse.GetValue(anchorOnly))
            {
                ValidationRow anchor = rows.First(r => r.Case.IsAnchor);
                stdout.WriteLine();
                stdout.WriteLine($"scaling on {anchor.Case.Workload} (batch x chips; stated compute: S10 = 2x S4, S30 = 3x S4):");
                foreach ((string sku, int chips, double sps, double ratio) in Validator.Scaling(anchor.Case, anchor.Simulated, stderr, sets))
                {
                    stdout.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"  {sku,-4} {chips} chip(s)  {sps,12:N1} samples/s  {ratio:0.00}x S4"));
                }
            }
            string? target = parse.GetValue(outFile);
            if (target is not null)
            {
                ProgramFiles.WriteAtomically(target, Encoding.UTF8.GetBytes(Validator.ToCsv(rows)));
            }

            return Program.ExitOk;
        });
        return cmd;
    }
}
