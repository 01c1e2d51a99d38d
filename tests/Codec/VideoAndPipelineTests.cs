using Antoum.Isa;
using Antoum.Sim.Blocks.Codec;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Pipelines;
using NUnit.Framework;

namespace Antoum.Tests.Codec;

/// <summary>Video decoder timing and the decode → preprocess → classify pipelines (docs/codec.md).</summary>
[TestFixture]
[Category("Quick")]
[Category("Codec")]
public class VideoAndPipelineTests
{
    private static readonly VideoDecoderConfig s_video = new();

    internal static CardParameters Card(string sku) => CardParameters.FromConfig(ConfigLoader.Load(sku).Config);

    /// <summary>A classifier that never limits the pipeline (1 µs per batch of 64), so decode capacity is what is tested.</summary>
    internal static ClassifierModel FastClassifier => new("test", 64, 1_000_000);

    [Test]
    public void VideoFrame_EqualsPerBlockArithmetic()
    {
        // 1080p H.264: 120 x 68 macroblocks; H.265: 30 x 17 CTUs.
        (long pBits, VideoFrameType pType) = VideoDecoderModel.FrameBits(s_video, 1_000_000, 30, 1);
        (long iBits, VideoFrameType iType) = VideoDecoderModel.FrameBits(s_video, 1_000_000, 30, 30);
        Assert.That((pType, iType), Is.EqualTo((VideoFrameType.P, VideoFrameType.I)));
        long expectP = 8_000_000L * 30 / (30 * (30 - 1 + 4));
        Assert.That(pBits, Is.EqualTo(expectP));
        Assert.That(iBits, Is.EqualTo(4 * expectP));

        VideoFrameCost p = VideoDecoderModel.Frame(s_video, VideoCodec.H264, 1920, 1080, pBits, VideoFrameType.P);
        Assert.That(p.Blocks, Is.EqualTo(120 * 68));
        Assert.That(p.Cycles, Is.EqualTo(2000 + Math.Max(pBits, 120 * 68 * 882L)));
        Assert.That(p.BytesWritten, Is.EqualTo(120 * 68 * 384L));
        Assert.That(p.BytesRead, Is.EqualTo(((pBits + 7) / 8) + (120 * 68 * 384L * 2)));
        VideoFrameCost i = VideoDecoderModel.Frame(s_video, VideoCodec.H264, 1920, 1080, iBits, VideoFrameType.I);
        Assert.That(i.BytesRead, Is.EqualTo((iBits + 7) / 8), "an I frame reads no reference");

        VideoFrameCost h = VideoDecoderModel.Frame(s_video, VideoCodec.H265, 1920, 1080, pBits, VideoFrameType.P);
        Assert.That(h.Blocks, Is.EqualTo(30 * 17));
        Assert.That(h.Cycles, Is.EqualTo(2000 + Math.Max(pBits, 30 * 17 * 14112L)));
    }

    [Test]
    public void EntropyCost_GrowsWithBitrate()
    {
        long last = 0;
        long lastEntropy = 0;
        foreach (ulong mbit in new ulong[] { 1, 8, 64, 256, 512, 1024 })
        {
            (long bits, _) = VideoDecoderModel.FrameBits(s_video, mbit * 125_000, 30, 0);
            VideoFrameCost c = VideoDecoderModel.Frame(s_video, VideoCodec.H264, 1920, 1080, bits, VideoFrameType.I);
            Assert.That(c.EntropyCycles, Is.GreaterThan(lastEntropy));
            Assert.That(c.Cycles, Is.GreaterThanOrEqualTo(last));
            last = c.Cycles;
            lastEntropy = c.EntropyCycles;
        }

        Assert.That(last, Is.GreaterThan(2000 + (120 * 68 * 882L)), "at 1 Gbit/s the I frame is entropy-bound");
    }

    /// <summary>Each frame's decode in the pipeline takes its model cycles at the clock (DRAM is not binding at one stream).</summary>
    [Test]
    public void Pipeline_DecodeTimeEqualsModel()
    {
        CardParameters card = Card("S4");
        var o = new PipelineOptions { Kind = PipelineKind.VideoAnalytics, Streams = 1, Fps = 30, Frames = 31 };
        var m = new PipelineModel(card, o, FastClassifier);
        PipelineResult r = m.Run();
        foreach (FrameRecord f in r.Frames)
        {
            long cycles = m.VideoFrame(f.Index).Cycles;
            Assert.That(f.DecodeCycles, Is.EqualTo(cycles));
            ulong ps = (ulong)(((UInt128)(ulong)cycles * 1_000_000_000_000UL + card.ClockHz - 1) / card.ClockHz);
            Assert.That(f.DecodeEndPs - f.DecodeStartPs, Is.EqualTo(ps));
            Assert.That(f.DecodeStartPs, Is.EqualTo(f.ArrivalPs), "an idle core starts at once");
        }

        Assert.That(r.RealTimeAll, Is.True);
    }

