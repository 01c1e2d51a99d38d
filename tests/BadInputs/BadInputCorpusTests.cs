using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;
using CliProgram = Antoum.Sim.Cli.Program;

namespace Antoum.Tests.BadInputs;

/// <summary>
/// Runs every case of <c>tests/bad-inputs/manifest.json</c> through the command-line entry point: exit code 2,
/// nothing on standard output, exactly the expected message on standard error (one message, never a stack
/// trace). <c>ANTOUM_REGEN_BADINPUTS=1</c> rewrites the expected messages from the current program instead
/// (review the diff before committing it). See <c>tests/bad-inputs/README.md</c>.
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("BadInputs")]
public class BadInputCorpusTests
{
    private static bool Regenerate => Environment.GetEnvironmentVariable("ANTOUM_REGEN_BADINPUTS") == "1";

    internal static string Root => Isa.KernelTests.RepoRoot() ?? throw new InvalidOperationException("repository root (AntoumSim.sln) not found above the test binary");

    internal static string CorpusDir => Path.Combine(Root, "tests", "bad-inputs");

    private static string ManifestPath => Path.Combine(CorpusDir, "manifest.json");

    public static IEnumerable<TestCaseData> Cases()
    {
        JsonArray cases = LoadManifest()["cases"]!.AsArray();
        foreach (JsonNode? c in cases)
        {
            string name = c!["name"]!.GetValue<string>();
            yield return new TestCaseData(name).SetName("BadInput(" + name.Replace('.', '_') + ")");
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void CaseExitsWithCodeTwoAndTheExactMessage(string name)
    {
        if (Regenerate)
        {
            Assert.Pass("regeneration mode: see RegenerateExpectedMessages");
        }

        JsonNode c = FindCase(LoadManifest(), name);
        string expected = c["stderr"]?.GetValue<string>() ?? throw new AssertionException($"case '{name}' has no expected 'stderr' (run with ANTOUM_REGEN_BADINPUTS=1)");
        string temp = Path.Combine(Path.GetTempPath(), "antoum-bad-inputs", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(temp);
        try
        {
            (int code, string stdout, string stderr) = RunCase(c, temp);
            Assert.That(code, Is.EqualTo(CliProgram.ExitUser), $"exit code; stderr:\n{stderr}");
            Assert.That(stdout, Is.Empty, "standard output");
            Assert.That(Normalize(stderr, temp), Is.EqualTo(expected), "standard error");
            Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(Directory.GetFileSystemEntries(temp), Is.Empty, "a failed command leaves no output behind");
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    /// <summary>Every file of the corpus is used by at least one case (a file without an expectation tests nothing).</summary>
    [Test]
    public void EveryCorpusFileHasACase()
    {
        string manifest = File.ReadAllText(ManifestPath);
        var missing = new List<string>();
        foreach (string file in Directory.GetFiles(CorpusDir, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(CorpusDir, file).Replace('\\', '/');
            if (rel is "manifest.json" or "README.md" || rel.StartsWith("not-an-output-folder/", StringComparison.Ordinal))
            {
                continue;
            }

            if (!manifest.Contains("{dir}/" + rel + "\"", StringComparison.Ordinal))
            {
                missing.Add(rel);
            }
        }

        Assert.That(missing, Is.Empty, "corpus files that no case of manifest.json uses");
    }

    [Test]
    public void RegenerateExpectedMessages()
    {
        if (!Regenerate)
        {
            Assert.Pass("only with ANTOUM_REGEN_BADINPUTS=1");
        }

        JsonObject doc = LoadManifest();
        var report = new StringBuilder();
        foreach (JsonNode? c in doc["cases"]!.AsArray())
        {
            string temp = Path.Combine(Path.GetTempPath(), "antoum-bad-inputs", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(temp);
            try
            {
                (int code, string stdout, string stderr) = RunCase(c!, temp);
                c!["stderr"] = Normalize(stderr, temp);
                if (code != CliProgram.ExitUser || stdout.Length != 0)
                {
                    report.Append(c["name"]!.GetValue<string>()).Append(": exit ").Append(code).Append(", stdout ").Append(stdout.Length).Append(" chars\n");
                }
            }
            finally
            {
                Directory.Delete(temp, recursive: true);
            }
        }

        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(ManifestPath, doc.ToJsonString(options).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        Assert.That(report.ToString(), Is.Empty, "cases that do not exit with code 2 and an empty standard output");
    }

    internal static JsonObject LoadManifest()
    {
        return JsonNode.Parse(File.ReadAllText(ManifestPath))!.AsObject();
    }

    private static JsonNode FindCase(JsonObject doc, string name)
    {
        foreach (JsonNode? c in doc["cases"]!.AsArray())
        {
            if (c!["name"]!.GetValue<string>() == name)
            {
                return c;
            }
        }

        throw new AssertionException($"no case named '{name}'");
    }

    private static (int Code, string Out, string Err) RunCase(JsonNode c, string temp)
    {
        var args = new List<string>();
        foreach (JsonNode? a in c["args"]!.AsArray())
        {
            args.Add(Expand(a!.GetValue<string>(), temp));
        }

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliProgram.Run([.. args], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Expand(string arg, string temp)
    {
        return arg.Replace("{dir}", CorpusDir, StringComparison.Ordinal)
            .Replace("{repo}", Root, StringComparison.Ordinal)
            .Replace("{out}", Path.Combine(temp, "out"), StringComparison.Ordinal);
    }

    /// <summary>The message with this machine's paths put back as placeholders and line ends as \n.</summary>
    private static string Normalize(string text, string temp)
    {
        return text.Replace("\r\n", "\n", StringComparison.Ordinal)
            .Replace(Path.Combine(temp, "out"), "{out}", StringComparison.Ordinal)
            .Replace(CorpusDir, "{dir}", StringComparison.Ordinal)
            .Replace(Root, "{repo}", StringComparison.Ordinal);
    }
}
