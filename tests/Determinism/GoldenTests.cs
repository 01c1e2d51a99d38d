using System.Globalization;
using NUnit.Framework;

namespace Antoum.Tests.Determinism;

/// <summary>
/// Golden regression tests: the outputs of a few small runs (<see cref="OutputCases.All"/>) are pinned byte for byte
/// in <c>tests/golden/CASE/</c>. A difference fails the test with the first differing line. When a change of the
/// models or of a report is intended, regenerate deliberately with
/// <c>ANTOUM_REGEN_GOLDEN=1 dotnet test AntoumSim.sln -c Release --filter "FullyQualifiedName~GoldenTests"</c> and give
/// the reason in the commit message (tests/golden/README.md).
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Golden")]
public class GoldenTests
{
    private static bool Regenerate => Environment.GetEnvironmentVariable("ANTOUM_REGEN_GOLDEN") == "1";

    private static string GoldenDir => Path.Combine(OutputCases.Root, "tests", "golden");

    public static IEnumerable<TestCaseData> Cases() => OutputCases.All.Select(c => new TestCaseData(c.Name).SetName("Golden(" + c.Name + ")"));

    [TestCaseSource(nameof(Cases))]
    public void OutputsMatchTheGoldenFiles(string name)
    {
        OutputCases.Case c = OutputCases.All.Single(x => x.Name == name);
        string temp = Path.Combine(Path.GetTempPath(), "antoum-golden", Guid.NewGuid().ToString("N"));
        try
        {
            (int code, string err) = OutputCases.RunInProcess(c, temp, CultureInfo.InvariantCulture);
            Assert.That(code, Is.EqualTo(0), err);
            var actual = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
            foreach ((string file, byte[] bytes) in OutputCases.ReadTree(temp))
            {
                if (OutputCases.IsPinned(file))
                {
                    actual[file] = bytes;
                }
            }

            string expectedDir = Path.Combine(GoldenDir, name);
            if (Regenerate)
            {
                if (Directory.Exists(expectedDir))
                {
                    Directory.Delete(expectedDir, recursive: true);
                }

                foreach ((string file, byte[] bytes) in actual)
                {
                    string path = Path.Combine(expectedDir, file);
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, bytes);
                }

                Assert.Pass($"regenerated {expectedDir}");
            }

            Assert.That(Directory.Exists(expectedDir), Is.True, $"{expectedDir} missing: run with ANTOUM_REGEN_GOLDEN=1 (tests/golden/README.md)");
            string problems = OutputCases.Compare(OutputCases.ReadTree(expectedDir), actual, name);
            Assert.That(problems, Is.Empty,
                "outputs differ from tests/golden; if the change is intended, regenerate with ANTOUM_REGEN_GOLDEN=1 and give the reason in the commit (tests/golden/README.md)");
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    /// <summary>Every folder in tests/golden belongs to a case (a renamed case must not leave stale files behind).</summary>
    [Test]
    public void EveryGoldenFolderHasACase()
    {
        foreach (string dir in Directory.GetDirectories(GoldenDir))
        {
            string name = Path.GetFileName(dir);
            if (name == "inputs")
            {
                continue;
            }

            Assert.That(OutputCases.All.Any(c => c.Name == name), Is.True, $"tests/golden/{name} has no case in OutputCases.All");
        }
    }
}
