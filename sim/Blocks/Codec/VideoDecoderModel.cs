using Antoum.Isa;
using Antoum.Sim.Config;

namespace Antoum.Sim.Blocks.Codec;

/// <summary>Frame type within a group of pictures.</summary>
public enum VideoFrameType
{
    /// <summary>Intra frame: no reference reads.</summary>
    I,

    /// <summary>Predicted frame: every block reads reference pixels.</summary>
    P,
}

/// <summary>The cost of decoding one video frame on one decoder core.</summary>
public readonly record struct VideoFrameCost(
    long Blocks,
    long EntropyCycles,
    long ReconstructionCycles,
    long Cycles,
    long Bits,
    long BytesRead,
    long BytesWritten,
    long Pixels);

/// <summary>
/// Video decoder timing (docs/codec.md). A frame is cut into coding blocks: 16x16 macroblocks for H.264, 64x64
/// coding tree units for H.265. A core's entropy decoder (CABAC, <c>entropyBitsPerCycle</c>) runs ahead of its
/// reconstruction pipeline (prediction, inverse transform, deblocking: cycles per block) through a buffer, so
/// <c>cycles = frameSetupCycles + max(ceil(bits / entropyBitsPerCycle), blocks x cyclesPerBlock)</c>. DRAM: the
/// bitstream is read, P frames read <c>referenceReadPercent</c> of their NV12 block bytes from reference frames, and
/// the decoded NV12 frame (1.5 bytes per pixel over the block-padded area) is written.
/// </summary>
public static class VideoDecoderModel
{
    /// <summary>Block edge in pixels: 16 (H.264 macroblock) or 64 (H.265 CTU).</summary>
    public static int BlockSize(VideoCodec codec) => codec == VideoCodec.H265 ? 64 : 16;

    /// <summary>Reconstruction cycles per coding block of the codec.</summary>
    public static long CyclesPerBlock(VideoDecoderConfig c, VideoCodec codec) =>
        codec == VideoCodec.H265 ? c.H265CyclesPerCtu : c.H264CyclesPerMacroblock;

    /// <summary>Coding blocks of a frame: ceil(width / size) x ceil(height / size).</summary>
    public static long Blocks(VideoCodec codec, long width, long height)
    {
        int b = BlockSize(codec);
        return CeilDiv(width, b) * CeilDiv(height, b);
    }

    /// <summary>Cost of one frame with <paramref name="bits"/> compressed bits.</summary>
    public static VideoFrameCost Frame(VideoDecoderConfig c, VideoCodec codec, long width, long height, long bits, VideoFrameType type)
    {
        long blocks = Blocks(codec, width, height);
        int size = BlockSize(codec);
        long blockBytes = size * size * 3 / 2;
        long entropy = CeilDiv(bits, c.EntropyBitsPerCycle);
        long recon = blocks * CyclesPerBlock(c, codec);
        long cycles = c.FrameSetupCycles + Math.Max(entropy, recon);
        long refRead = type == VideoFrameType.P ? blocks * blockBytes * c.ReferenceReadPercent / 100 : 0;
        return new VideoFrameCost(blocks, entropy, recon, cycles, bits, CeilDiv(bits, 8) + refRead, blocks * blockBytes, width * height);
    }

    /// <summary>
    /// Compressed bits of frame <paramref name="index"/> of a stream: frame 0 of every group of pictures is an I frame
    /// of <c>iFrameSizeRatio</c> times a P frame's bits, and a group carries bitrate x gopLength / fps bits:
    /// P = floor(8 x bytesPerSecond x gop / (fps x (gop - 1 + ratio))), I = ratio x P.
    /// </summary>
    public static (long Bits, VideoFrameType Type) FrameBits(VideoDecoderConfig c, ulong bytesPerSecond, int fps, long index)
    {
        long gop = c.GopLength;
        long ratio = c.IFrameSizeRatio;
        long p = (long)(8 * (UInt128)bytesPerSecond * (ulong)gop / ((ulong)fps * (ulong)(gop - 1 + ratio)));
        return index % gop == 0 ? (ratio * p, VideoFrameType.I) : (p, VideoFrameType.P);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
