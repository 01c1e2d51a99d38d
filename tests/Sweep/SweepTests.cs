using System.Diagnostics;
using System.Globalization;
using Antoum.Sim.Config;
using Antoum.Sim.Sweep;
using Antoum.Tests.Cli;
using NUnit.Framework;

namespace Antoum.Tests.Sweep;

/// <summary>antoum sweep: spec expansion, determinism over --jobs, shards and merge, resume after a kill, infeasible points, plots.</summary>
[TestFixture]
[Category("Sweep")]
public class SweepTests : CliTestBase
{
    // Small, fast points: two synthetic networks (a few hundred microseconds simulated each).
    private const string SmallSpec = """
        {
          "name": "small",
          "workloads": ["convnet", "mlp"],
          "skus": ["S4"],
          "batch": [1],
          "set": { "dram.model": "bandwidth" },
          "grid": { "spu.array": ["16x32", "32x32"], "dram.bandwidth": ["41GB/s", "82GB/s"], "l1.capacity": ["56kB", "1kB"] }
        }
        """;

    [Test]
    [Category("Quick")]
    public void GridExpandsToTheCrossProductInCanonicalOrder()
    {
        SweepSpec spec = SweepSpec.Parse(SmallSpec, "small.json");
        Assert.That(spec.Points, Has.Count.EqualTo(2 * 2 * 2 * 2));
        Assert.That(spec.Parameters, Is.EqualTo(new[] { "spu.array", "dram.bandwidth", "l1.capacity" }));
        // Workloads outermost, the last grid parameter fastest.
        Assert.That(spec.Points[0].Workload, Is.EqualTo("convnet"));
        Assert.That(spec.Points[0].Values, Is.EqualTo(new[] { "16x32", "41GB/s", "56kB" }));
        Assert.That(spec.Points[1].Values, Is.EqualTo(new[] { "16x32", "41GB/s", "1kB" }));
        Assert.That(spec.Points[2].Values, Is.EqualTo(new[] { "16x32", "82GB/s", "56kB" }));
        Assert.That(spec.Points[8].Workload, Is.EqualTo("mlp"));
        Assert.That(spec.Points.Select(p => p.Index), Is.EqualTo(Enumerable.Range(0, 16)));

        SweepSpec cli = SweepSpec.FromCommandLine(["spu.array=16x32,32x32", "dram.bandwidth=41GB/s,82GB/s,123GB/s", "dram.model=bandwidth"], "resnet50,mobilenet-v1", "S4,S10", "1,8", null);
        Assert.That(cli.Points, Has.Count.EqualTo(2 * 2 * 2 * 2 * 3));
        Assert.That(cli.Parameters, Is.EqualTo(new[] { "spu.array", "dram.bandwidth" }), "a single value is a fixed override, not a dimension");
        Assert.That(cli.Fixed.Single().Key, Is.EqualTo("dram.model"));

        SweepSpec single = SweepSpec.Parse("""{ "workloads": "convnet" }""", "one.json");
        Assert.That(single.Points, Has.Count.EqualTo(1));
    }

    [Test]
    [Category("Quick")]
    public void SamplingIsSeededAndLatinHypercubeHitsEveryStratumOnce()
    {
        const string Lhs = """
            { "workloads": ["convnet"], "sample": { "method": "latinHypercube", "seed": 7, "count": 10,
              "parameters": { "dram.bandwidth": { "min": 20, "max": 120, "unit": "GB/s" }, "spu.array": { "values": ["16x32", "32x32"] } } } }
            """;
        SweepSpec a = SweepSpec.Parse(Lhs, "lhs.json");
        SweepSpec b = SweepSpec.Parse(Lhs, "lhs.json");
        Assert.That(a.Points, Has.Count.EqualTo(10));
        Assert.That(a.Hash, Is.EqualTo(b.Hash));
        Assert.That(a.CanonicalJson(), Is.EqualTo(b.CanonicalJson()));
        var strata = a.Space.Select(v => (int)((double.Parse(v[0][..^4], CultureInfo.InvariantCulture) - 20) / 100 * 10)).OrderBy(s => s).ToList();
        Assert.That(strata, Is.EqualTo(Enumerable.Range(0, 10)), "one sample in each tenth of the range");
        Assert.That(a.Space.Count(v => v[1] == "16x32"), Is.EqualTo(5), "a value list is stratified too");

        SweepSpec other = SweepSpec.Parse(Lhs.Replace("\"seed\": 7", "\"seed\": 8", StringComparison.Ordinal), "lhs.json");
        Assert.That(other.Hash, Is.Not.EqualTo(a.Hash));

        SweepSpec random = SweepSpec.Parse(Lhs.Replace("latinHypercube", "random", StringComparison.Ordinal), "r.json");
        Assert.That(random.Points, Has.Count.EqualTo(10));
        Assert.That(random.Space.Select(v => v[0]), Has.All.Matches<string>(s => s.EndsWith("GB/s", StringComparison.Ordinal)));

        // The canonical spec written beside the results reads back to the same spec (same hash).
        Assert.That(SweepSpec.Parse(a.CanonicalJson(), "spec.json").Hash, Is.EqualTo(a.Hash));
    }

