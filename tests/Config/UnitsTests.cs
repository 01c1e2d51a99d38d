using Antoum.Sim.Config;
using NUnit.Framework;

namespace Antoum.Tests.Config;

[TestFixture]
[Category("Quick")]
[Category("Config")]
public class UnitsTests
{
    [TestCase("1kB", 1000UL)]
    [TestCase("1KiB", 1024UL)]
    [TestCase("1.8MB", 1_800_000UL)]
    [TestCase("2MiB", 2_097_152UL)]
    [TestCase("20GB", 20_000_000_000UL)]
    [TestCase("1TiB", 1_099_511_627_776UL)]
    [TestCase("0B", 0UL)]
    [TestCase(" 56 kB ", 56_000UL)]
    public void ByteSize_ParsesSiAndIec(string text, ulong bytes)
    {
        Assert.That(ByteSize.Parse(text).Bytes, Is.EqualTo(bytes));
    }

    [Test]
    public void OtherQuantities_Parse()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Frequency.Parse("900MHz").Hertz, Is.EqualTo(900_000_000UL));
            Assert.That(Frequency.Parse("1.5GHz").Hertz, Is.EqualTo(1_500_000_000UL));
            Assert.That(Bandwidth.Parse("82GB/s").BytesPerSecond, Is.EqualTo(82_000_000_000UL));
            Assert.That(Bandwidth.Parse("20.5GB/s").BytesPerSecond, Is.EqualTo(20_500_000_000UL));
            Assert.That(Bandwidth.Parse("1GiB/s").BytesPerSecond, Is.EqualTo(1_073_741_824UL));
            Assert.That(Duration.Parse("30ns").Picoseconds, Is.EqualTo(30_000UL));
            Assert.That(Duration.Parse("1.5us").Picoseconds, Is.EqualTo(1_500_000UL));
            Assert.That(TransferRate.Parse("8GT/s").TransfersPerSecond, Is.EqualTo(8_000_000_000UL));
            Assert.That(Power.Parse("70W").Milliwatts, Is.EqualTo(70_000UL));
            Assert.That(Power.Parse("1.5W").Milliwatts, Is.EqualTo(1_500UL));
            Assert.That(Ratio.Parse("128/130"), Is.EqualTo(new Ratio(128, 130)));
            Assert.That(Ratio.Parse("0.985"), Is.EqualTo(new Ratio(985, 1000)));
        });
    }

    [TestCase("1KB", "kB (10^3) or KiB (2^10)")]
    [TestCase("1K", "ambiguous")]
    [TestCase("82", "no unit")]
    [TestCase("abc", "expected a number followed by a unit")]
    [TestCase("1.5B", "not a whole number of bytes")]
    [TestCase("-1MB", "negative")]
    [TestCase("", "empty value")]
    [TestCase("82GB/s", "is a bandwidth, but a byte size is expected")]
    [TestCase("1mb", "did you mean \"MB\"")]
    [TestCase("1.2.3MB", "expected a number")]
    public void ByteSize_RejectsBadText(string text, string expectedFragment)
    {
        FormatException? ex = Assert.Throws<FormatException>(() => ByteSize.Parse(text));
        Assert.That(ex!.Message, Does.Contain(expectedFragment));
    }

    [Test]
    public void WrongKindsAndSignsAreRejected()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<FormatException>(() => Bandwidth.Parse("82GB"))!.Message,
                Does.Contain("is a byte size, but a bandwidth is expected").And.Contain("82GB/s"));
            Assert.That(Assert.Throws<FormatException>(() => Frequency.Parse("-1MHz"))!.Message, Does.Contain("negative"));
            Assert.That(Assert.Throws<FormatException>(() => Frequency.Parse("900KHz"))!.Message, Does.Contain("use kHz"));
            Assert.That(Assert.Throws<FormatException>(() => Frequency.Parse("8GT/s"))!.Message, Does.Contain("transfer rate"));
            Assert.That(Assert.Throws<FormatException>(() => Duration.Parse("30"))!.Message, Does.Contain("such as \"30ns\""));
            Assert.That(Assert.Throws<FormatException>(() => Duration.Parse("0.5ps"))!.Message, Does.Contain("whole number of picoseconds"));
            Assert.That(Assert.Throws<FormatException>(() => Power.Parse("70"))!.Message, Does.Contain("70W"));
            Assert.That(Assert.Throws<FormatException>(() => Ratio.Parse("1/0"))!.Message, Does.Contain("zero denominator"));
            Assert.That(Assert.Throws<FormatException>(() => ByteSize.Parse("99999999999999999999TB"))!.Message, Does.Contain("too large"));
        });
    }

    [TestCase("1.8MB", "1.8MB")]
    [TestCase("1800kB", "1.8MB")]
    [TestCase("2MiB", "2MiB")]
    [TestCase("2097152B", "2MiB")]
    [TestCase("1024B", "1KiB")]
    [TestCase("1000B", "1kB")]
    [TestCase("56kB", "56kB")]
    [TestCase("1536B", "1.5KiB")]
    [TestCase("0B", "0B")]
    [TestCase("1001B", "1001B")]
    [TestCase("1.5kB", "1.5kB")]
    public void ByteSize_ToStringIsCanonical(string text, string canonical)
    {
        ByteSize b = ByteSize.Parse(text);
        Assert.That(b.ToString(), Is.EqualTo(canonical));
        Assert.That(ByteSize.Parse(b.ToString()), Is.EqualTo(b));
    }

    [Test]
    public void ToString_RoundTripsForManyValues()
    {
        ulong[] samples = [0, 1, 7, 999, 1000, 1023, 1024, 1_800_000, 82_000_000_000, 204_800_000_000, 921_600_000_000,
            1_099_511_627_777, 123_456_789_012_345, ulong.MaxValue / 1000];
        foreach (ulong v in samples)
        {
            Assert.That(ByteSize.Parse(new ByteSize(v).ToString()).Bytes, Is.EqualTo(v), $"bytes {v}");
            Assert.That(Bandwidth.Parse(new Bandwidth(v).ToString()).BytesPerSecond, Is.EqualTo(v), $"B/s {v}");
            Assert.That(Frequency.Parse(new Frequency(v).ToString()).Hertz, Is.EqualTo(v), $"Hz {v}");
            Assert.That(Duration.Parse(new Duration(v).ToString()).Picoseconds, Is.EqualTo(v), $"ps {v}");
            Assert.That(Power.Parse(new Power(v).ToString()).Milliwatts, Is.EqualTo(v), $"mW {v}");
            Assert.That(TransferRate.Parse(new TransferRate(v).ToString()).TransfersPerSecond, Is.EqualTo(v), $"T/s {v}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(new Frequency(900_000_000).ToString(), Is.EqualTo("900MHz"));
            Assert.That(new Duration(30_000).ToString(), Is.EqualTo("30ns"));
            Assert.That(new Bandwidth(82_000_000_000).ToString(), Is.EqualTo("82GB/s"));
            Assert.That(new TransferRate(8_000_000_000).ToString(), Is.EqualTo("8GT/s"));
            Assert.That(new TransferRate(0).ToString(), Is.EqualTo("0GT/s"), "not 0T/s, which reads as tera");
            Assert.That(new Bandwidth(0).ToString(), Is.EqualTo("0B/s"));
            Assert.That(new Power(70_000).ToString(), Is.EqualTo("70W"));
            Assert.That(new Ratio(128, 130).ToString(), Is.EqualTo("128/130"));
        });
    }

    [Test]
    public void TypeConverter_IsWhatTheBinderUses()
    {
        var converter = System.ComponentModel.TypeDescriptor.GetConverter(typeof(Bandwidth));
        Assert.That(converter.ConvertFromInvariantString("82GB/s"), Is.EqualTo(new Bandwidth(82_000_000_000)));
    }
}
