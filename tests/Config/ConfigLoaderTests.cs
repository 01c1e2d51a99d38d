using Antoum.Sim.Config;
using Microsoft.Extensions.Configuration;
using NUnit.Framework;

namespace Antoum.Tests.Config;

[TestFixture]
[Category("Quick")]
[Category("Config")]
public class ConfigLoaderTests
{
    private static readonly string[] s_skus = ["S4", "S10", "S30"];

    private static ResolvedConfig LoadShipped(string sku, params string[] sets)
    {
        return ConfigLoader.Load(sku, sets, ConfigTestFiles.ShippedDir);
    }

    [TestCaseSource(nameof(s_skus))]
    public void ShippedSku_LoadsAndValidates(string sku)
    {
        ResolvedConfig r = LoadShipped(sku);
        Assert.Multiple(() =>
        {
            Assert.That(r.Config.Sku.Name, Is.EqualTo(sku));
            Assert.That(r.Config.Chip.Clock.Hertz, Is.EqualTo(900_000_000UL));
            Assert.That(r.Config.Chip.TotalSpus, Is.EqualTo(32));
            Assert.That(r.Config.Chip.Spu.MacsPerCycle, Is.EqualTo(512));
            Assert.That(r.Config.Chip.Dram.Bandwidth.BytesPerSecond, Is.EqualTo(82_000_000_000UL));
            Assert.That(r.Config.Chip.Dram.BandwidthPerInterface.BytesPerSecond, Is.EqualTo(20_500_000_000UL));
            Assert.That(r.Files, Is.EqualTo(new[] { "configs/" + sku.ToLowerInvariant() + ".json", "configs/antoum.json" }));
            Assert.That(r.Entries.Count, Is.EqualTo(r.Entries.Select(e => e.Path).Distinct().Count()));
        });
    }

    [Test]
    public void SkuNames_AreCaseInsensitive_AndCardDataDiffers()
    {
        ResolvedConfig s4 = LoadShipped("s4");
        ResolvedConfig s10 = LoadShipped("S10");
        ResolvedConfig s30 = LoadShipped("s30");
        Assert.Multiple(() =>
        {
            Assert.That(s4.Config.Sku.Chips, Is.EqualTo(1));
            Assert.That(s10.Config.Sku.Chips, Is.EqualTo(2));
            Assert.That(s30.Config.Sku.Chips, Is.EqualTo(3));
            Assert.That(s4.Config.Sku.Tdp, Is.EqualTo(Power.Parse("70W")));
            Assert.That(s10.Config.Sku.Tdp, Is.EqualTo(Power.Parse("165W")));
            Assert.That(s30.Config.Sku.Tdp, Is.EqualTo(Power.Parse("250W")));
            Assert.That(s4.Config.Sku.HostLink.Generation, Is.EqualTo(3));
            Assert.That(s30.Config.Sku.HostLink.Generation, Is.EqualTo(4));
            Assert.That(s4.Config.Sku.HostLink.PayloadBandwidth.BytesPerSecond, Is.EqualTo(15_753_846_153UL));
        });
    }

    [Test]
    public void S10AndS30_DifferFromS4_OnlyInCardData()
    {
        ResolvedConfig s4 = LoadShipped("S4");
        foreach (string sku in new[] { "S10", "S30" })
        {
            ResolvedConfig other = LoadShipped(sku);
            string[] differing = s4.Entries.Zip(other.Entries)
                .Where(p => p.First.Value != p.Second.Value)
                .Select(p => p.First.Path)
                .ToArray();
            Assert.That(differing, Is.Not.Empty);
            Assert.That(differing, Has.All.StartsWith("sku."), sku);
            Assert.That(s4.Config.Chip, Is.EqualTo(other.Config.Chip).Using<ChipConfig>((a, b) => a.ToString() == b.ToString()));
        }
    }

    [TestCaseSource(nameof(s_skus))]
    public void ShippedConfigs_LabelEveryLeaf(string sku)
    {
        ResolvedConfig r = LoadShipped(sku);
        string[] unlabelled = r.Entries
            .Where(e => !ProvenanceLabels.FileLabels.Contains(e.Label) || e.Text.Length == 0)
            .Select(e => $"{e.Path} [{e.Label}]")
            .ToArray();
        Assert.That(unlabelled, Is.Empty, "every leaf of a shipped config must carry assumed/stated/derived/calibration with a reason");
    }

