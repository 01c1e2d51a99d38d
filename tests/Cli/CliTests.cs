using System.Text.Json;
using NUnit.Framework;

namespace Antoum.Tests.Cli;

[TestFixture]
[Category("Quick")]
[Category("Cli")]
public class CliTests : CliTestBase
{
    [TestCase("S4", 1)]
    [TestCase("S10", 2)]
    [TestCase("s30", 3)]
    public void RunWorksEndToEndOnEverySku(string sku, int chips)
    {
        string outDir = Path.Combine(Dir, "out");
        (int code, string stdout, string stderr) = Run("run", "--sku", sku, "--workload", "gemm-small", "--batch", "3", "--out", outDir);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("throughput"));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        JsonElement root = doc.RootElement;
        Assert.That(root.GetProperty("run").GetProperty("chips").GetInt32(), Is.EqualTo(chips));
        Assert.That(root.GetProperty("provenance").GetProperty("commandLine").GetString(), Is.EqualTo($"antoum run --sku {sku} --workload gemm-small --batch 3 --out <out>"));
        Assert.That(root.GetProperty("provenance").GetProperty("configHash").GetString(), Has.Length.EqualTo(64));
        Assert.That(root.GetProperty("results").GetProperty("macs").GetInt64(), Is.EqualTo(3L * 64 * 256 * 256));
        string stats = File.ReadAllText(Path.Combine(outDir, "stats.txt"));
        Assert.That(stats, Does.Contain($"chip{chips - 1}.cluster3.spu7.busyCycles"));
        Assert.That(Directory.GetDirectories(Dir), Has.Length.EqualTo(1), "no staging folder is left behind");

        // blocks.csv: one row per block; busy + stall + idle = the run's length in cycles (within rounding).
        string[] rows = File.ReadAllLines(Path.Combine(outDir, "blocks.csv"));
        Assert.That(rows[0], Is.EqualTo("block,kind,busy_cycles,stall_cycles,idle_cycles,utilization,bytes_in,bytes_out"));
        Assert.That(rows.Count(r => r.Split(',')[1] == "spu"), Is.EqualTo(chips * 32));
        Assert.That(rows.Count(r => r.Split(',')[1] == "dram"), Is.EqualTo(chips * 4));
        long cycles = root.GetProperty("results").GetProperty("cycles").GetInt64();
        foreach (string row in rows.Skip(1))
        {
            string[] f = row.Split(',');
            long total = long.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(f[3], System.Globalization.CultureInfo.InvariantCulture)
                + long.Parse(f[4], System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(total, Is.InRange(cycles - 3, cycles + 1), row);
        }
    }

