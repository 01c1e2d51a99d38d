using System.Text.Json;
using Antoum.Firmware.Workloads;
using Antoum.Sim.Chip;
using Antoum.Sim.Pipelines;
using Antoum.Tests.Cli;
using NUnit.Framework;

namespace Antoum.Tests.Codec;

/// <summary><c>antoum run --workload video-analytics | jpeg-classify</c>: outputs, determinism and bad input.</summary>
[TestFixture]
[Category("Quick")]
[Category("Codec")]
public class PipelineCliTests : CliTestBase
{
    [Test]
    public void VideoAnalytics_WritesOutputsDeterministically()
    {
        string a = Path.Combine(Dir, "a"), b = Path.Combine(Dir, "b");
        string[] common = ["run", "--sku", "S4", "--workload", "video-analytics", "--streams", "5", "--frames", "4", "--classifier", "mlp", "--classifier-batch", "4"];
        (int code, string stdout, string stderr) = Run([.. common, "--out", a]);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("real time       HOLDS: 5 of 5 streams").And.Contain("bottleneck      decode"));
        (code, _, stderr) = Run([.. common, "--out", b]);
        Assert.That(code, Is.EqualTo(0), stderr);
        foreach (string f in new[] { "summary.json", "frames.csv", "streams.csv", "blocks.csv", "power.csv", "stats.txt" })
        {
            Assert.That(File.ReadAllBytes(Path.Combine(b, f)), Is.EqualTo(File.ReadAllBytes(Path.Combine(a, f))), f);
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(a, "summary.json")));
        JsonElement r = doc.RootElement.GetProperty("results");
        Assert.That(r.GetProperty("frames").GetInt32(), Is.EqualTo(20));
        Assert.That(r.GetProperty("realTimeAllStreams").GetBoolean(), Is.True);
        Assert.That(File.ReadAllLines(Path.Combine(a, "frames.csv")), Has.Length.EqualTo(21));
        Assert.That(File.ReadAllText(Path.Combine(a, "blocks.csv")), Does.Contain(",codec,"));
    }

    [Test]
    public void JpegClassify_DecodesAFolderOfRealFiles()
    {
        string jpegs = Path.Combine(Antoum.Tests.Isa.KernelTests.RepoRoot()!, "tests", "jpeg");
        string o = Path.Combine(Dir, "j");
        (int code, string stdout, string stderr) = Run("run", "--sku", "S4", "--workload", "jpeg-classify", "--images", jpegs, "--frames", "26", "--classifier", "mlp", "--out", o);
        Assert.That(code, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("decode capacity"));
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(o, "summary.json")));
        Assert.That(doc.RootElement.GetProperty("pipeline").GetProperty("imageFiles").GetArrayLength(), Is.EqualTo(Directory.GetFiles(jpegs, "*.jpg").Length));
    }

    [TestCase("--images", "tests/jpeg/bad/progressive.jpg", "byte 158 (0x9E): progressive JPEG")]
    [TestCase("--codec", "vp9", "--codec: expected h264 or h265")]
    [TestCase("--bitrate", "fast", "--bitrate: expected a bit rate")]
    [TestCase("--resolution", "1920", "--resolution: expected WIDTHxHEIGHT")]
    [TestCase("--streams", "0", "--streams: must be 1-100000")]
    public void BadInput_ExitsTwoWithOneMessage(string option, string value, string message)
    {
        if (value.StartsWith("tests/", StringComparison.Ordinal))
        {
            value = Path.Combine(Antoum.Tests.Isa.KernelTests.RepoRoot()!, value);
        }

        string workload = option == "--images" ? "jpeg-classify" : "video-analytics";
        (int code, _, string stderr) = Run("run", "--sku", "S4", "--workload", workload, option, value, "--classifier", "mlp", "--out", Path.Combine(Dir, "x"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(stderr, Does.Contain(message));
        Assert.That(Directory.Exists(Path.Combine(Dir, "x")), Is.False, "no output folder on bad input");
    }

    [Test]
    public void Bitrate_Parses()
    {
        Assert.That(Antoum.Sim.Cli.PipelineCommand.ParseBitrate("8Mbit/s"), Is.EqualTo(1_000_000UL));
        Assert.That(Antoum.Sim.Cli.PipelineCommand.ParseBitrate("500kbit/s"), Is.EqualTo(62_500UL));
        Assert.That(Antoum.Sim.Cli.PipelineCommand.ParseBitrate("2MB/s"), Is.EqualTo(2_000_000UL));
    }
}

/// <summary>The pipelines with the real compiled ResNet-50 classifier on S30 (the documented SKU).</summary>
[TestFixture]
[Category("Long")]
[Category("Codec")]
public class PipelineResNetTests
{
    [Test]
    public void S30_WithResNet50_HoldsAt192FailsAt193AndDecodesJpegAtThePublishedRate()
    {
        CardParameters card = VideoAndPipelineTests.Card("S30");
        ClassifierModel rn50 = PipelineClassifier.FromNetwork(card, Networks.Resolve("resnet50"), 48);
        Assert.That(rn50.BatchPs, Is.GreaterThan(0));
        Assert.That(rn50.Blocks.Count(b => b.Kind == "spu"), Is.EqualTo(96));

        PipelineResult at = VideoAndPipelineTests.Video(card, 192, rn50);
        PipelineResult past = VideoAndPipelineTests.Video(card, 193, rn50);
        Assert.That(at.RealTimeAll, Is.True);
        Assert.That(past.RealTimeAll, Is.False);
        Assert.That(at.SustainedFps, Is.EqualTo(5760).Within(10).Percent);
        if (at.ClassifierCapacityFps > 1.1 * at.DecodeCapacityFps)
        {
            Assert.That(at.Bottleneck.Stage, Is.EqualTo("decode"));
        }

        PipelineResult j = VideoAndPipelineTests.Jpeg(card, Antoum.Sim.Cli.PipelineCommand.ShippedImage(), 12 * 96, rn50);
        Assert.That(j.SustainedFps, Is.EqualTo(Math.Min(6960, j.ClassifierCapacityFps)).Within(10).Percent);
    }
}