    [Test]
    public void Hash_IsStable_AndChangesWithAValue()
    {
        ResolvedConfig a = LoadShipped("S4");
        ResolvedConfig b = LoadShipped("S4");
        ResolvedConfig c = LoadShipped("S4", "spu.rows=32");
        ResolvedConfig d = LoadShipped("S4", "chip.spu.rows=16");
        Assert.Multiple(() =>
        {
            Assert.That(a.Hash, Has.Length.EqualTo(64));
            Assert.That(b.Hash, Is.EqualTo(a.Hash));
            Assert.That(c.Hash, Is.Not.EqualTo(a.Hash));
            Assert.That(d.Hash, Is.EqualTo(a.Hash), "the hash covers values, not provenance");
            Assert.That(LoadShipped("S10").Hash, Is.Not.EqualTo(a.Hash));
        });
    }

    [Test]
    public void Overrides_ApplyWithChipFallback_AndAreLabelled()
    {
        ResolvedConfig r = LoadShipped("S4", "spu.rows=32", "dram.bandwidth=41GB/s", "sku.chips=2", "SEED=7");
        Assert.Multiple(() =>
        {
            Assert.That(r.Config.Chip.Spu.Rows, Is.EqualTo(32));
            Assert.That(r.Config.Chip.Dram.Bandwidth, Is.EqualTo(Bandwidth.Parse("41GB/s")));
            Assert.That(r.Config.Sku.Chips, Is.EqualTo(2));
            Assert.That(r.Config.Seed, Is.EqualTo(7));
            Assert.That(r.Find("chip.spu.rows")!.Label, Is.EqualTo(ProvenanceLabels.Override));
            Assert.That(r.Find("chip.spu.rows")!.File, Is.EqualTo("--set"));
            Assert.That(r.Find("chip.spu.cols")!.Label, Is.EqualTo(ProvenanceLabels.Assumed));
        });
    }

    [Test]
    public void FormatTree_ShowsSectionsValuesAndLabels()
    {
        string tree = LoadShipped("S30").FormatTree();
        TestContext.Out.WriteLine(tree);
        Assert.Multiple(() =>
        {
            Assert.That(tree, Does.Contain("\nchip\n"));
            Assert.That(tree, Does.Contain("\n  spu\n"));
            Assert.That(tree, Does.Match(@"\n  clock\s+= 900MHz\s+\[assumed: not published; fits 943.6 TOPS"));
            Assert.That(tree, Does.Match(@"\n    rows\s+= 16\s+\[assumed:"));
            Assert.That(tree, Does.Contain("[stated: S2 'TDP: 250W'"));
            Assert.That(tree, Does.Not.Contain(Path.GetTempPath()));
            Assert.That(tree, Does.Not.Contain(AppContext.BaseDirectory));
        });
    }

    [Test]
    public void PartialFile_GetsDefaults_LabelledDefault_AndPlainValuesAreUnlabelled()
    {
        using var files = new ConfigTestFiles();
        string path = files.Write("mini.json", "{ 'chip': { 'clock': '1GHz', 'spu': { 'rows': { 'value': 8, 'calibration': 'fit' } } } }");
        ResolvedConfig r = ConfigLoader.Load(path);
        Assert.Multiple(() =>
        {
            Assert.That(r.Config.Chip.Clock.Hertz, Is.EqualTo(1_000_000_000UL));
            Assert.That(r.Find("chip.clock")!.Label, Is.EqualTo(ProvenanceLabels.Unlabelled));
            Assert.That(r.Find("chip.spu.rows")!.Label, Is.EqualTo(ProvenanceLabels.Calibration));
            Assert.That(r.Find("chip.spu.cols")!.Label, Is.EqualTo(ProvenanceLabels.Default));
            Assert.That(r.Entries.Select(e => e.Path), Is.EquivalentTo(LoadShipped("S4").Entries.Select(e => e.Path)));
            Assert.That(r.Files, Is.EqualTo(new[] { path }));
        });
    }

    [Test]
    public void Include_IsRelativeToTheIncludingFile_AndLaterFileWins()
    {
        using var files = new ConfigTestFiles();
        Directory.CreateDirectory(Path.Combine(files.Dir, "sub"));
        files.Write("sub/base.json", "{ 'chip': { 'clusters': 2, 'dram': { 'interfaces': 2 } }, 'seed': 3 }");
        string top = files.Write("top.json", "{ 'include': 'sub/base.json', 'seed': 9 }");
        ResolvedConfig r = ConfigLoader.Load(top);
        Assert.Multiple(() =>
        {
            Assert.That(r.Config.Chip.Clusters, Is.EqualTo(2));
            Assert.That(r.Config.Seed, Is.EqualTo(9));
            Assert.That(r.Find("chip.clusters")!.File, Does.EndWith("sub/base.json"));
        });
    }

