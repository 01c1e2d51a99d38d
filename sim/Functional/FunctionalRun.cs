using System.Globalization;
using System.Security.Cryptography;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;

namespace Antoum.Sim.Functional;

/// <summary>Asks a network run to compute values (functional mode) from inputs made by a seeded generator.</summary>
public sealed record FunctionalRequest(ulong Seed)
{
    /// <summary>Tests only: changes the compiled program before it runs (e.g. drops a tile to see the comparison fail).</summary>
    public Func<CompileResult, CompileResult>? Transform { get; init; }
}

/// <summary>The network input of all samples (layer 0's layout, one sample after the other) and the per-layer weights.</summary>
public sealed record FunctionalInputs(byte[] Input, IReadOnlyList<LayerData?> Layers);

/// <summary>Outcome of a functional run: checksums of the output and of the reference, and how many elements differ.</summary>
public sealed record FunctionalOutcome(ulong Seed, long Elements, long Mismatches, long FirstMismatch, string OutputSha256, string ReferenceSha256, long MemoryBytes)
{
    public bool Pass => Mismatches == 0;

    /// <summary>The "functional" object of summary.json.</summary>
    public void WriteJson(System.Text.Json.Utf8JsonWriter w)
    {
        ArgumentNullException.ThrowIfNull(w);
        w.WriteStartObject("functional");
        w.WriteNumber("seed", Seed);
        w.WriteString("outputSha256", OutputSha256);
        w.WriteString("referenceSha256", ReferenceSha256);
        w.WriteNumber("elements", Elements);
        w.WriteNumber("mismatches", Mismatches);
        w.WriteNumber("firstMismatch", FirstMismatch);
        w.WriteBoolean("equalsReference", Pass);
        w.WriteNumber("memoryBytes", MemoryBytes);
        w.WriteEndObject();
    }

    public string ToConsoleLine()
    {
        return Pass
            ? string.Create(CultureInfo.InvariantCulture, $"  functional      seed {Seed}: output sha256 {OutputSha256[..16]}, equals the reference in all {Elements:N0} elements\n")
            : string.Create(CultureInfo.InvariantCulture, $"  functional      seed {Seed}: output sha256 {OutputSha256[..16]}, {Mismatches:N0} of {Elements:N0} elements differ from the reference (first at element {FirstMismatch}) - FAIL\n");
    }
}

/// <summary>
/// Functional mode (docs/functional.md): seeded inputs and weights, a functional compile, memory contents for the
/// card, and the comparison of the card's output with <see cref="Reference"/>.
/// </summary>
public static class FunctionalRun
{
    /// <summary>Largest batch × MACs functional mode accepts (the engines compute every MAC in C#).</summary>
    public const long MaxMacs = 1L << 28;

    /// <summary>Largest activation tensor (input or output of a layer, whole batch) functional mode accepts.</summary>
    public const long MaxTensorBytes = 16L << 20;

    /// <summary>Makes the inputs; refuses graphs functional mode does not support or that exceed the size limits.</summary>
    public static FunctionalInputs Generate(WorkloadGraph graph, int batch, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(graph);
        long macs = Lowering.Macs(graph) * batch;
        if (macs > MaxMacs)
        {
            throw new UserInputException(string.Create(CultureInfo.InvariantCulture,
                $"--functional is for small shapes: {graph.Name} at batch {batch} has {macs:N0} MACs; the limit is {MaxMacs:N0} (2^28) MACs per batch"));
        }

        foreach (Layer l in graph.Layers)
        {
            if (CompileSessionSupport(l) is { } why)
            {
                throw new UserInputException($"--functional: layer '{l.Name}': {why}");
            }

            int es = Lowering.ElementBytes(l);
            long bytes = Math.Max(Lowering.InputElements(l), Lowering.OutputElements(l)) * es * batch;
            if (bytes > MaxTensorBytes)
            {
                throw new UserInputException(string.Create(CultureInfo.InvariantCulture,
                    $"--functional is for small shapes: layer '{l.Name}' moves a {bytes:N0}-byte activation tensor at batch {batch}; the limit is {MaxTensorBytes:N0} bytes (16 MiB)"));
            }
        }

        Layer first = graph.Layers[0];
        long inPerSample = Lowering.InputElements(first) * Lowering.ElementBytes(first);
        if (graph.InputBytesPerSample > 0 && graph.InputBytesPerSample != inPerSample)
        {
            throw new UserInputException($"--functional: {graph.Name} declares {graph.InputBytesPerSample} input bytes per sample; its first layer reads {inPerSample}");
        }

        var rng = new SplitMix64(seed);
        var input = new byte[inPerSample * batch];
        Fill(input, first.Precision == LayerPrecision.Bf16, rng);
        var layers = new List<LayerData?>();
        foreach (Layer l in graph.Layers)
        {
            layers.Add(LayerWeights(l, rng));
        }

        return new FunctionalInputs(input, layers);
    }

