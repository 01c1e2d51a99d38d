using System.Text.Json;
using NUnit.Framework;

namespace Antoum.Tests.Cli;

[TestFixture]
[Category("Cli")]
public class NetworkRunCliTests : CliTestBase
{
    [Test]
    [Category("Quick")]
    public void ANetworkIsCompiledRunAndReportedPerLayer()
    {
        string outDir = Path.Combine(Dir, "out");
        (int code, string stdout, string stderr) = Run("run", "--sku", "S10", "--workload", "mobilenet-v1", "--batch", "4", "--out", outDir);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("throughput").And.Contain("slowest layers"));
        string[] layers = File.ReadAllLines(Path.Combine(outDir, "layers.csv"));
        Assert.That(layers.Length - 1, Is.EqualTo(Antoum.Firmware.Workloads.Networks.Resolve("mobilenet-v1").Layers.Count));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        JsonElement results = doc.RootElement.GetProperty("results");
        Assert.That(results.GetProperty("samplesPerSecond").GetDouble(), Is.GreaterThan(0));
        long macs = results.GetProperty("macs").GetInt64();
        Assert.That(macs, Is.GreaterThan(0));
        long layerMacs = layers.Skip(1).Sum(l => long.Parse(l.Split(',')[8], System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(layerMacs, Is.EqualTo(macs), "layers.csv MACs add up to the run's MACs");
        Assert.That(File.Exists(Path.Combine(outDir, "compile-report.txt")), Is.True);

        // Every layer's time fits in the run (layers emitted once per micro-batch are summed over their emissions).
        long runCycles = results.GetProperty("cycles").GetInt64();
        Assert.That(layers.Skip(1).Select(l => long.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)), Has.All.LessThanOrEqualTo(runCycles));
    }

    [Test]
    [Category("Quick")]
    public void TheOfflineScenarioIsReportedWithItsMeasurementAndIsByteIdenticalAcrossRuns()
    {
        string a = Path.Combine(Dir, "offline-a");
        string b = Path.Combine(Dir, "offline-b");
        (int code, string stdout, string stderr) = Run("run", "--sku", "S4", "--workload", "mobilenet-v1", "--batch", "4", "--scenario", "offline", "--out", a);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("scenario        offline").And.Contain("steady state"));
        Assert.That(Run("run", "--sku", "S4", "--workload", "mobilenet-v1", "--batch", "4", "--scenario", "offline", "--out", b).Code, Is.EqualTo(0));
        foreach (string f in new[] { "summary.json", "layers.csv", "blocks.csv", "stats.txt", "compile-report.txt" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(b, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, f))), f);
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "summary.json")));
        JsonElement results = doc.RootElement.GetProperty("results");
        JsonElement scenario = results.GetProperty("scenario");
        Assert.That(scenario.GetProperty("name").GetString(), Is.EqualTo("offline"));
        Assert.That(scenario.GetProperty("throughputMethod").GetString(), Does.Contain("steady state"));
        long[] done = scenario.GetProperty("batchCompletionPs").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        int n = scenario.GetProperty("batches").GetInt32();
        Assert.That(done, Has.Length.EqualTo(n).And.Ordered);
        int last = n - 2; // harness.inputBuffers = 2
        double expected = last * 4.0 / ((done[last] - done[0]) / 1e12);
        Assert.That(results.GetProperty("samplesPerSecond").GetDouble(), Is.EqualTo(expected).Within(1e-9).Percent);
        Assert.That(results.TryGetProperty("latencyPerBatchPs", out _), Is.False, "offline measures an interval, not one batch's latency");

        (code, _, stderr) = Run("run", "--sku", "S4", "--workload", "gemm-small", "--scenario", "offline", "--out", Path.Combine(Dir, "g"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("network workloads only"));
        (code, _, stderr) = Run("run", "--sku", "S4", "--workload", "mobilenet-v1", "--scenario", "steady", "--out", Path.Combine(Dir, "s"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("single or offline"));
    }

    [Test]
    [Category("Quick")]
    public void ByteMlPerfTaskNamesAreAcceptedAndUnknownNetworksListTheKnownOnes()
    {
        (int code, _, string stderr) = Run("compile", "-w", "resnet50-torch-fp32", "--sku", "S4", "--batch", "1", "-o", Path.Combine(Dir, "r.akp"));
        Assert.That(code, Is.EqualTo(0), stderr);
        (code, _, stderr) = Run("run", "--workload", "resnet51", "--out", Path.Combine(Dir, "o"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("resnet51").And.Contain("resnet50"));
    }

    [Test]
    [Category("Quick")]
    public void NetworkRunsAreByteIdenticalAcrossRunsAndFolders()
    {
        string a = Path.Combine(Dir, "a");
        string b = Path.Combine(Dir, "deeper", "b");
        Assert.That(Run("run", "--sku", "S30", "--workload", "mobilenet-v2", "--batch", "6", "--out", a).Code, Is.EqualTo(0));
        Assert.That(Run("run", "--sku", "S30", "--workload", "mobilenet-v2", "--batch", "6", "--out", b).Code, Is.EqualTo(0));
        foreach (string f in new[] { "summary.json", "layers.csv", "blocks.csv", "stats.txt", "compile-report.txt" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(b, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, f))), f);
        }
    }

    [Test]
    [Category("Long")]
    public void ResNet50Batch48OnS30RunsEndToEnd()
    {
        string outDir = Path.Combine(Dir, "rn50");
        (int code, string stdout, string stderr) = Run("run", "--sku", "S30", "--workload", "resnet50", "--batch", "48", "--out", outDir);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("resnet50  batch 48"));
        Assert.That(File.ReadAllLines(Path.Combine(outDir, "layers.csv")).Length - 1, Is.EqualTo(72));
    }
}