    /// <summary>
    /// Real time flips exactly at capacity: every decoder core holds 4 default 1080p30 streams and not 5, so S4 holds 64
    /// streams and fails at 65, S10 128/129, S30 192/193; capacity scales with the chips.
    /// </summary>
    [TestCase("S4", 64)]
    [TestCase("S10", 128)]
    [TestCase("S30", 192)]
    public void RealTime_FlipsAtCapacity(string sku, int capacity)
    {
        CardParameters card = Card(sku);
        PipelineResult at = Video(card, capacity);
        PipelineResult past = Video(card, capacity + 1);
        Assert.That(at.RealTimeAll, Is.True, $"{sku} at {capacity} streams");
        Assert.That(at.DecodeCapacityStreams, Is.EqualTo(capacity));
        Assert.That(past.RealTimeAll, Is.False, $"{sku} at {capacity + 1} streams");
        Assert.That(past.RealTimeStreams, Is.EqualTo(capacity + 1 - 5), "the 5 streams of the overloaded core fail");
        Assert.That(past.Bottleneck.Stage, Is.EqualTo("decode"));
        Assert.That(at.SustainedFps, Is.EqualTo(capacity * 30.0).Within(2).Percent);
    }

    [Test]
    public void DecodeCapacity_ScalesWithChips()
    {
        double s4 = Video(Card("S4"), 1).DecodeCapacityFps;
        Assert.That(Video(Card("S10"), 1).DecodeCapacityFps, Is.EqualTo(2 * s4).Within(1e-9).Percent);
        Assert.That(Video(Card("S30"), 1).DecodeCapacityFps, Is.EqualTo(3 * s4).Within(1e-9).Percent);
        JpegImage img = Antoum.Sim.Cli.PipelineCommand.ShippedImage();
        double j4 = Jpeg(Card("S4"), img, 8).DecodeCapacityFps;
        Assert.That(Jpeg(Card("S10"), img, 8).DecodeCapacityFps, Is.EqualTo(2 * j4).Within(1e-9).Percent);
        Assert.That(Jpeg(Card("S30"), img, 8).DecodeCapacityFps, Is.EqualTo(3 * j4).Within(1e-9).Percent);
    }

    /// <summary>The documented SKU (S30) with the default configuration: 192 x 1080p30 and ~6,960 1080p JPEG/s, within ±10 %.</summary>
    [Test]
    public void S30_MeetsPublishedCapacities()
    {
        CardParameters card = Card("S30");
        PipelineResult v = Video(card, 192);
        Assert.That(v.DecodeCapacityFps / 30, Is.EqualTo(192).Within(10).Percent);
        Assert.That(v.DecodeCapacityStreams, Is.EqualTo(192));
        Assert.That(v.SustainedFps, Is.EqualTo(5760).Within(10).Percent);

        PipelineResult j = Jpeg(card, Antoum.Sim.Cli.PipelineCommand.ShippedImage(), 12 * 96);
        Assert.That(j.DecodeCapacityFps, Is.EqualTo(6960).Within(10).Percent);
        Assert.That(j.SustainedFps, Is.EqualTo(6960).Within(10).Percent);
        Assert.That(j.Bottleneck.Stage, Is.EqualTo("decode"));
    }

    [Test]
    public void CodecActivity_AppearsInBlocksAndPower()
    {
        CardParameters card = Card("S4");
        PipelineResult r = Video(card, 16);
        string csv = Antoum.Sim.Reporting.BlocksCsv.Format(r.Sim.Stats, r.ElapsedPs);
        Assert.That(csv, Does.Contain("chip0.cluster3.codec.core3,codec,"));
        Assert.That(csv, Does.Contain("chip0.cluster0.vpu,vpu,"));
        Antoum.Sim.Power.EnergyTable table = Antoum.Sim.Power.EnergyTable.Load();
        var power = Antoum.Sim.Power.PowerModel.Estimate(r.Sim.Stats, r.ElapsedPs, card.Chips, card.VpuLanes, card.TdpMilliwatts, r.Frames.Count, table);
        double pixels = 16 * 30 * 1920.0 * 1080;

        // 150 pJ per decoded pixel, times the card-level calibration term (it scales every on-chip action).
        Assert.That(power.Items.Single(i => i.Category == "codec").Joules, Is.EqualTo(pixels * 150e-12 * table.DynamicOverheadFactor).Within(1e-9).Percent);
        Assert.That(power.Items.Single(i => i.Category == "clock.codec").Joules, Is.GreaterThan(0));
    }

