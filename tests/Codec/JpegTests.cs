using System.Text.Json;
using Antoum.Sim.Blocks.Codec;
using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Codec;

/// <summary>The JPEG reader and the JPEG decoder timing on the real files of tests/jpeg/ (made with cjpeg, see its README).</summary>
[TestFixture]
[Category("Quick")]
[Category("Codec")]
public class JpegTests
{
    private static readonly JpegDecoderConfig s_cfg = new();

    private static string JpegDir => Path.Combine(Antoum.Tests.Isa.KernelTests.RepoRoot() ?? throw new InvalidOperationException("repository root (AntoumSim.sln) not found"), "tests", "jpeg");

    private static JpegImage Load(string name) => JpegImage.Load(Path.Combine(JpegDir, name));

    [TestCase("flat-256x192-420.jpg", 256, 192, "4:2:0", 16, 16, 6, 0)]
    [TestCase("gradient-97x61-420.jpg", 97, 61, "4:2:0", 16, 16, 6, 0)]
    [TestCase("plasma-256x192-422.jpg", 256, 192, "4:2:2", 16, 8, 4, 0)]
    [TestCase("plasma-256x192-444.jpg", 256, 192, "4:4:4", 8, 8, 3, 0)]
    [TestCase("plasma-64x64-gray.jpg", 64, 64, "gray", 8, 8, 1, 0)]
    [TestCase("plasma-256x192-420-restart.jpg", 256, 192, "4:2:0", 16, 16, 6, 16)]
    public void Headers_GiveSizeSamplingAndMcus(string file, int w, int h, string sampling, int mw, int mh, int blocks, int restart)
    {
        JpegImage i = Load(file);
        Assert.That((i.Width, i.Height, i.Sampling, i.McuWidth, i.McuHeight, i.BlocksPerMcu, i.RestartInterval), Is.EqualTo((w, h, sampling, mw, mh, blocks, restart)));
        Assert.That(i.Mcus, Is.EqualTo(((w + mw - 1) / mw) * ((h + mh - 1) / mh)));
        Assert.That(i.McuBits, Has.Count.EqualTo(i.Mcus));
        Assert.That(i.IntervalBits, Has.Count.EqualTo(restart == 0 ? 1 : (i.Mcus + restart - 1) / restart));
    }

    /// <summary>
    /// The Huffman walk accounts for every byte of the entropy-coded segment: the MCUs' bits (codes, extra bits,
    /// stuffed zero bytes, interval padding) are exactly 8 x (segment bytes - EOI - the RST markers). A walk that
    /// lost or invented bits, or ended early or late, would not add up.
    /// </summary>
    [Test]
    public void HuffmanWalk_AccountsForEveryEntropyByte()
    {
        foreach (string f in GoodFiles())
        {
            JpegImage i = JpegImage.Load(f);
            long sum = 0;
            foreach (int b in i.McuBits)
            {
                Assert.That(b, Is.GreaterThan(0), f);
                sum += b;
            }

            long intervals = i.IntervalBits.Count;
            Assert.That(sum, Is.EqualTo(8 * (i.EntropyBytes - 2 - (2 * (intervals - 1)))), Path.GetFileName(f));
            Assert.That(i.IntervalBits.Sum(), Is.EqualTo(sum), Path.GetFileName(f));
        }
    }

