using System.Diagnostics;
using System.Globalization;
using System.Text;
using NUnit.Framework;

namespace Antoum.Tests.Determinism;

/// <summary>
/// Same inputs → byte-identical outputs: across two runs, across output folders, under other cultures (in process,
/// and as a separate process with LANG/LC_ALL and TZ set) — and no host path or date in any output file.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Determinism")]
public class DeterminismTests
{
    private string _temp = string.Empty;

    [SetUp]
    public void CreateFolder()
    {
        _temp = Path.Combine(Path.GetTempPath(), "antoum-determinism", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
    }

    [TearDown]
    public void DeleteFolder()
    {
        Directory.Delete(_temp, recursive: true);
    }

    public static IEnumerable<TestCaseData> Cases() => OutputCases.All.Select(c => new TestCaseData(c.Name).SetName("Determinism(" + c.Name + ")"));

    [Test]
    public void TheTestCulturesReallyFormatDifferently()
    {
        // Guards the tests below: if the machine had no culture data (invariant globalization), they would prove nothing.
        Assert.That((1.5).ToString(CultureInfo.GetCultureInfo("de-DE")), Is.EqualTo("1,5"));
        Assert.That("i".ToUpper(CultureInfo.GetCultureInfo("tr-TR")), Is.EqualTo("\u0130"));
    }

    [TestCaseSource(nameof(Cases))]
    public void OutputsAreIdenticalAcrossRunsFoldersAndCultures(string name)
    {
        OutputCases.Case c = OutputCases.All.Single(x => x.Name == name);
        string a = Path.Combine(_temp, "a");
        string b = Path.Combine(_temp, "other", "place", "b");
        string d = Path.Combine(_temp, "d");
        Run(c, a, CultureInfo.InvariantCulture);
        Run(c, b, CultureInfo.GetCultureInfo("de-DE"));
        Run(c, d, CultureInfo.GetCultureInfo("tr-TR"));
        SortedDictionary<string, byte[]> first = OutputCases.ReadTree(a);
        Assert.That(first, Is.Not.Empty, "the case wrote no file");
        string problems = OutputCases.Compare(first, OutputCases.ReadTree(b), "de-DE, another folder")
            + OutputCases.Compare(first, OutputCases.ReadTree(d), "tr-TR, a second run");
        Assert.That(problems, Is.Empty);
        AssertNoHostDetails(first, a);
    }

    /// <summary>
    /// The program as a separate process, as a user runs it, with the locale and time zone of three places: the
    /// outputs must be the same bytes.
    /// </summary>
    [Test]
    public void OutputsAreIdenticalUnderOtherLocalesAndTimeZones()
    {
        string dll = AntoumDll();
        (string Label, string Lang, string Tz)[] envs =
        [
            ("C/UTC", "C.UTF-8", "UTC"),
            ("de_DE/Pacific-Chatham", "de_DE.UTF-8", "Pacific/Chatham"),
            ("tr_TR/America-St_Johns", "tr_TR.UTF-8", "America/St_Johns"),
        ];
        string[] names = ["run-gemm-small-s10", "run-tiny-net-s4", "layers-gemm-suite-ws"];
        var problems = new StringBuilder();
        foreach (string name in names)
        {
            OutputCases.Case c = OutputCases.All.Single(x => x.Name == name);
            SortedDictionary<string, byte[]>? reference = null;
            foreach ((string label, string lang, string tz) in envs)
            {
                string outDir = Path.Combine(_temp, name, label);
                Directory.CreateDirectory(outDir);
                var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = OutputCases.Root, RedirectStandardOutput = true, RedirectStandardError = true };
                psi.ArgumentList.Add(dll);
                foreach (string arg in c.Args)
                {
                    psi.ArgumentList.Add(arg.Replace("{out}", outDir, StringComparison.Ordinal));
                }

                psi.Environment["LANG"] = lang;
                psi.Environment["LC_ALL"] = lang;
                psi.Environment["TZ"] = tz;
                psi.Environment.Remove("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT");
                using Process p = Process.Start(psi)!;
                Task<string> err = p.StandardError.ReadToEndAsync();
                _ = p.StandardOutput.ReadToEnd();
                Assert.That(p.WaitForExit(120_000), Is.True, $"{name} under {label}: still running after 120 s");
                Assert.That(p.ExitCode, Is.EqualTo(0), $"{name} under {label}: {err.Result}");
                SortedDictionary<string, byte[]> tree = OutputCases.ReadTree(outDir);
                AssertNoHostDetails(tree, outDir);
                if (reference is null)
                {
                    reference = tree;
                }
                else
                {
                    problems.Append(OutputCases.Compare(reference, tree, $"{name} under {label}"));
                }
            }
        }

        Assert.That(problems.ToString(), Is.Empty);
    }

    [Test]
    [Category("Long")]
    public void ValidateTableIsIdenticalAcrossRunsAndCultures()
    {
        var c = new OutputCases.Case("validate-anchor", ["validate", "--anchor-only", "--out", "{out}/validation.csv"]);
        string a = Path.Combine(_temp, "a");
        string b = Path.Combine(_temp, "b");
        Run(c, a, CultureInfo.InvariantCulture);
        Run(c, b, CultureInfo.GetCultureInfo("de-DE"));
        Assert.That(OutputCases.Compare(OutputCases.ReadTree(a), OutputCases.ReadTree(b), "validate"), Is.Empty);
    }

    private static void Run(OutputCases.Case c, string outDir, CultureInfo culture)
    {
        (int code, string err) = OutputCases.RunInProcess(c, outDir, culture);
        Assert.That(code, Is.EqualTo(0), $"{c.Name} ({culture.Name}): {err}");
    }

    /// <summary>No output mentions where it was written, where the repository is, the temporary folder or today.</summary>
    private static void AssertNoHostDetails(SortedDictionary<string, byte[]> tree, string outDir)
    {
        string today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string yesterday = DateTime.UtcNow.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string[] forbidden = [outDir, OutputCases.Root, Path.GetTempPath().TrimEnd('/'), today, yesterday, Environment.MachineName];
        foreach ((string name, byte[] bytes) in tree)
        {
            if (name.EndsWith(".png", StringComparison.Ordinal))
            {
                continue; // compressed pixels: any short string can occur by chance; PNGs carry no text chunks
            }

            string text = Encoding.UTF8.GetString(bytes);
            foreach (string f in forbidden)
            {
                Assert.That(text, Does.Not.Contain(f), $"{name} contains '{f}' (a host path, the machine name or a date)");
            }
        }
    }

    /// <summary>The command-line program of the same build as this test assembly.</summary>
    internal static string AntoumDll()
    {
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        string dll = Path.Combine(OutputCases.Root, "sim", "bin", configuration, "net10.0", "antoum.dll");
        Assert.That(File.Exists(dll), Is.True, $"{dll} not found: build the solution first");
        return dll;
    }
}