    [Test]
    public void TwoRunsAndTwoOutputFoldersGiveByteIdenticalOutputs()
    {
        string a = Path.Combine(Dir, "a");
        string b = Path.Combine(Dir, "nested", "b");
        Assert.That(Run("run", "--sku", "S10", "--workload", "mlp", "--batch", "2", "--out", a).Code, Is.EqualTo(0));
        Assert.That(Run("run", "--sku", "S10", "--workload", "mlp", "--batch", "2", "--out", b).Code, Is.EqualTo(0));
        foreach (string f in new[] { "summary.json", "stats.txt", "blocks.csv" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(b, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, f))), f);
        }
    }

    [Test]
    public void SetOverridesChangeTheResultAndTheConfigHash()
    {
        string a = Path.Combine(Dir, "a");
        string b = Path.Combine(Dir, "b");
        Assert.That(Run("run", "--workload", "gemm-small", "--out", a).Code, Is.EqualTo(0));
        (int code, _, string err) = Run("run", "--workload", "gemm-small", "--set", "dram.timing.dataRate=2133MT/s", "--out", b);
        Assert.That(code, Is.EqualTo(0), err);
        using JsonDocument da = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "summary.json")));
        using JsonDocument db = JsonDocument.Parse(File.ReadAllText(Path.Combine(b, "summary.json")));
        Assert.That(db.RootElement.GetProperty("provenance").GetProperty("configHash").GetString(),
            Is.Not.EqualTo(da.RootElement.GetProperty("provenance").GetProperty("configHash").GetString()));
        Assert.That(db.RootElement.GetProperty("results").GetProperty("simulatedTimePs").GetUInt64(),
            Is.GreaterThan(da.RootElement.GetProperty("results").GetProperty("simulatedTimePs").GetUInt64()));
    }

    [Test]
    public void AnEarlierOutputIsReplacedButAForeignFolderIsRefused()
    {
        string outDir = Path.Combine(Dir, "out");
        Assert.That(Run("run", "--workload", "gemm-small", "--out", outDir).Code, Is.EqualTo(0));
        Assert.That(Run("run", "--workload", "gemm-small", "--batch", "2", "--out", outDir).Code, Is.EqualTo(0));
        Assert.That(File.ReadAllText(Path.Combine(outDir, "summary.json")), Does.Contain("\"batch\": 2"));

        string foreign = Path.Combine(Dir, "mine");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "notes.txt"), "precious");
        (int code, _, string err) = Run("run", "--workload", "gemm-small", "--out", foreign);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("not an AntoumSim output folder"));
        Assert.That(File.ReadAllText(Path.Combine(foreign, "notes.txt")), Is.EqualTo("precious"));
    }

    private static IEnumerable<TestCaseData> BadInputs()
    {
        yield return new TestCaseData(new[] { "run", "--sku", "S99" }, "unknown SKU").SetName("UnknownSku");
        yield return new TestCaseData(new[] { "run", "--workload", "resnet9000" }, "unknown workload 'resnet9000'").SetName("UnknownWorkload");
        yield return new TestCaseData(new[] { "run", "--workload", "gemm:0x1x1" }, "gemm:MxNxK").SetName("BadGemmShape");
        yield return new TestCaseData(new[] { "run", "--batch", "0" }, "--batch").SetName("ZeroBatch");
        yield return new TestCaseData(new[] { "run", "--set", "chip.spu.rowz=3" }, "rowz").SetName("UnknownSetPath");
        yield return new TestCaseData(new[] { "run", "--set", "chip.clock=900" }, "chip.clock").SetName("SetWithoutUnits");
        yield return new TestCaseData(new[] { "run", "--set", "chip.spu.rows=0" }, "chip.spu.rows").SetName("SetZero");
        yield return new TestCaseData(new[] { "run", "--set", "chip.spu.rows=-4" }, "chip.spu.rows").SetName("SetNegative");
        yield return new TestCaseData(new[] { "run", "--max-time", "10 parsecs" }, "--max-time").SetName("BadMaxTime");
        yield return new TestCaseData(new[] { "run", "--config", "/nonexistent/dir/chip.json" }, "/nonexistent/dir/chip.json").SetName("MissingConfigFile");
        yield return new TestCaseData(new[] { "run", "--no-such-option" }, "--no-such-option").SetName("UnknownOption");
        yield return new TestCaseData(new[] { "frobnicate" }, "frobnicate").SetName("UnknownCommand");
        yield return new TestCaseData(new[] { "bench", "--sizes", "10,abc" }, "--sizes").SetName("BadBenchSizes");
        yield return new TestCaseData(new[] { "config", "show", "--sku", "S7" }, "unknown SKU").SetName("ConfigShowUnknownSku");
    }

    [TestCaseSource(nameof(BadInputs))]
    public void BadInputExitsWithCodeTwoAndOneClearMessage(string[] args, string expected)
    {
        string outDir = Path.Combine(Dir, "out");
        string[] withOut = args[0] == "run" ? [.. args, "--out", outDir] : args;
        (int code, string stdout, string stderr) = Run(withOut);
        Assert.That(code, Is.EqualTo(2), stdout + stderr);
        Assert.That(stderr, Does.Contain(expected));
        Assert.That(stderr, Does.Not.Contain("   at "), "no stack trace for user errors");
        Assert.That(Directory.Exists(outDir), Is.False, "no output folder is left behind");
        Assert.That(Directory.GetDirectories(Dir), Is.Empty, "no staging folder is left behind");
    }

    [Test]
    public void MalformedConfigFileReportsFileLineAndColumn()
    {
        string path = Write("bad.json", "{\n  \"sku\": {\n    \"name\": \"S4\",,\n  }\n}\n");
        (int code, _, string err) = Run("run", "--config", path, "--out", Path.Combine(Dir, "out"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("bad.json"));
        Assert.That(err, Does.Match("line 3"));
    }

    [Test]
    public void UnknownKeyInAConfigFileReportsItsJsonPath()
    {
        string shipped = Path.Combine(AppContext.BaseDirectory, "configs", "antoum.json");
        string path = Write("mine.json", "{ \"include\": \"" + shipped.Replace("\\", "/", StringComparison.Ordinal) + "\", \"chip\": { \"spu\": { \"colz\": 4 } } }");
        (int code, _, string err) = Run("config", "show", "--config", path);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("chip.spu.colz"));
        Assert.That(err, Does.Contain("mine.json"));
    }

    [Test]
    public void ConfigShowPrintsProvenanceLabels()
    {
        (int code, string stdout, _) = Run("config", "show", "--sku", "S30", "--set", "chip.spu.rows=32");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("[stated"));
        Assert.That(stdout, Does.Contain("[assumed"));
        Assert.That(stdout, Does.Contain("[derived"));
        Assert.That(stdout, Does.Contain("override"));
    }

    [Test]
    public void HelpDescribesEveryCommand()
    {
        (int code, string stdout, _) = Run("--help");
        Assert.That(code, Is.EqualTo(0));
        foreach (string c in new[] { "run", "config", "workloads", "bench" })
        {
            Assert.That(stdout, Does.Contain(c));
        }

        (code, stdout, _) = Run("run", "--help");
        Assert.That(code, Is.EqualTo(0));
        foreach (string o in new[] { "--sku", "--workload", "--batch", "--out", "--set", "--config", "--max-events", "--max-time" })
        {
            Assert.That(stdout, Does.Contain(o));
        }
    }

    [Test]
    public void WorkloadsListsTheBuiltIns()
    {
        (int code, string stdout, _) = Run("workloads");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("mlp").And.Contain("gemm-small").And.Contain("gemm:MxNxK"));
    }

    [Test]
    public void BenchRunsOnATinyConfiguration()
    {
        (int code, string stdout, string stderr) = Run("bench", "--sizes", "100", "--repetitions", "1", "--seconds", "0.01");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("100"));
        Assert.That(stdout, Does.Contain("target"));
    }
}
