using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Config;

/// <summary>docs/config-reference.md must equal <see cref="ConfigReference.Generate"/>. Set ANTOUM_REGEN_DOCS=1
/// to rewrite it instead of failing.</summary>
[TestFixture]
[Category("Quick")]
[Category("Config")]
public class ConfigReferenceDocTests
{
    [Test]
    public void ConfigReferenceDoc_IsInSync()
    {
        string? root = FindRepoRoot();
        if (root is null)
        {
            Assert.Fail("repository root (AntoumSim.sln) not found above the test binary");
            return;
        }

        string docPath = Path.Combine(root, "docs", "config-reference.md");
        string expected = ConfigReference.Generate(ConfigTestFiles.ShippedDir);
        if (Environment.GetEnvironmentVariable("ANTOUM_REGEN_DOCS") == "1")
        {
            File.WriteAllText(docPath, expected);
            Assert.Pass("rewrote docs/config-reference.md");
        }

        string actual = File.Exists(docPath) ? File.ReadAllText(docPath).ReplaceLineEndings("\n") : string.Empty;
        Assert.That(actual, Is.EqualTo(expected),
            "docs/config-reference.md is out of date; regenerate with: ANTOUM_REGEN_DOCS=1 dotnet test -c Release --filter \"FullyQualifiedName~ConfigReferenceDoc\"");
    }

    private static string? FindRepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "AntoumSim.sln")))
            {
                return d.FullName;
            }
        }

        return null;
    }
}