    [TestCase("""{ "workloads": ["convnet"], "grid": { "spu.banana": [1, 2] } }""", "bad.json: $.grid.spu.banana: \"spu.banana\" is not a configuration value")]
    [TestCase("""{ "workloads": ["convnet"], "grid": { "spu.rows": [] } }""", "bad.json: $.grid.spu.rows: expected a non-empty list")]
    [TestCase("""{ "workloads": ["convnet"], "colour": 1 }""", "bad.json: $.colour: unknown key")]
    [TestCase("""{ "grid": {} }""", "bad.json: $: missing \"workloads\"")]
    [TestCase("""{ "workloads": ["convnet"], "batch": [1, 0] }""", "bad.json: $.batch[1]: expected a positive whole number")]
    [TestCase("""{ "workloads": ["convnet"], "points": [{ "spu.rows": 16 }, { "spu.cols": 8 }] }""", "bad.json: $.points[0]: missing \"spu.cols\"")]
    [TestCase("""{ "workloads": ["convnet"], "sample": { "seed": 1, "count": 3, "parameters": { "spu.rows": { "min": 9 } } } }""", "bad.json: $.sample.parameters.spu.rows: expected numbers \"min\" <= \"max\"")]
    [TestCase("""{ "workloads": ["convnet"], "grid": { "spu.rows": [16] }, "points": [] }""", "bad.json: $: give one of")]
    [TestCase("""{ "workloads": ["convnet"], "modes": ["sideways"] }""", "bad.json: $.modes[0]: expected perCluster, split or broadcast")]
    [TestCase("{ \"workloads\": [\"convnet\"],\n  \"grid\": { ] }", "bad.json: line 2, column")]
    [Category("Quick")]
    public void SpecErrorsNameTheFileAndTheJsonPath(string json, string expected)
    {
        UserInputException e = Assert.Throws<UserInputException>(() => SweepSpec.Parse(json, "bad.json"))!;
        Assert.That(e.Message, Does.StartWith(expected));
    }