    private static ConfigException LoadFails(string path, params string[] sets)
    {
        return Assert.Throws<ConfigException>(() => ConfigLoader.Load(path, sets, ConfigTestFiles.ShippedDir))!;
    }

    [Test]
    public void MissingFile_NamesThePath()
    {
        ConfigException ex = LoadFails("no/such/file.json");
        Assert.That(ex.Message, Does.Contain("file not found: no/such/file.json"));
    }

    [Test]
    public void MissingInclude_NamesBothFiles()
    {
        using var files = new ConfigTestFiles();
        string top = files.Write("top.json", "{ 'include': 'gone.json' }");
        ConfigException ex = LoadFails(top);
        Assert.That(ex.Message, Does.Contain("file not found").And.Contain("gone.json").And.Contain("included from"));
    }

    [Test]
    public void IncludeCycle_IsReported()
    {
        using var files = new ConfigTestFiles();
        files.Write("a.json", "{ 'include': 'b.json' }");
        files.Write("b.json", "{ 'include': 'a.json' }");
        ConfigException ex = LoadFails(Path.Combine(files.Dir, "a.json"));
        Assert.That(ex.Message, Does.Contain("include cycle"));
    }

    [Test]
    public void MalformedJson_ReportsLineAndColumn()
    {
        using var files = new ConfigTestFiles();
        string path = files.Write("bad.json", "{\n  'chip': {\n    'clock': '900MHz'\n    'clusters': 4\n  }\n}");
        ConfigException ex = LoadFails(path);
        Assert.That(ex.Message, Does.Contain("bad.json").And.Contain("malformed JSON at line 4, column 5"));
    }

    [Test]
    public void UnknownKey_ReportsDottedPathFileAndValidKeys()
    {
        using var files = new ConfigTestFiles();
        string path = files.Write("typo.json", "{ 'chip': { 'spu': { 'rowz': 16 } } }");
        ConfigException ex = LoadFails(path);
        Assert.Multiple(() =>
        {
            Assert.That(ex.JsonPath, Is.EqualTo("chip.spu.rowz"));
            Assert.That(ex.File, Is.EqualTo(path));
            Assert.That(ex.Message, Does.Contain("valid keys at chip.spu: rows, cols").And.Contain("nearest: rows"));
        });
    }

