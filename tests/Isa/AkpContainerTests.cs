using System.Buffers.Binary;
using Antoum.Isa;
using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;

namespace Antoum.Tests.Isa;

/// <summary>.akp reading: every malformed input gives AkpFormatException, never another type or a hang.</summary>
[TestFixture]
[Category("Quick")]
[Category("Isa")]
public class AkpContainerTests
{
    internal const string Sample = """
        .const N = 64
        .engine cpu
            launch dma.0
            wait t1
        .engine dma.0
        top:
            loop 4
              copy l1.0[0], dram[0x1000], N
              signal t0
            endloop
            signal t1
        .engine spu.0.0
            wait t0, 4
            matmul N, N, N, l1[0], l1[0x100], l1[0x200], int8, fmt=bitmap:16 acc bias rq=3:5, bias=l1[0x300]
        """;

    internal static byte[] SampleBytes() => AkpContainer.Write(Assembler.Assemble(Sample, "sample.s"));

    [Test]
    public void Sample_RoundTrips()
    {
        byte[] bytes = SampleBytes();
        AkpProgram p = AkpContainer.Read(bytes, "x.akp");
        Assert.That(AkpContainer.Write(p), Is.EqualTo(bytes));
        IsaRoundTripTests.CheckProgram(p);
    }

    [Test]
    public void EveryTruncation_IsFormatError()
    {
        byte[] bytes = SampleBytes();
        for (int n = 0; n < bytes.Length; n++)
        {
            Assert.Throws<AkpFormatException>(() => AkpContainer.Read(bytes.AsSpan(0, n), "t.akp"), $"prefix {n}");
        }
    }

    [Test]
    public void EverySingleByteCorruption_IsFormatError()
    {
        byte[] bytes = SampleBytes();
        foreach (byte x in new byte[] { 0x01, 0x80, 0xFF })
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                byte[] c = (byte[])bytes.Clone();
                c[i] ^= x;
                Assert.Throws<AkpFormatException>(() => AkpContainer.Read(c, "c.akp"), $"offset {i} xor {x}");
            }
        }
    }

    [Test]
    public void CorruptedPayloadWithFixedChecksum_IsProgramOrFormatError()
    {
        byte[] bytes = SampleBytes();
        for (int i = AkpContainer.HeaderSize; i < bytes.Length; i++)
        {
            for (int v = 0; v < 256; v += 7)
            {
                byte[] c = (byte[])bytes.Clone();
                c[i] = (byte)v;
                FixChecksum(c);
                ReadOrFormatError(c);
            }
        }
    }

    [Test]
    public void WrongMagic_WrongVersion_BadChecksum_HaveTheirOwnMessages()
    {
        byte[] bytes = SampleBytes();
        byte[] magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        Assert.That(Assert.Throws<AkpFormatException>(() => AkpContainer.Read(magic, "m.akp"))!.Message, Does.StartWith("m.akp: at byte 0: wrong magic"));
        byte[] version = (byte[])bytes.Clone();
        version[4] = 2;
        Assert.That(Assert.Throws<AkpFormatException>(() => AkpContainer.Read(version, "v.akp"))!.Message, Does.StartWith("v.akp: at byte 4: unsupported format version 2"));
        byte[] crc = (byte[])bytes.Clone();
        crc[^1] ^= 0x10;
        Assert.That(Assert.Throws<AkpFormatException>(() => AkpContainer.Read(crc, "c.akp"))!.Message, Does.StartWith("c.akp: at byte 12: checksum mismatch"));
    }

    [Test]
    public void HugeCounts_AreRejectedBeforeAllocating()
    {
        // payload: fixarray(2), array32 with 2^31-1 streams, nothing else
        byte[] payload = [0x92, 0xDD, 0x7F, 0xFF, 0xFF, 0xFF];
        byte[] c = new byte[AkpContainer.HeaderSize + payload.Length];
        "AKP\0"u8.CopyTo(c);
        BinaryPrimitives.WriteUInt16LittleEndian(c.AsSpan(4), AkpProgram.FormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(8), (uint)payload.Length);
        payload.CopyTo(c.AsSpan(AkpContainer.HeaderSize));
        FixChecksum(c);
        Assert.That(Assert.Throws<AkpFormatException>(() => AkpContainer.Read(c, "h.akp"))!.Message, Does.StartWith("h.akp: at byte "));
    }

    [Test]
    public void RandomAndMutatedBytes_Property()
    {
        byte[] sample = SampleBytes();
        Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var rng = new Random(seed);
            byte[] c;
            if (rng.Next(4) == 0)
            {
                c = new byte[rng.Next(64)];
                rng.NextBytes(c);
                if (c.Length >= 4)
                {
                    "AKP\0"u8.CopyTo(c);
                }
            }
            else
            {
                c = (byte[])sample.Clone();
                int edits = rng.Next(1, 6);
                for (int e = 0; e < edits; e++)
                {
                    c[rng.Next(AkpContainer.HeaderSize, c.Length)] = (byte)rng.Next(256);
                }

                if (rng.Next(2) == 0)
                {
                    c = c[..rng.Next(c.Length)];
                }

                if (c.Length >= AkpContainer.HeaderSize && rng.Next(3) != 0)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(8), (uint)(c.Length - AkpContainer.HeaderSize));
                    FixChecksum(c);
                }
            }

            ReadOrFormatError(c);
            return true;
        }).Check(IsaGen.FuzzConfig);
    }

    internal static void ReadOrFormatError(byte[] c)
    {
        try
        {
            AkpProgram p = AkpContainer.Read(c, "f.akp");
            _ = Disassembler.Disassemble(p);
            _ = AkpContainer.Write(p);
        }
        catch (AkpFormatException)
        {
        }
    }

    internal static void FixChecksum(byte[] c)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(c.AsSpan(12), Crc32.Compute(c.AsSpan(AkpContainer.HeaderSize)));
    }
}