    [Test]
    [Category("Quick")]
    public void ResultsAreByteIdenticalWithOneJobOrTwoAndWithoutTheCompileCache()
    {
        string spec = Write("small.json", SmallSpec);
        string a = Path.Combine(Dir, "a");
        string b = Path.Combine(Dir, "b");
        string c = Path.Combine(Dir, "c");
        (int code, string stdout, string stderr) = Run("sweep", spec, "--jobs", "1", "--out", a);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("16 points (0 from the journal, 16 run now, 8 infeasible)"));
        Assert.That(stderr, Does.Contain("sweep: [").And.Contain("16/16 points"), "plain progress lines when not a terminal");
        (code, _, stderr) = Run("sweep", spec, "--jobs", "2", "--out", b);
        Assert.That(code, Is.EqualTo(0), stderr);
        (code, _, stderr) = Run("sweep", spec, "--jobs", "2", "--no-compile-cache", "--out", c, "--quiet");
        Assert.That(code, Is.EqualTo(0), stderr);
        byte[] expected = File.ReadAllBytes(Path.Combine(a, "sweep.csv"));
        Assert.That(File.ReadAllBytes(Path.Combine(b, "sweep.csv")), Is.EqualTo(expected));
        Assert.That(File.ReadAllBytes(Path.Combine(c, "sweep.csv")), Is.EqualTo(expected));
        Assert.That(File.ReadAllBytes(Path.Combine(b, "sweep.json")), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, "sweep.json"))));

        // Rows in canonical order; every parameter and result column present.
        SweepCsv.Table t = SweepCsv.Parse(File.ReadAllText(Path.Combine(a, "sweep.csv")), "sweep.csv");
        Assert.That(t.Rows.Select(r => r[0]), Is.EqualTo(Enumerable.Range(0, 16).Select(i => i.ToString(CultureInfo.InvariantCulture))));
        foreach (string col in new[] { "spu.array", "dram.bandwidth", "l1.capacity", "samples_per_s", "latency_ms", "util_spu", "util_dma", "dram_gb_per_s", "power_avg_w", "power_peak_w", "energy_per_sample_mj", "samples_per_s_per_w", "mac_units", "sram_bytes", "area_proxy", "bottleneck" })
        {
            Assert.That(t.Column(col), Is.GreaterThanOrEqualTo(0), col);
        }
    }

    [Test]
    [Category("Quick")]
    public void AResultRowAgreesWithAntoumRunForTheSamePoint()
    {
        string spec = Write("one.json", """{ "workloads": ["convnet"], "batch": [2], "set": { "spu.rows": 32 } }""");
        (int code, _, string stderr) = Run("sweep", spec, "--out", Path.Combine(Dir, "s"), "--quiet");
        Assert.That(code, Is.EqualTo(0), stderr);
        (code, _, stderr) = Run("run", "--workload", "convnet", "--batch", "2", "--set", "spu.rows=32", "--out", Path.Combine(Dir, "r"), "--quiet");
        Assert.That(code, Is.EqualTo(0), stderr);
        SweepCsv.Table t = SweepCsv.Parse(File.ReadAllText(Path.Combine(Dir, "s", "sweep.csv")), "sweep.csv");
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "r", "summary.json")));
        System.Text.Json.JsonElement results = doc.RootElement.GetProperty("results");
        IReadOnlyList<string> row = t.Rows[0];
        Assert.That(row[t.Column("cycles")], Is.EqualTo(results.GetProperty("cycles").GetInt64().ToString(CultureInfo.InvariantCulture)));
        Assert.That(row[t.Column("samples_per_s")], Is.EqualTo(SweepEvaluator.F(results.GetProperty("samplesPerSecond").GetDouble())), "the same number, written with 6 significant digits");
        Assert.That(row[t.Column("macs")], Is.EqualTo(results.GetProperty("macs").GetInt64().ToString(CultureInfo.InvariantCulture)));

        // Area proxy: 4 clusters x 8 SPUs x 32 x 32 MACs; SRAM 4 x (8 x 56 kB + 4 MiB); proxy = MACs + SRAM / 32.
        long macs = 4L * 8 * 32 * 32;
        long sram = 4L * ((8L * 56_000) + (4L * 1024 * 1024));
        Assert.That(row[t.Column("mac_units")], Is.EqualTo(macs.ToString(CultureInfo.InvariantCulture)));
        Assert.That(row[t.Column("sram_bytes")], Is.EqualTo(sram.ToString(CultureInfo.InvariantCulture)));
        Assert.That(row[t.Column("area_proxy")], Is.EqualTo(SweepEvaluator.F(macs + (sram / 32.0))));
    }

    [Test]
    [Category("Quick")]
    public void ShardsMergeToTheUnshardedResultByteForByte()
    {
        string spec = Write("small.json", SmallSpec);
        string whole = Path.Combine(Dir, "whole");
        Assert.That(Run("sweep", spec, "--out", whole, "--quiet").Code, Is.EqualTo(0));
        var shards = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            string d = Path.Combine(Dir, "shard-" + i.ToString(CultureInfo.InvariantCulture));
            (int c, _, string e) = Run("sweep", spec, "--shard", $"{i}/3", "--jobs", "1", "--out", d, "--quiet");
            Assert.That(c, Is.EqualTo(0), e);
            shards.Add(d);
        }

        Assert.That(File.ReadAllLines(Path.Combine(shards[1], "sweep.csv")).Skip(1).Select(l => int.Parse(l.Split(',')[0], CultureInfo.InvariantCulture)), Is.EqualTo(new[] { 1, 4, 7, 10, 13 }));
        string merged = Path.Combine(Dir, "merged");
        (int code, string stdout, string stderr) = Run("sweep", "merge", "--out", merged, shards[2], shards[0], shards[1]);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("16 points from 3 shard(s)"));
        foreach (string f in new[] { "sweep.csv", "sweep.json", "spec.json" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(merged, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, f))), f);
        }

        // A missing shard, or a shard of another spec, is refused with a clear message.
        (code, _, stderr) = Run("sweep", "merge", "--out", Path.Combine(Dir, "m2"), shards[0], shards[1]);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("shard 2/3 is missing"));
        string other = Path.Combine(Dir, "other");
        Assert.That(Run("sweep", "--workload", "convnet", "--shard", "2/3", "--out", other, "--quiet").Code, Is.EqualTo(0));
        (code, _, stderr) = Run("sweep", "merge", "--out", Path.Combine(Dir, "m3"), shards[0], shards[1], other);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("a different sweep spec"));
    }

    [Test]
    [Category("Quick")]
    public void AStoppedSweepResumesWithoutRecomputingAndAnotherSpecIsRefused()
    {
        string spec = Write("small.json", SmallSpec);
        string whole = Path.Combine(Dir, "whole");
        Assert.That(Run("sweep", spec, "--out", whole, "--quiet").Code, Is.EqualTo(0));
        string part = Path.Combine(Dir, "part");
        (int code, string stdout, _) = Run("sweep", spec, "--jobs", "1", "--stop-after", "5", "--out", part, "--quiet");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("stopped after 5 new point(s)"));
        Assert.That(File.Exists(Path.Combine(part, "sweep.csv")), Is.False, "no sweep.csv before every point is done");
        Assert.That(File.ReadAllLines(Path.Combine(part, SweepJournal.FileName)), Has.Length.EqualTo(1 + 5));

        // A temporary file of an atomic write killed half-way is cleaned up, not mistaken for user data.
        File.WriteAllText(Path.Combine(part, ".sweep.csv.tmp-999-1"), "point,work");

        // A torn last record (the process died inside a write) is dropped and recomputed.
        File.AppendAllText(Path.Combine(part, SweepJournal.FileName), "0badc0de 7,mlp,S4,1,perCl");
        (code, stdout, string stderr) = Run("sweep", spec, "--out", part);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("16 points (5 from the journal, 11 run now"));
        Assert.That(stderr, Does.Contain("1 incomplete journal line(s) dropped"));
        Assert.That(File.ReadAllBytes(Path.Combine(part, "sweep.csv")), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, "sweep.csv"))));
        Assert.That(Directory.GetFiles(part, ".*"), Is.Empty);

        // Run again: nothing to do, same bytes.
        (code, stdout, _) = Run("sweep", spec, "--out", part, "--quiet");
        Assert.That(stdout, Does.Contain("(16 from the journal, 0 run now"));

        // Another spec on the same folder is refused.
        string changed = Write("changed.json", SmallSpec.Replace("\"82GB/s\"", "\"100GB/s\"", StringComparison.Ordinal));
        (code, _, stderr) = Run("sweep", changed, "--out", part);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("holds a sweep of another spec"));
    }

    [Test]
    [Category("Quick")]
    public void ASweepKilledMidWayResumesToTheSameFinalFile()
    {
        // 40 points of a small network in a child process, killed (SIGKILL) once a few points are journaled.
        string spec = Write("kill.json", """
            { "name": "kill", "workloads": ["convnet"], "batch": [1, 2], "grid": { "spu.rows": [8, 16, 32, 64], "spu.cols": [8, 16, 32, 64, 128] } }
            """);
        string whole = Path.Combine(Dir, "whole");
        Assert.That(Run("sweep", spec, "--out", whole, "--quiet").Code, Is.EqualTo(0));

        string killed = Path.Combine(Dir, "killed");
        string journal = Path.Combine(killed, SweepJournal.FileName);
        string dll = Path.Combine(AppContext.BaseDirectory, "antoum.dll");
        var psi = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { dll, "sweep", spec, "--jobs", "1", "--out", killed, "--quiet" })
        {
            psi.ArgumentList.Add(a);
        }

        using (Process child = Process.Start(psi)!)
        {
            var wait = Stopwatch.StartNew();
            int records = 0;
            while (wait.Elapsed.TotalSeconds < 60 && !child.HasExited)
            {
                records = File.Exists(journal) ? CountLines(journal) - 1 : 0;
                if (records >= 3)
                {
                    break;
                }

                Thread.Sleep(5);
            }

            Assert.That(child.HasExited, Is.False, "the child finished before it could be killed: make the sweep longer");
            child.Kill(entireProcessTree: true);
            child.WaitForExit();
        }

        Assert.That(File.Exists(Path.Combine(killed, "sweep.csv")), Is.False);
        int done = CountLines(journal) - 1;
        Assert.That(done, Is.InRange(3, 39));
        (int code, string stdout, string stderr) = Run("sweep", spec, "--out", killed, "--quiet");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain($"({done} from the journal, {40 - done} run now"));
        Assert.That(File.ReadAllBytes(Path.Combine(killed, "sweep.csv")), Is.EqualTo(File.ReadAllBytes(Path.Combine(whole, "sweep.csv"))));
    }

    private static int CountLines(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        int n = 0;
        int b;
        while ((b = fs.ReadByte()) >= 0)
        {
            n += b == '\n' ? 1 : 0;
        }

        return n;
    }

    [Test]
    [Category("Quick")]
    public void InfeasiblePointsAreRecordedWithTheirReason()
    {
        (int code, string stdout, string stderr) = Run("sweep", "--workload", "convnet", "--set", "l1.capacity=56kB,1kB", "--set", "spu.rows=16,0", "--set", "workload.sparsity=0%,33%", "--out", Path.Combine(Dir, "o"));
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("8 points (0 from the journal, 8 run now, 7 infeasible)"));
        SweepCsv.Table t = SweepCsv.Parse(File.ReadAllText(Path.Combine(Dir, "o", "sweep.csv")), "sweep.csv");
        int status = t.Column("status");
        int reason = t.Column("reason");
        Assert.That(t.Rows[0][status], Is.EqualTo("ok"));
        Assert.That(t.Rows[1][reason], Does.Contain("workload.sparsity: 33% is a ratio of 1.493x"));
        Assert.That(t.Rows[2][reason], Does.Contain("chip.spu.rows: must be in [1, 4096] (got 0)"));
        Assert.That(t.Rows[4][reason], Does.Contain("layer 'conv1'").And.Contain("the L1 has 1000 B"), "a tile that no longer fits L1");
        Assert.That(t.Rows[4][t.Column("samples_per_s")], Is.Empty);
    }

    [Test]
    [Category("Quick")]
    public void TheJournalRefusesOtherConfigFilesAndDropsBadLines()
    {
        string path = Path.Combine(Dir, SweepJournal.FileName);
        using (SweepJournal j = SweepJournal.Open(path, "spec1", "0/1", "configsA", _ => true, 2))
        {
            j.Append(0, "0,a");
            j.Append(1, "1,\"b,c\"");
        }

        File.AppendAllText(path, "00000000 2,x\n");        // a complete line with a wrong CRC
        File.AppendAllText(path, "12345678 3,");           // torn: no line end
        using (SweepJournal j = SweepJournal.Open(path, "spec1", "0/1", "configsA", i => i < 10, 2))
        {
            Assert.That(j.Dropped, Is.EqualTo(2));
            Assert.That(j.Done.Keys.Order(), Is.EqualTo(new[] { 0, 1 }));
            Assert.That(j.Done[1], Is.EqualTo("1,\"b,c\""));
        }

        Assert.That(File.ReadAllText(path), Does.EndWith("\n").And.Not.Contain("12345678"), "rewritten without the bad lines");
        UserInputException e = Assert.Throws<UserInputException>(() => SweepJournal.Open(path, "spec1", "0/1", "configsB", _ => true, 2))!;
        Assert.That(e.Message, Does.Contain("the configs/ files changed since this sweep started"));
        e = Assert.Throws<UserInputException>(() => SweepJournal.Open(path, "spec1", "1/2", "configsA", _ => true, 2))!;
        Assert.That(e.Message, Does.Contain("holds shard 0/1 of the sweep, not shard 1/2"));
    }

    [TestCase("0%", 1)]
    [TestCase("50%", 2)]
    [TestCase("87.5%", 8)]
    [TestCase("90%", 10)]
    [TestCase("95%", 20)]
    [TestCase("16x", 16)]
    [Category("Quick")]
    public void SparsityValuesBecomeCompilerRatios(string text, int ratio)
    {
        Assert.That(SweepParameters.ParseRatio(text), Is.EqualTo(ratio));
    }

    [Test]
    [Category("Quick")]
    public void SparsityAndFormatRewriteOnlyTheNetworksSparseLayers()
    {
        Antoum.Firmware.Workloads.WorkloadGraph g = Antoum.Firmware.Workloads.Networks.Resolve("mobilenet-v1");
        SweepSpec spec = SweepSpec.FromCommandLine(["workload.sparsity=0%,75%", "workload.format=csr,blockcsr"], "mobilenet-v1", "S4", "1", null);
        Antoum.Firmware.Workloads.WorkloadGraph dense = SweepParameters.ApplyWorkloadParameters(g, spec, spec.Points[0]);
        Antoum.Firmware.Workloads.WorkloadGraph block = SweepParameters.ApplyWorkloadParameters(g, spec, spec.Points[3]);
        Assert.That(dense.Layers.All(l => l.Sparsity.Ratio == 1));
        for (int i = 0; i < g.Layers.Count; i++)
        {
            bool sparse = g.Layers[i].Sparsity.Ratio > 1;
            Assert.That(block.Layers[i].Sparsity, Is.EqualTo(sparse ? new Antoum.Firmware.Workloads.LayerSparsity(4, "blockcsr") : g.Layers[i].Sparsity), g.Layers[i].Name);
        }
    }

    [Test]
    [Category("Quick")]
    public void TheCompileCacheSharesProgramsOnlyBetweenEqualCompilerInputs()
    {
        // 2 array shapes x 3 DRAM bandwidths: the bandwidth does not reach the compiler, the array shape does.
        string spec = Write("c.json", """{ "workloads": ["convnet"], "set": { "dram.model": "bandwidth" }, "grid": { "spu.array": ["16x32", "32x32"], "dram.bandwidth": ["41GB/s", "82GB/s", "123GB/s"] } }""");
        (int code, string stdout, string stderr) = Run("sweep", spec, "--jobs", "1", "--out", Path.Combine(Dir, "o"), "--quiet");
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("; 2 compile(s)"));
    }

    [Test]
    [Category("Quick")]
    public void ParetoFrontKeepsTheUndominatedPoints()
    {
        (double, double)[] pts = [(10, 100), (12, 90), (8, 80), (10, 120), (20, 130), (8, 60)];
        List<int> front = SweepPlots.ParetoFront(pts);
        Assert.That(front, Is.EqualTo(new[] { 2, 3, 4 }), "(8,80) (10,120) (20,130); the rest are dominated");
        Assert.That(SweepPlots.LeadingNumber("41GB/s"), Is.EqualTo(41));
        Assert.That(SweepPlots.LeadingNumber("87.5%"), Is.EqualTo(87.5));
        Assert.That(SweepPlots.LeadingNumber("16x32"), Is.Null);
        Assert.That(SweepPlots.LeadingNumber("csr"), Is.Null);
    }

    [Test]
    [Category("Quick")]
    public void PlotDrawsParetoAndSensitivityChartsFromSweepCsvReproducibly()
    {
        string spec = Write("small.json", SmallSpec);
        string o = Path.Combine(Dir, "o");
        (int code, _, string stderr) = Run("sweep", spec, "--out", o, "--plots", "--quiet");
        Assert.That(code, Is.EqualTo(0), stderr);
        string[] names = Directory.GetFiles(Path.Combine(o, "plots")).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;
        Assert.That(names, Is.EqualTo(new[] { "pareto-area.svg", "pareto-power.svg", "sensitivity-dram.bandwidth.svg", "sensitivity-spu.array.svg", "speedup-dram.bandwidth.svg", "speedup-spu.array.svg" }),
            "l1.capacity has one feasible value only, so no chart of it");
        byte[] first = File.ReadAllBytes(Path.Combine(o, "plots", "pareto-power.svg"));
        Assert.That(System.Text.Encoding.UTF8.GetString(first), Does.Contain("<svg").And.Contain("Pareto"));
        File.Delete(Path.Combine(o, "plots", "pareto-power.svg"));
        (code, string stdout, stderr) = Run("plot", Path.Combine(o, "sweep.csv"));
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("pareto-power.svg"));
        Assert.That(File.ReadAllBytes(Path.Combine(o, "plots", "pareto-power.svg")), Is.EqualTo(first));
        (code, _, stderr) = Run("plot", o);
        Assert.That(code, Is.EqualTo(0), stderr);
    }

    [Test]
    [Category("Quick")]
    public void CommandLineErrorsAreOneClearMessage()
    {
        (int code, _, string stderr) = Run("sweep", "--set", "spu.nope=1,2", "--out", Path.Combine(Dir, "o"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--set spu.nope: \"spu.nope\" is not a configuration value"));
        (code, _, stderr) = Run("sweep", "--shard", "3/3", "--out", Path.Combine(Dir, "o"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("--shard: expected i/n with 0 <= i < n"));
        string spec = Write("s.json", """{ "workloads": ["convnet"] }""");
        (code, _, stderr) = Run("sweep", spec, "--set", "spu.rows=8,16", "--out", Path.Combine(Dir, "o"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("not both"));
        (code, _, stderr) = Run("sweep", "--workload", "convnet,resnet51", "--out", Path.Combine(Dir, "o"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("sweep workloads: unknown workload 'resnet51'"));
        (code, _, stderr) = Run("sweep", "--workload", "convnet", "--sku", "S4,S5", "--out", Path.Combine(Dir, "o"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("sweep skus: ").And.Contain("unknown SKU \"S5\""));
        (code, _, stderr) = Run("sweep", "--workload", "convnet", "--mode", "sideways", "--out", Path.Combine(Dir, "o"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("sweep modes: expected a partition mode"));
        File.WriteAllText(Path.Combine(Dir, "precious.txt"), "x");
        (code, _, stderr) = Run("sweep", spec, "--out", Dir);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain("holds no sweep"));
    }

    [Test]
    [Category("Quick")]
    public void ShippedSweepSpecsParse()
    {
        string root = RepoRoot();
        string[] specs = Directory.GetFiles(Path.Combine(root, "traces", "sweeps"), "*.json");
        Assert.That(specs, Is.Not.Empty);
        foreach (string f in specs)
        {
            SweepSpec s = SweepSpec.Load(f);
            Assert.That(s.Points, Is.Not.Empty, f);
        }

        Assert.That(SweepSpec.Load(Path.Combine(root, "traces", "sweeps", "resnet50-array-dram-s4.json")).Points, Has.Count.EqualTo(256));
    }

    /// <summary>
    /// The real single-node Slurm run: deploy/slurm/test-local.sh installs Debian's munge and Slurm (root, apt),
    /// starts the daemons, submits the sweep as a job array and a merge job, and compares the merged result with a
    /// single-machine run byte for byte. A missing prerequisite fails the test (the script exits non-zero).
    /// </summary>
    [Test]
    [Category("Long")]
    [CancelAfter(900_000)]
    public void SlurmJobArrayMergesToTheSingleMachineResult()
    {
        string root = RepoRoot();
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(root, "deploy", "slurm", "test-local.sh"));
        psi.Environment["ANTOUM"] = (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") + " " + Path.Combine(AppContext.BaseDirectory, "antoum.dll");
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        string all = output + err.Result;
        TestContext.Out.WriteLine(all);
        Assert.That(p.ExitCode, Is.EqualTo(0), all);
        Assert.That(output, Does.Contain("slurm-local-test: PASS"));
        Assert.That(output, Does.Contain("equals the single-machine run byte for byte"));
    }

    private static string RepoRoot()
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
}