    [Test]
    public void BadFiles_FailWithTheManifestOffsetAndError()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(JpegDir, "bad", "manifest.json")));
        int n = 0;
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            string file = c.GetProperty("file").GetString()!;
            string path = Path.Combine(JpegDir, "bad", file);
            JpegFormatException e = Assert.Throws<JpegFormatException>(() => JpegImage.Load(path))!;
            Assert.That(e.Offset, Is.EqualTo(c.GetProperty("offset").GetInt64()), file);
            Assert.That(e.Message, Does.Contain(c.GetProperty("error").GetString()!), file);
            Assert.That(e.Message, Does.StartWith(path + ": byte " + e.Offset), file);
            Assert.That(e, Is.InstanceOf<UserInputException>());
            n++;
        }

        Assert.That(n, Is.EqualTo(Directory.GetFiles(Path.Combine(JpegDir, "bad"), "*.jpg").Length), "every bad file is in the manifest");
    }

    /// <summary>Every proper prefix of a real file, and every single-byte change in its headers, is a clean JPEG error or a valid parse.</summary>
    [Test]
    public void TruncationAndCorruption_NeverCrash()
    {
        byte[] data = File.ReadAllBytes(Path.Combine(JpegDir, "gradient-97x61-420.jpg"));
        for (int len = 0; len < data.Length; len++)
        {
            byte[] prefix = data[..len];
            Assert.Throws<JpegFormatException>(() => JpegParser.Parse(prefix, "prefix"), $"prefix of {len} bytes");
        }

        var rng = new Random(8);
        for (int k = 0; k < 1000; k++)
        {
            byte[] copy = (byte[])data.Clone();
            int at = rng.Next(copy.Length);
            copy[at] = (byte)rng.Next(256);
            try
            {
                JpegImage i = JpegParser.Parse(copy, "mutant");
                Assert.That(i.Mcus, Is.GreaterThan(0));
            }
            catch (JpegFormatException)
            {
            }
        }
    }

    /// <summary>Image cycles equal the per-block arithmetic, recomputed here from the file's measured bits.</summary>
    [Test]
    public void DecodeTime_EqualsPerBlockArithmetic()
    {
        foreach (string f in GoodFiles())
        {
            JpegImage i = JpegImage.Load(f);
            int mcuPixels = i.McuWidth * i.McuHeight;
            long recon = i.Mcus * ((i.BlocksPerMcu * 21L) + ((mcuPixels + 3) / 4));

            // Entropy: intervals in order to the earliest-free of 2 lanes.
            long lane0 = 0, lane1 = 0;
            foreach (long bits in i.IntervalBits)
            {
                long cycles = (bits + 1) / 2;
                if (lane1 < lane0)
                {
                    lane1 += cycles;
                }
                else
                {
                    lane0 += cycles;
                }
            }

            long expected = 2000 + Math.Max(Math.Max(lane0, lane1), recon);
            JpegImageCost c = JpegDecoderModel.Image(s_cfg, i);
            Assert.That(c.Cycles, Is.EqualTo(expected), Path.GetFileName(f));
            Assert.That(c.BytesRead, Is.EqualTo(new FileInfo(f).Length));
            Assert.That(c.BytesWritten, Is.EqualTo(i.Mcus * i.BlocksPerMcu * 64L));
        }
    }

    [Test]
    public void McuCosts_ForEachSampling()
    {
        // blocks x 21 + MCU pixels / 4: 4:2:0 6 blocks of a 16x16 MCU, 4:2:2 4 of 16x8, 4:4:4 3 of 8x8.
        Assert.That(JpegDecoderModel.McuCycles(s_cfg, 6, 256), Is.EqualTo(190));
        Assert.That(JpegDecoderModel.McuCycles(s_cfg, 4, 128), Is.EqualTo(116));
        Assert.That(JpegDecoderModel.McuCycles(s_cfg, 3, 64), Is.EqualTo(79));
        Assert.That(JpegDecoderModel.Image(s_cfg, Load("plasma-256x192-422.jpg")).ReconstructionCycles, Is.EqualTo(16 * 24 * 116));
        Assert.That(JpegDecoderModel.Image(s_cfg, Load("plasma-256x192-444.jpg")).ReconstructionCycles, Is.EqualTo(32 * 24 * 79));
    }

    /// <summary>
    /// Same size and sampling: decode time never falls as the compressed size grows, and it rises strictly once the
    /// images are entropy-bound (the noise images at three qualities).
    /// </summary>
    [Test]
    public void DecodeTime_OrdersByCompressedSize()
    {
        string[] names =
        [
            "flat-256x192-420.jpg", "gradient-256x192-420.jpg", "plasma-256x192-420-optimized.jpg", "plasma-256x192-420.jpg",
            "noise-256x192-420-q50.jpg", "noise-256x192-420-q75.jpg", "noise-256x192-420-q90.jpg",
        ];
        var rows = names.Select(n => (Name: n, Bytes: new FileInfo(Path.Combine(JpegDir, n)).Length, Cost: JpegDecoderModel.Image(s_cfg, Load(n)))).OrderBy(r => r.Bytes).ToList();
        for (int k = 1; k < rows.Count; k++)
        {
            Assert.That(rows[k].Cost.Cycles, Is.GreaterThanOrEqualTo(rows[k - 1].Cost.Cycles), rows[k].Name);
            if (rows[k - 1].Cost.EntropyCycles > rows[k - 1].Cost.ReconstructionCycles)
            {
                Assert.That(rows[k].Cost.Cycles, Is.GreaterThan(rows[k - 1].Cost.Cycles), rows[k].Name);
            }
        }

        Assert.That(rows[^1].Cost.Cycles, Is.GreaterThan(3 * rows[0].Cost.Cycles), "the noisiest image is entropy-bound");
    }

    [Test]
    public void RestartIntervals_SplitEntropyOverLanes()
    {
        JpegImage plain = Load("plasma-256x192-420.jpg");
        JpegImage restart = Load("plasma-256x192-420-restart.jpg");
        long oneLane = JpegDecoderModel.EntropyMakespan(s_cfg, [restart.IntervalBits.Sum()]);
        long twoLanes = JpegDecoderModel.EntropyMakespan(s_cfg, restart.IntervalBits);
        Assert.That(twoLanes, Is.LessThan(0.6 * oneLane));
        Assert.That(JpegDecoderModel.Image(s_cfg, plain).EntropyCycles, Is.EqualTo((plain.IntervalBits[0] + 1) / 2), "no restart markers: one lane");
        Assert.That(JpegDecoderModel.EntropyMakespan(s_cfg with { EntropyLanes = 1 }, restart.IntervalBits), Is.EqualTo(restart.IntervalBits.Sum(b => (b + 1) / 2)));
    }

    private static IEnumerable<string> GoodFiles() => Directory.GetFiles(JpegDir, "*.jpg").Order(StringComparer.Ordinal);
}
