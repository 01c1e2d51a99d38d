using System.Text.Json;
using NUnit.Framework;

namespace Antoum.Tests.Cli;

[TestFixture]
[Category("Quick")]
[Category("Cli")]
public class ProgramCliTests : CliTestBase
{
    private const string Kernel = ".const N = 4096\n.engine dma.0\n copy l2[0], dram[0], N\n signal t0\n.engine vpu.0\n wait t0\n vop relu, l2[0x2000], l2[0], l2[0], N, int8\n";

    [Test]
    public void AsmDisasmAsmGivesTheIdenticalBinary()
    {
        string source = Write("k.s", Kernel);
        string akp = Path.Combine(Dir, "k.akp");
        Assert.That(Run("asm", source, "-o", akp).Code, Is.EqualTo(0));
        string again = Path.Combine(Dir, "again.s");
        Assert.That(Run("disasm", akp, "-o", again).Code, Is.EqualTo(0));
        string akp2 = Path.Combine(Dir, "k2.akp");
        Assert.That(Run("asm", again, "-o", akp2).Code, Is.EqualTo(0));
        Assert.That(File.ReadAllBytes(akp2), Is.EqualTo(File.ReadAllBytes(akp)));
    }

    [Test]
    public void RunProgramWritesASummaryWithEveryEngine()
    {
        string source = Write("k.s", Kernel);
        string akp = Path.Combine(Dir, "k.akp");
        Assert.That(Run("asm", source, "-o", akp).Code, Is.EqualTo(0));
        string outDir = Path.Combine(Dir, "out");
        (int code, string stdout, string stderr) = Run("run", "--program", akp, "--sku", "S10", "--out", outDir);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("dma.0").And.Contain("vpu.0"));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        JsonElement engines = doc.RootElement.GetProperty("results").GetProperty("engines");
        Assert.That(engines.GetArrayLength(), Is.EqualTo(2));
        Assert.That(doc.RootElement.GetProperty("provenance").GetProperty("workload").GetString(), Is.EqualTo("k.akp"));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "stats.txt")), Does.Contain("chip0.cluster0.dram.bytes"));

        // The same program from its source gives the same results.
        string outDir2 = Path.Combine(Dir, "out2");
        Assert.That(Run("run", "--program", source, "--sku", "S10", "--out", outDir2).Code, Is.EqualTo(0));
        using JsonDocument doc2 = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir2, "summary.json")));
        Assert.That(doc2.RootElement.GetProperty("results").GetRawText(), Is.EqualTo(doc.RootElement.GetProperty("results").GetRawText()));
    }

    [Test]
    public void DeadlockEndsWithCodeTwoAndTheReportAndNoOutputFolder()
    {
        string source = Write("dead.s", ".engine spu.1.2\n wait t9\n");
        string outDir = Path.Combine(Dir, "out");
        (int code, _, string stderr) = Run("run", "--program", source, "--out", outDir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("deadlock").And.Contain("spu.1.2 waits for token t9"));
        Assert.That(Directory.Exists(outDir), Is.False);
    }

    [Test]
    public void WatchdogEndsARunawayLoop()
    {
        string source = Write("spin.s", ".engine vpu.3\n loop 4000000000\n nop\n endloop\n");
        (int code, _, string stderr) = Run("run", "--program", source, "--max-cycles", "20000", "--out", Path.Combine(Dir, "out"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("watchdog").And.Contain("vpu.3 still running"));
    }

    [Test]
    public void LaunchingTwiceIsAProgramError()
    {
        string source = Write("twice.s", ".engine cpu\n launch spu.0.0\n launch spu.0.0\n.engine spu.0.0\n nop\n");
        (int code, _, string stderr) = Run("run", "--program", source, "--out", Path.Combine(Dir, "out"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("launched a second time"));
    }

    [TestCase("bad.s", ".engine spu.0.0\n matmull 1\n", "bad.s:2:2")]
    [TestCase("bad.akp", "AKP\0garbage", "bad.akp")]
    [TestCase("missing.akp", null, "file not found")]
    public void BadProgramsGiveOneClearError(string name, string? content, string expected)
    {
        string path = content is null ? Path.Combine(Dir, name) : Write(name, content);
        (int code, _, string stderr) = Run("run", "--program", path, "--out", Path.Combine(Dir, "out"));
        Assert.That(code, Is.EqualTo(2), stderr);
        Assert.That(stderr, Does.Contain(expected));
        Assert.That(stderr, Does.Not.Contain("   at "));
        (code, _, stderr) = Run("disasm", path);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain(name));
    }
}
