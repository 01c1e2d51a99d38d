using Antoum.Isa;
using NUnit.Framework;

namespace Antoum.Tests.Isa;

/// <summary>The example kernels in firmware/kernels assemble and round-trip; docs/isa.md matches the opcode table.</summary>
[TestFixture]
[Category("Quick")]
[Category("Isa")]
public class KernelTests
{
    internal static string? RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "AntoumSim.sln")))
            {
                return d.FullName;
            }
        }

        string? env = Environment.GetEnvironmentVariable("ANTOUM_REPO_ROOT");
        return env is not null && File.Exists(Path.Combine(env, "AntoumSim.sln")) ? env : null;
    }

    internal static string[] KernelTexts()
    {
        string? root = RepoRoot();
        return root is null ? [] : [.. Directory.GetFiles(Path.Combine(root, "firmware", "kernels"), "*.s").Order().Select(File.ReadAllText)];
    }

    [TestCase("gemm_int8_db.s")]
    [TestCase("softmax_vpu.s")]
    [TestCase("spaxpy.s")]
    public void Kernel_Assembles(string name)
    {
        string? root = RepoRoot();
        if (root is null)
        {
            Assert.Fail("repository root (AntoumSim.sln) not found above the test binary");
            return;
        }

        string path = Path.Combine(root, "firmware", "kernels", name);
        AkpProgram p = Assembler.Assemble(File.ReadAllText(path), name);
        Assert.That(p.Streams, Is.Not.Empty);
        IsaRoundTripTests.CheckProgram(p);
    }

    [Test]
    public void IsaDoc_IsInSync()
    {
        string? root = RepoRoot();
        if (root is null)
        {
            Assert.Fail("repository root (AntoumSim.sln) not found above the test binary");
            return;
        }

        string docPath = Path.Combine(root, "docs", "isa.md");
        string doc = File.ReadAllText(docPath).ReplaceLineEndings("\n");
        int begin = doc.IndexOf(IsaReference.BeginMarker, StringComparison.Ordinal);
        int end = doc.IndexOf(IsaReference.EndMarker, StringComparison.Ordinal);
        Assert.That(begin >= 0 && end > begin, "docs/isa.md lacks the generated-section markers");
        string expected = IsaReference.Generate();
        string actual = doc[(begin + IsaReference.BeginMarker.Length + 1)..end];
        if (Environment.GetEnvironmentVariable("ANTOUM_REGEN_DOCS") == "1")
        {
            File.WriteAllText(docPath, doc[..(begin + IsaReference.BeginMarker.Length + 1)] + expected + doc[end..]);
            Assert.Pass("rewrote docs/isa.md");
        }

        Assert.That(actual, Is.EqualTo(expected),
            "docs/isa.md is out of date; regenerate with: ANTOUM_REGEN_DOCS=1 dotnet test -c Release --filter \"FullyQualifiedName~IsaDoc\"");
    }
}