    [Test]
    public void UnknownKeyInIncludedFile_NamesThatFile()
    {
        using var files = new ConfigTestFiles();
        files.CopyShipped();
        string chip = Path.Combine(files.Dir, "antoum.json");
        File.WriteAllText(chip, File.ReadAllText(chip).Replace("\"hopLatency\"", "\"hopLatancy\"", StringComparison.Ordinal));
        ConfigException ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load("S4", [], files.Dir))!;
        Assert.That(ex.Message, Does.StartWith("configs/antoum.json: chip.noc.hopLatancy: unknown key"));
    }

    [TestCase("{ 'chip': { 'spu': 5 } }", "chip.spu", "is a section")]
    [TestCase("{ 'chip': { 'clock': { 'value': '1GHz' } } }", "chip.clock", "missing provenance label")]
    [TestCase("{ 'chip': { 'clock': { 'value': '1GHz', 'assumed': 'a', 'stated': 'b' } } }", "chip.clock", "2 provenance labels")]
    [TestCase("{ 'chip': { 'clock': { 'value': '1GHz', 'guessed': 'a' } } }", "chip.clock.guessed", "unexpected key")]
    [TestCase("{ 'chip': { 'clock': { 'stated': 'a' } } }", "chip.clock", "no \"value\"")]
    [TestCase("{ 'chip': { 'spu': { 'rows': 0 } } }", "chip.spu.rows", "must be in [1, 4096] (got 0)")]
    [TestCase("{ 'chip': { 'spu': { 'rows': -3 } } }", "chip.spu.rows", "(got -3)")]
    [TestCase("{ 'chip': { 'spu': { 'rows': 1.5 } } }", "chip.spu.rows", "expected an integer")]
    [TestCase("{ 'chip': { 'spu': { 'dataflow': 'rs' } } }", "chip.spu.dataflow", "must be one of os, ws, is")]
    [TestCase("{ 'chip': { 'clock': '0Hz' } }", "chip.clock", "must be > 0")]
    [TestCase("{ 'chip': { 'clock': '900' } }", "chip.clock", "has no unit")]
    [TestCase("{ 'chip': { 'dram': { 'bandwidth': '82GB' } } }", "chip.dram.bandwidth", "is a byte size, but a bandwidth is expected")]
    [TestCase("{ 'chip': { 'l1': { 'capacity': '64KB' } } }", "chip.l1.capacity", "use kB (10^3) or KiB (2^10)")]
    [TestCase("{ 'chip': { 'dram': { 'interfaces': 3 } } }", "chip.dram.interfaces", "must equal chip.clusters")]
    [TestCase("{ 'sku': { 'hostLink': { 'lanes': 12 } } }", "sku.hostLink.lanes", "must be one of 1, 2, 4")]
    [TestCase("{ 'sku': { 'hostLink': { 'encodingEfficiency': '130/128' } } }", "sku.hostLink.encodingEfficiency", "must be in (0, 1]")]
    [TestCase("{ 'sku': { 'tdp': '-70W' } }", "sku.tdp", "negative")]
    [TestCase("{ 'seed': 'x' }", "seed", "expected an integer")]
    [TestCase("{ 'chip': { 'clock': null } }", "chip.clock", "null is not a value")]
    [TestCase("{ 'chip': { 'clock': { 'value': '', 'assumed': 'x' } } }", "chip.clock", "empty value")]
    public void BadValue_ReportsFilePathAndProblem(string json, string path, string fragment)
    {
        using var files = new ConfigTestFiles();
        string file = files.Write("bad.json", json);
        ConfigException ex = LoadFails(file);
        Assert.Multiple(() =>
        {
            Assert.That(ex.JsonPath, Is.EqualTo(path));
            Assert.That(ex.File, Is.EqualTo(file));
            Assert.That(ex.Message, Does.Contain(fragment));
        });
    }

    [Test]
    public void BinderConversionFailure_BecomesConfigExceptionWithPathAndUnitProblem()
    {
        var data = new Dictionary<string, string?> { ["chip:clock"] = "900KHz" };
        IConfigurationRoot root =
            new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        InvalidOperationException binderError = Assert.Throws<InvalidOperationException>(
            () => root.Get<SimConfig>())!;
        ConfigException ex = ConfigLoader.FromBinderError(binderError, _ => "x.json");
        Assert.That(ex.Message, Is.EqualTo("x.json: chip.clock: \"900KHz\": unit \"KHz\" is ambiguous: use kHz (10^3)"));
    }

    [Test]
    public void UnknownSku_ListsKnownOnes()
    {
        ConfigException ex = LoadFails("S5");
        Assert.That(ex.Message, Does.Contain("unknown SKU \"S5\"").And.Contain("S4, S10, S30"));
        Assert.That(LoadFails("antoum").Message, Does.Contain("unknown SKU"));
    }

    [TestCase("nosuch.key=1", "unknown key")]
    [TestCase("spu.rowz=1", "nearest: chip.spu.rows")]
    [TestCase("spu=1", "is a section")]
    [TestCase("spu.rows", "expected path=value")]
    [TestCase("spu.rows=abc", "expected an integer")]
    [TestCase("dram.bandwidth=41GB", "is a byte size, but a bandwidth is expected")]
    [TestCase("spu.rows=0", "must be in [1, 4096]")]
    public void BadOverride_IsReported(string set, string fragment)
    {
        ConfigException ex = LoadFails("S4", set);
        Assert.That(ex.Message, Does.StartWith("--set").And.Contain(fragment));
    }

    [Test]
    public void ConfigsDir_ComesFromEnvironmentWhenSet()
    {
        string? old = Environment.GetEnvironmentVariable(ConfigLoader.ConfigsDirEnvVar);
        try
        {
            Environment.SetEnvironmentVariable(ConfigLoader.ConfigsDirEnvVar, "/some/where");
            Assert.That(ConfigLoader.DefaultConfigsDirectory(), Is.EqualTo("/some/where"));
            Environment.SetEnvironmentVariable(ConfigLoader.ConfigsDirEnvVar, null);
            Assert.That(ConfigLoader.DefaultConfigsDirectory(), Is.EqualTo(Path.Combine(AppContext.BaseDirectory, "configs")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ConfigLoader.ConfigsDirEnvVar, old);
        }
    }

    [Test]
    public void EveryConfigProperty_HasADescription()
    {
        string reference = ConfigReference.Generate(ConfigTestFiles.ShippedDir);
        foreach (ConfigEntry e in LoadShipped("S4").Entries)
        {
            Assert.That(reference, Does.Contain("| `" + e.Path + "` |"));
        }
    }
}
