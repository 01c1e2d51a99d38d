using System.Globalization;
using NUnit.Framework;
using CliProgram = Antoum.Sim.Cli.Program;

namespace Antoum.Tests.Layers;

[TestFixture]
[Category("Quick")]
[Category("Layers")]
public class LayersCommandTests
{
    private string _dir = string.Empty;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "antoum-layers-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliProgram.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string Repo()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "AntoumSim.sln")))
            {
                return d.FullName;
            }
        }

        Assert.Fail("repository root (AntoumSim.sln) not found above the test binary");
        return string.Empty;
    }

    private static long Ceil(long a, long b) => (a + b - 1) / b;

    // SCALE-Sim: folds = ceil(Sr/R) * ceil(Sc/C), each 2R + C + T - 2 cycles.
    private static long ScaleSim(string df, int r, int c, long m, long n, long k) => df switch
    {
        "os" => Ceil(m, r) * Ceil(n, c) * (r + c + k - 2), // the os drain overlaps the next fold (SCALE-Sim v2)
        "ws" => Ceil(k, r) * Ceil(n, c) * ((2L * r) + c + m - 2),
        _ => Ceil(k, r) * Ceil(m, c) * ((2L * r) + c + n - 2),
    };

    [Test]
    public void ShippedTopologiesAreWhatTheGeneratorWrites([Values("resnet50", "gemm-suite")] string name)
    {
        string shipped = Path.Combine(Repo(), "traces", "topologies", name + ".csv");
        string regenerated = Path.Combine(_dir, name + ".csv");
        Assert.That(Run("layers", "--generate", name, "-o", regenerated).Code, Is.EqualTo(0));
        if (Environment.GetEnvironmentVariable("ANTOUM_REGEN_DOCS") == "1")
        {
            File.Copy(regenerated, shipped, overwrite: true);
        }

        Assert.That(File.ReadAllText(shipped), Is.EqualTo(File.ReadAllText(regenerated)), $"regenerate with: antoum layers --generate {name} -o traces/topologies/{name}.csv");
    }

    [Test]
    public void ResNet50ComputeCyclesEqualTheScaleSimFormulaPerLayer([Values("os", "ws", "is")] string df)
    {
        string topo = Path.Combine(Repo(), "traces", "topologies", "resnet50.csv");
        (int code, string output, string err) = Run("layers", "--topology", topo, "--array", "32x32", "--dataflow", df);
        Assert.That(code, Is.EqualTo(0), err);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string[] topoLines = File.ReadAllLines(topo).Skip(1).Where(l => l.Trim().Length > 0).ToArray();
        Assert.That(lines.Length, Is.EqualTo(topoLines.Length + 2), "header, one row per layer, totals");
        Assert.That(topoLines.Length, Is.EqualTo(1 + (3 * 16) + 4 + 1), "conv1, 16 bottlenecks of 3 convs, 4 projections, fc");
        long total = 0, macs = 0;
        for (int i = 0; i < topoLines.Length; i++)
        {
            // Independent im2col of the topology row: P = (H - R) / stride + 1.
            string[] t = topoLines[i].Split(',').Select(x => x.Trim()).ToArray();
            long h = long.Parse(t[1], CultureInfo.InvariantCulture), w = long.Parse(t[2], CultureInfo.InvariantCulture), r = long.Parse(t[3], CultureInfo.InvariantCulture), s = long.Parse(t[4], CultureInfo.InvariantCulture), c = long.Parse(t[5], CultureInfo.InvariantCulture), f = long.Parse(t[6], CultureInfo.InvariantCulture), st = long.Parse(t[7], CultureInfo.InvariantCulture);
            long m = (((h - r) / st) + 1) * (((w - s) / st) + 1), k = r * s * c;
            string[] row = lines[i + 1].Split(',');
            Assert.That(row[0], Is.EqualTo(t[0]));
            long expected = ScaleSim(df, 32, 32, m, f, k);
            Assert.That(long.Parse(row[9], CultureInfo.InvariantCulture), Is.EqualTo(expected), $"{df} {t[0]}");
            Assert.That(long.Parse(row[10], CultureInfo.InvariantCulture), Is.EqualTo(m * f * k));
            total += expected;
            macs += m * f * k;
        }

        // ResNet-50 at 224x224 is about 4.1 GMACs (He et al. 2016: 3.8 G multiply-adds without the projections' share counted alike).
        Assert.That(macs, Is.InRange(3_800_000_000L, 4_200_000_000L));
        string[] totals = lines[^1].Split(',');
        Assert.That(totals[0], Is.EqualTo("total"));
        Assert.That(long.Parse(totals[9], CultureInfo.InvariantCulture), Is.EqualTo(total));
    }

    [Test]
    public void GemmSuiteComputeCyclesEqualTheScaleSimFormulaPerLayer([Values("os", "ws", "is")] string df)
    {
        string topo = Path.Combine(Repo(), "traces", "topologies", "gemm-suite.csv");
        string outFile = Path.Combine(_dir, "out.csv");
        (int code, _, string err) = Run("layers", "--topology", topo, "--array", "16x32", "--dataflow", df, "--out", outFile);
        Assert.That(code, Is.EqualTo(0), err);
        string[] lines = File.ReadAllLines(outFile);
        foreach (string line in lines.Skip(1).SkipLast(1))
        {
            string[] row = line.Split(',');
            long m = long.Parse(row[1], CultureInfo.InvariantCulture), n = long.Parse(row[2], CultureInfo.InvariantCulture), k = long.Parse(row[3], CultureInfo.InvariantCulture);
            string[] nm = row[4].Split(':');
            int ratio = int.Parse(nm[1], CultureInfo.InvariantCulture) / int.Parse(nm[0], CultureInfo.InvariantCulture);
            int step = 1;
            while (step * 2 <= ratio && step < 32)
            {
                step *= 2;
            }

            // Balanced N:M: K shrinks to ceil(K / step); 1 decode cycle per fold when sparse.
            long kr = Ceil(k, step);
            long folds = df switch { "os" => Ceil(m, 16) * Ceil(n, 32), "ws" => Ceil(kr, 16) * Ceil(n, 32), _ => Ceil(kr, 16) * Ceil(m, 32) };
            long expected = ScaleSim(df, 16, 32, m, n, kr) + (step > 1 ? folds : 0);
            Assert.That(long.Parse(row[9], CultureInfo.InvariantCulture), Is.EqualTo(expected), $"{df} {row[0]}");
        }
    }

    [TestCase("Layer, M, N\nx, 1, 2\n", ":1: expected a conv header")]
    [TestCase("Layer, M, N, K,\ng1, 4, 4\n", ":2: expected 4 columns")]
    [TestCase("Layer, M, N, K,\ng1, 4, four, 4,\n", ":2: column 3 (N): expected an integer from 1 to 2147483647, got \"four\"")]
    [TestCase("Layer, M, N, K, Sparsity,\ng1, 4, 4, 4, 4:1,\n", ":2: Sparsity: expected N:M")]
    [TestCase("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc1, 3, 3, 5, 5, 1, 1, 1,\n", ":2: expected the filter (5x5) to fit the IFMAP (3x3)")]
    [TestCase("Layer, M, N, K,\n", "expected at least one layer")]
    [TestCase("", "empty topology")]
    public void BadTopologyIsAUserErrorWithFileAndLine(string text, string message)
    {
        string file = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(file, text);
        (int code, _, string err) = Run("layers", "--topology", file);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("bad.csv" + (message.StartsWith(':') ? message : string.Empty)));
        Assert.That(err, Does.Contain(message.TrimStart(':', '1', '2')));
    }

    [Test]
    public void BadArrayAndDataflowAreUserErrors()
    {
        string topo = Path.Combine(Repo(), "traces", "topologies", "gemm-suite.csv");
        Assert.That(Run("layers", "--topology", topo, "--array", "16by32").Code, Is.EqualTo(2));
        Assert.That(Run("layers", "--topology", topo, "--dataflow", "rs").Code, Is.EqualTo(2));
        Assert.That(Run("layers", "--topology", Path.Combine(_dir, "missing.csv")).Code, Is.EqualTo(2));
        Assert.That(Run("layers", "--generate", "vgg").Code, Is.EqualTo(2));
    }
}