    [Test]
    public void Classifier_BatchesAndReplaysActivity()
    {
        CardParameters card = Card("S4");
        var cls = new ClassifierModel("fake", 8, 2_000_000_000)
        {
            Blocks = [new ClassifierActivity("chip0.cluster0.spu0", "spu", card.ClockHz, 1_000_000_000, 0, 10, 20)],
            Counters = [("chip0.cluster0.spu0.issuedMacs", "MACs", "test", 1000)],
        };
        var o = new PipelineOptions { Kind = PipelineKind.VideoAnalytics, Streams = 8, Fps = 30, Frames = 3 };
        PipelineResult r = new PipelineModel(card, o, cls).Run();
        Assert.That(r.Frames.Count, Is.EqualTo(24));
        Assert.That(r.Frames.All(f => f.DonePs >= f.PreprocessEndPs + 2_000_000_000UL));
        long macs = ((Antoum.Sim.Stats.Counter)r.Sim.Stats.Find("chip0.cluster0.spu0.issuedMacs")!).Value;
        Assert.That(macs, Is.EqualTo(1000L * r.Batches));
        Assert.That(r.Sim.Stats.Blocks.Single(b => b.Name == "chip0.cluster0.spu0").BusyPs(), Is.EqualTo(1_000_000_000UL * (ulong)r.Batches));
        Assert.That(r.Batches, Is.GreaterThanOrEqualTo(3));
    }

    internal static PipelineResult Video(CardParameters card, int streams, ClassifierModel? cls = null) =>
        new PipelineModel(card, new PipelineOptions { Kind = PipelineKind.VideoAnalytics, Streams = streams, Fps = 30, Frames = 30 }, cls ?? FastClassifier).Run();

    internal static PipelineResult Jpeg(CardParameters card, JpegImage image, int images, ClassifierModel? cls = null) =>
        new PipelineModel(card, new PipelineOptions { Kind = PipelineKind.JpegClassify, Fps = 0, Frames = images, Images = [image] }, cls ?? FastClassifier).Run();
}

/// <summary>The ISA's vdec and jdec on a codec engine take the decoder models' cycles.</summary>
[TestFixture]
[Category("Quick")]
[Category("Codec")]
public class CodecInstructionTests
{
    [Test]
    public void VdecAndJdec_TakeTheModelCycles()
    {
        CardParameters p = VideoAndPipelineTests.Card("S4");
        string text = ".engine codec.1\n vdec h265, dram[0], 1920, 1080, 300000\n vdec h264, dram[0], 1280, 720, 2000000\n jdec dram[0], dram[0x1000000], 90000, 1920, 1080, s422\n end\n";
        Antoum.Isa.AkpProgram program = Antoum.Isa.Assembler.Assemble(text, "codec.s");
        ProgramModel model = ProgramRunner.Build(p, program, "codec.s");
        ProgramSummary s = ProgramRunner.Run(model, ulong.MaxValue, ulong.MaxValue);
        long expected = VideoDecoderModel.Frame(p.Codec.Video, VideoCodec.H265, 1920, 1080, 300000, VideoFrameType.P).Cycles
            + VideoDecoderModel.Frame(p.Codec.Video, VideoCodec.H264, 1280, 720, 2000000, VideoFrameType.P).Cycles
            + JpegDecoderModel.Uniform(p.Codec.Jpeg, 90000, 1920, 1080, 1).Cycles;
        Assert.That(s.Engines.Single().BusyCycles, Is.EqualTo(expected));

        // Closed forms: 510 CTUs x 14112 + 2000; 1280x720 = 80 x 45 macroblocks, entropy-bound at 2 Mbit; 4:2:2 1080p:
        // 120 x 135 MCUs x 116 cycles against 720,000 bits / 2.
        Assert.That(expected, Is.EqualTo((2000 + (510 * 14112L)) + (2000 + Math.Max(2_000_000L, 80 * 45 * 882L)) + (2000 + Math.Max(360_000L, 120 * 135 * 116L))));
    }
}
