using Antoum.Sim.Config;

namespace Antoum.Sim.Blocks.Codec;

/// <summary>The cost of decoding one JPEG image on a cluster's JPEG decoder.</summary>
public readonly record struct JpegImageCost(
    long Mcus,
    long Blocks,
    long EntropyCycles,
    long ReconstructionCycles,
    long Cycles,
    long Bits,
    long BytesRead,
    long BytesWritten,
    long Pixels);

/// <summary>
/// JPEG decoder timing (docs/codec.md). Entropy: each restart interval is Huffman-decoded on one of
/// <c>entropyLanes</c> lanes at <c>entropyBitsPerCycle</c> (ceil(bits / rate) cycles per interval), intervals taken in
/// order by the lane that frees first, so an image without restart markers uses one lane. Reconstruction, one
/// pipeline fed through a buffer: per MCU, blocks x <c>cyclesPerBlock</c> + ceil(MCU pixels / <c>outputPixelsPerCycle</c>)
/// (4:2:0: 6 blocks, 256 pixels; 4:2:2: 4, 128; 4:4:4: 3, 64; gray: 1, 64). Image cycles =
/// <c>imageSetupCycles</c> + max(entropy makespan, reconstruction). DRAM: the file is read, planar YCbCr written
/// (64 bytes per decoded block).
/// </summary>
public static class JpegDecoderModel
{
    /// <summary>Reconstruction cycles of one MCU.</summary>
    public static long McuCycles(JpegDecoderConfig c, int blocksPerMcu, int mcuPixels) =>
        ((long)blocksPerMcu * c.CyclesPerBlock) + CeilDiv(mcuPixels, c.OutputPixelsPerCycle);

    /// <summary>Cost of a parsed image, from its measured compressed bits per restart interval.</summary>
    public static JpegImageCost Image(JpegDecoderConfig c, JpegImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        long bits = 0;
        foreach (long b in image.IntervalBits)
        {
            bits += b;
        }

        return Cost(c, image.Mcus, image.BlocksPerMcu, image.McuWidth * image.McuHeight, image.IntervalBits, bits,
            image.FileBytes, (long)image.Width * image.Height);
    }

    /// <summary>
    /// Cost of an image known only by size (the ISA's <c>jdec</c>): <paramref name="bytes"/> x 8 bits in one interval,
    /// sampling 0 = 4:2:0, 1 = 4:2:2, 2 = 4:4:4.
    /// </summary>
    public static JpegImageCost Uniform(JpegDecoderConfig c, long bytes, long width, long height, int sampling)
    {
        (int mw, int mh, int blocks) = sampling switch { 0 => (16, 16, 6), 1 => (16, 8, 4), _ => (8, 8, 3) };
        long mcus = CeilDiv(width, mw) * CeilDiv(height, mh);
        return Cost(c, mcus, blocks, mw * mh, [bytes * 8], bytes * 8, bytes, width * height);
    }

    /// <summary>Entropy makespan: intervals in order, each to the lane that frees first (lowest index on a tie).</summary>
    public static long EntropyMakespan(JpegDecoderConfig c, IReadOnlyList<long> intervalBits)
    {
        ArgumentNullException.ThrowIfNull(intervalBits);
        Span<long> lanes = c.EntropyLanes <= 64 ? stackalloc long[c.EntropyLanes] : new long[c.EntropyLanes];
        for (int i = 0; i < intervalBits.Count; i++)
        {
            int best = 0;
            for (int l = 1; l < lanes.Length; l++)
            {
                if (lanes[l] < lanes[best])
                {
                    best = l;
                }
            }

            lanes[best] += CeilDiv(intervalBits[i], c.EntropyBitsPerCycle);
        }

        long makespan = 0;
        foreach (long l in lanes)
        {
            makespan = Math.Max(makespan, l);
        }

        return makespan;
    }

    private static JpegImageCost Cost(JpegDecoderConfig c, long mcus, int blocksPerMcu, int mcuPixels, IReadOnlyList<long> intervals, long bits, long bytesRead, long pixels)
    {
        long entropy = EntropyMakespan(c, intervals);
        long recon = mcus * McuCycles(c, blocksPerMcu, mcuPixels);
        long cycles = c.ImageSetupCycles + Math.Max(entropy, recon);
        return new JpegImageCost(mcus, mcus * blocksPerMcu, entropy, recon, cycles, bits, bytesRead, mcus * blocksPerMcu * 64, pixels);
    }

    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
