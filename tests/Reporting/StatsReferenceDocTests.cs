using Antoum.Sim.Reporting;
using NUnit.Framework;

namespace Antoum.Tests.Reporting;

/// <summary>docs/stats.md must equal <see cref="StatsReference.Generate"/>. Set ANTOUM_REGEN_DOCS=1 to rewrite it instead of failing.</summary>
[TestFixture]
[Category("Quick")]
[Category("Reporting")]
public class StatsReferenceDocTests
{
    [Test]
    public void StatsReferenceDoc_IsInSync()
    {
        string? root = null;
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null && root is null; d = d.Parent)
        {
            root = File.Exists(Path.Combine(d.FullName, "AntoumSim.sln")) ? d.FullName : null;
        }

        Assert.That(root, Is.Not.Null, "repository root (AntoumSim.sln) not found above the test binary");
        string docPath = Path.Combine(root!, "docs", "stats.md");
        string expected = StatsReference.Generate();
        if (Environment.GetEnvironmentVariable("ANTOUM_REGEN_DOCS") == "1")
        {
            File.WriteAllText(docPath, expected);
            Assert.That(expected, Does.Contain("`chipN.clusterN.spuN.issuedMacsInt8`").And.Contain("`chipN.clusterN.sfa.elements.exp`"));

            Assert.Pass("rewrote docs/stats.md");
        }

        string actual = File.Exists(docPath) ? File.ReadAllText(docPath).ReplaceLineEndings("\n") : string.Empty;
        Assert.That(actual, Is.EqualTo(expected),
            "docs/stats.md is out of date; regenerate with: ANTOUM_REGEN_DOCS=1 dotnet test AntoumSim.sln -c Release --filter \"FullyQualifiedName~StatsReferenceDoc\"");
    }
}