    private static string? CompileSessionSupport(Layer l) => Firmware.Compiler.Compiler.FunctionalSupport(l);

    private static void Fill(byte[] data, bool bf16, SplitMix64 rng)
    {
        if (!bf16)
        {
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (byte)(sbyte)rng.Range(-8, 8);
            }

            return;
        }

        for (int i = 0; i < data.Length / 2; i++)
        {
            WriteBf16(data, i, rng.Range(-255, 255) / 128f);
        }
    }

    private static void WriteBf16(byte[] data, long i, float v)
    {
        ushort bits = FunctionalOps.FloatToBf16(v);
        data[2 * i] = (byte)bits;
        data[(2 * i) + 1] = (byte)(bits >> 8);
    }

    /// <summary>
    /// Dense weights with the layer's sparsity pattern: nofm one nonzero in every group of R rows of a column;
    /// bitmap and csr nonzeros at least R rows apart; blockcsr runs of 4 rows (aligned to 4) at least 16·R rows apart
    /// (so that every packed tile fits the buffer the compiler sized for ratio R); dense all positions.
    /// INT8 results requantize with scale 1 and shift ⌈(⌈log2 K/R⌉ + 1) / 2⌉ so that they use the INT8 range.
    /// </summary>
    private static LayerData? LayerWeights(Layer l, SplitMix64 rng)
    {
        if (l.Op == OpKind.LayerNorm)
        {
            // γ then β, BF16 k/128 with k in 1..255 (γ) and −255..255 (β).
            long cols = l.Cols > 0 ? l.Cols : l.Elements;
            var gb = new byte[4 * cols];
            for (long i = 0; i < cols; i++)
            {
                WriteBf16(gb, i, rng.Range(1, 255) / 128f);
            }

            for (long i = cols; i < 2 * cols; i++)
            {
                WriteBf16(gb, i, rng.Range(-255, 255) / 128f);
            }

            return new LayerData(gb);
        }

        if (l.Op is not (OpKind.Conv or OpKind.Gemm))
        {
            return null;
        }

        bool bf16 = l.Precision == LayerPrecision.Bf16;
        int es = bf16 ? 2 : 1;
        long groups = l.Op == OpKind.Conv ? Math.Max(1, l.Groups) : 1;
        long k = l.Op == OpKind.Conv ? (long)l.R * l.S * (l.C / groups) : l.K;
        long n = l.Op == OpKind.Conv ? l.K / groups : l.N;
        SpuFlags flags = Lowering.Flags(l.Sparsity);
        int r = Math.Max(1, flags.Ratio);
        var w = new byte[groups * k * n * es];
        void Set(long g, long row, long col)
        {
            long i = (g * k * n) + (row * n) + col;
            if (bf16)
            {
                long v = rng.Range(1, 255) * (rng.Range(0, 1) == 0 ? -1 : 1);
                WriteBf16(w, i, v / 128f);
            }
            else
            {
                w[i] = (byte)(sbyte)(rng.Range(1, 8) * (rng.Range(0, 1) == 0 ? -1 : 1));
            }
        }

        for (long g = 0; g < groups; g++)
        {
            for (long col = 0; col < n; col++)
            {
                switch (flags.Format)
                {
                    case SparseFormat.Dense:
                        for (long row = 0; row < k; row++)
                        {
                            Set(g, row, col);
                        }

                        break;
                    case SparseFormat.NofM:
                        for (long g0 = 0; g0 < k; g0 += r)
                        {
                            long row = g0 + rng.Range(0, r - 1);
                            if (row < k)
                            {
                                Set(g, row, col);
                            }
                        }

                        break;
                    case SparseFormat.BlockCsr:
                        for (long row = 4 * rng.Range(0, (4 * r) - 1); row < k; row += 4 * ((4 * r) + rng.Range(0, 4 * r)))
                        {
                            for (long i = row; i < Math.Min(k, row + 4); i++)
                            {
                                Set(g, i, col);
                            }
                        }

                        break;
                    default:
                        for (long row = rng.Range(0, r - 1); row < k; row += r + rng.Range(0, r - 1))
                        {
                            Set(g, row, col);
                        }

                        break;
                }
            }
        }

        long effective = Math.Max(1, (k + r - 1) / r);
        int log2 = 0;
        while ((1L << log2) < effective)
        {
            log2++;
        }

        return new LayerData(w, 1, bf16 ? 0 : (log2 + 1) / 2);
    }

    /// <summary>Memory contents before the run: the input in host memory, the packed weights on every DRAM interface.</summary>
    public static FunctionalMemory Load(CardParameters p, CompileResult compiled, FunctionalInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(p);
        ArgumentNullException.ThrowIfNull(compiled);
        ArgumentNullException.ThrowIfNull(inputs);
        TensorMap map = compiled.Tensors ?? throw new ArgumentException("not a functional compile", nameof(compiled));
        var mem = new FunctionalMemory();
        mem.Write(new MemRef(MemSpace.Host, 0, 0, 0, map.HostInputOffset), inputs.Input);
        foreach (PackedWeights w in map.Weights)
        {
            for (int c = 0; c < p.Chips; c++)
            {
                for (int k = 0; k < p.Clusters; k++)
                {
                    mem.Write(new MemRef(MemSpace.Dram, c, k, 0, w.DramOffset), w.Bytes);
                }
            }
        }

        return mem;
    }

    /// <summary>Reads the output from host memory, computes the reference and compares them element by element.</summary>
    public static (FunctionalOutcome Outcome, byte[] Output, byte[] Reference) Compare(WorkloadGraph graph, int batch, ulong seed, CompileResult compiled, FunctionalInputs inputs, FunctionalMemory mem)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(compiled);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(mem);
        TensorMap map = compiled.Tensors!;
        byte[] output = mem.Read(new MemRef(MemSpace.Host, 0, 0, 0, map.HostOutputOffset), map.OutputBytesPerSample * batch);
        byte[] reference = Reference.Run(graph, batch, inputs.Input, inputs.Layers);
        int es = Lowering.ElementBytes(graph.Layers[^1]);
        long elements = output.Length / es;
        long mismatches = 0, first = -1;
        if (reference.Length != output.Length)
        {
            mismatches = elements;
            first = 0;
        }
        else
        {
            for (long i = 0; i < elements; i++)
            {
                if (!output.AsSpan((int)(i * es), es).SequenceEqual(reference.AsSpan((int)(i * es), es)))
                {
                    mismatches++;
                    first = first < 0 ? i : first;
                }
            }
        }

        var outcome = new FunctionalOutcome(seed, elements, mismatches, first, Convert.ToHexStringLower(SHA256.HashData(output)),
            Convert.ToHexStringLower(SHA256.HashData(reference)), mem.AllocatedBytes);
        return (outcome, output, reference);
    }

    /// <summary>A small deterministic generator (SplitMix64), independent of the runtime's Random.</summary>
    private sealed class SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong Next()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [lo, hi] (inclusive).</summary>
        public long Range(long lo, long hi) => lo + (long)(Next() % (ulong)(hi - lo + 1));
    }
}
