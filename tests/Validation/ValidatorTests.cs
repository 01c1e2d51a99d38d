using System.Globalization;
using System.Text.Json;
using Antoum.Sim.Validation;
using NUnit.Framework;
using CliProgram = Antoum.Sim.Cli.Program;

namespace Antoum.Tests.Validation;

[TestFixture]
[Category("Quick")]
[Category("Validation")]
public class ValidatorTests
{
    [Test]
    public void ShippedCasesHaveOneAnchorAndSourcedChecks()
    {
        IReadOnlyList<ValidationCase> cases = Validator.LoadCases();
        Assert.That(cases.Count(c => c.IsAnchor), Is.EqualTo(1));
        Assert.That(cases.Single(c => c.IsAnchor).Sku, Is.EqualTo("S4"));
        Assert.That(cases.Single(c => c.IsAnchor).Scenario, Is.EqualTo(Antoum.Sim.Chip.RunScenario.Offline), "MLPerf Offline is a steady-state measurement");
        Assert.That(cases.Where(c => !c.IsAnchor), Has.All.Matches<ValidationCase>(c => c.Scenario == Antoum.Sim.Chip.RunScenario.Single), "ByteMLPerf times one batch at a time");
        Assert.That(cases, Has.All.Matches<ValidationCase>(c => c.Source.Length > 10 && c.Published > 0 && c.Batch > 0));
    }

    [Test]
    public void ValidateReportsTheSameThroughputAsARunAndTheSignedError()
    {
        string dir = Path.Combine(Path.GetTempPath(), "antoum-validate-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string cases = Path.Combine(dir, "cases.json");
            File.WriteAllText(cases, """
                { "anchor": { "name": "test anchor", "sku": "S4", "workload": "mobilenet-v1", "batch": 4, "samplesPerSecond": 1000, "source": "made up for the test" },
                  "checks": [] }
                """);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            string csv = Path.Combine(dir, "v.csv");
            Assert.That(CliProgram.Run(["validate", "--cases", cases, "-o", csv], stdout, stderr), Is.EqualTo(0), stderr.ToString());

            var runOut = new StringWriter();
            string outDir = Path.Combine(dir, "run");
            Assert.That(CliProgram.Run(["run", "--sku", "S4", "--workload", "mobilenet-v1", "--batch", "4", "--out", outDir], runOut, new StringWriter()), Is.EqualTo(0));
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
            double sps = doc.RootElement.GetProperty("results").GetProperty("samplesPerSecond").GetDouble();

            string[] row = File.ReadAllLines(csv)[1].Split(',');
            Assert.That(row[5], Is.EqualTo("single"), "a case without a scenario is the single-batch one");
            double simulated = double.Parse(row[7], CultureInfo.InvariantCulture);
            double error = double.Parse(row[8], CultureInfo.InvariantCulture);
            Assert.That(simulated, Is.EqualTo(sps));
            Assert.That(error, Is.EqualTo(Math.Round((sps - 1000) / 1000 * 100, 3)).Within(0.001));
            Assert.That(stdout.ToString(), Does.Contain("test anchor [anchor]"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void ABrokenCasesFileIsAClearError()
    {
        string file = Path.Combine(Path.GetTempPath(), "antoum-bad-cases-" + Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(file, "{ \"anchor\": {} }");
        try
        {
            var stderr = new StringWriter();
            Assert.That(CliProgram.Run(["validate", "--cases", file], new StringWriter(), stderr), Is.EqualTo(2));
            Assert.That(stderr.ToString(), Does.Contain(file).And.Contain("expected an anchor"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}

[TestFixture]
[Category("Long")]
[Category("Validation")]
public class ValidatorFitTests
{
    [Test]
    public void FitStopsAtNeutralWhenTheUncalibratedModelIsAlreadyFastEnoughAndPrintsTheSetValues()
    {
        string dir = Path.Combine(Path.GetTempPath(), "antoum-fit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            // Published figure far below what the uncalibrated model gives: the fit leaves every parameter neutral.
            string cases = Path.Combine(dir, "cases.json");
            File.WriteAllText(cases, """
                { "anchor": { "name": "slow anchor", "sku": "S4", "workload": "mobilenet-v1", "batch": 4, "samplesPerSecond": 1, "source": "made up for the test" },
                  "checks": [] }
                """);
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            Assert.That(CliProgram.Run(["validate", "--cases", cases, "--fit"], stdout, stderr), Is.EqualTo(0), stderr.ToString());
            string text = stdout.ToString();
            foreach (string neutral in Validator.Neutral())
            {
                Assert.That(text, Does.Contain(neutral));
            }

            Assert.That(text, Does.Contain("slow anchor [anchor]"));
            Assert.That(Validator.Neutral(), Has.Count.EqualTo(Validator.CalibrationParameters.Count));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
