using System.Globalization;
using System.Text;

namespace Antoum.Firmware.Compiler;

/// <summary>What the compiler did with one layer (counts are executed counts over the whole card, loops expanded).</summary>
public sealed class LayerReport
{
    public required string Name { get; init; }

    public required string Op { get; init; }

    /// <summary>GEMM shape(s) of the first partition group, "G*MxNxK" (empty for vector layers).</summary>
    public string GemmShape { get; set; } = string.Empty;

    /// <summary>Tile of the first partition group, "mt x nt x kt" (empty for vector layers).</summary>
    public string Tile { get; set; } = string.Empty;

    public long Tiles { get; set; }

    /// <summary>
    /// How the first group's conv A tiles are formed: "" (im2col rows or a plain GEMM, <c>matmul</c>), "wNr" (window
    /// tiles of N output rows of one sample, <c>conv</c> strips) or "wNs" (window tiles of N whole samples).
    /// </summary>
    public string TileForm { get; set; } = string.Empty;

    public long MatmulInstructions { get; set; }

    public long VectorInstructions { get; set; }

    /// <summary>Instructions emitted for this layer over all streams (static, loops not expanded).</summary>
    public long EmittedInstructions { get; set; }

    /// <summary>L1 bytes one SPU uses (two operand buffers + two output buffers) vs the capacity.</summary>
    public long L1Used { get; set; }

    public long L1Capacity { get; set; }

    /// <summary>L2 bytes the layer's output occupies in one cluster's L2 (0 when it lives in DRAM).</summary>
    public long L2Used { get; set; }

    public long L2Capacity { get; set; }

    public string OutputIn { get; set; } = "dram";

    public long DramToL1Bytes { get; set; }

    public long L2ToL1Bytes { get; set; }

    /// <summary>DRAM → L2: the network input and the weights staged once per micro-batch (micro-batched perCluster).</summary>
    public long DramToL2Bytes { get; set; }

    /// <summary>
    /// The part of <see cref="DramToL2Bytes"/> staged ahead on the cluster's prefetch queue (a spare DMA channel) into
    /// the double-buffered L2 weight stage, overlapping the previous layer's compute (docs/compiler.md).
    /// </summary>
    public long PrefetchedBytes { get; set; }

    public long L1ToL2Bytes { get; set; }

    public long L1ToDramBytes { get; set; }

    public long Macs { get; set; }

    /// <summary>DRAM bytes read or written for this layer (DRAM → L1, DRAM → L2, L1 → DRAM).</summary>
    public long DramBytes => DramToL1Bytes + DramToL2Bytes + L1ToDramBytes;

    internal const int CounterCount = 10;

    internal long[] Counters() => [Tiles, MatmulInstructions, VectorInstructions, DramToL1Bytes, L2ToL1Bytes, DramToL2Bytes, L1ToL2Bytes, L1ToDramBytes, Macs, PrefetchedBytes];

    /// <summary>Adds <paramref name="factor"/> × (now − <paramref name="before"/>) to the executed counters (a loop body emitted once, run more).</summary>
    internal void AddCounters(long[] before, long factor)
    {
        long[] now = Counters();
        long D(int i) => factor * (now[i] - before[i]);
        (Tiles, MatmulInstructions, VectorInstructions, DramToL1Bytes, L2ToL1Bytes, DramToL2Bytes, L1ToL2Bytes, L1ToDramBytes, Macs, PrefetchedBytes) =
            (now[0] + D(0), now[1] + D(1), now[2] + D(2), now[3] + D(3), now[4] + D(4), now[5] + D(5), now[6] + D(6), now[7] + D(7), now[8] + D(8), now[9] + D(9));
    }
}

/// <summary>The compile report: per layer and totals; text and CSV forms.</summary>
public sealed class CompileReport
{
    public required string Workload { get; init; }

    public required string Sku { get; init; }

    public required int Batch { get; init; }

    /// <summary>Batches the program runs back to back (the offline scenario); every count covers all of them.</summary>
    public int Batches { get; init; } = 1;

    public required PartitionMode Mode { get; init; }

    public required IReadOnlyList<LayerReport> Layers { get; init; }

    public int Streams { get; set; }

    public long Instructions { get; set; }

    public long HostBytes { get; set; }

    /// <summary>How the batch was divided: samples per chip, and per cluster in perCluster mode.</summary>
    public string BatchSplit { get; set; } = string.Empty;

    /// <summary>perCluster micro-batch (samples per pass of the whole network over a cluster); 0 when not micro-batched.</summary>
    public long MicroBatch { get; set; }

    /// <summary>
    /// perCluster segments: "first..last mb N" per segment (each runs per micro-batch of N samples), followed by
    /// "stage B" (one L2 weight stage buffer of B bytes) or "stage 2xB prefetch" (double-buffered, staged ahead on the
    /// prefetch queue) when the segment stages weights; empty when not micro-batched.
    /// </summary>
    public IReadOnlyList<string> Segments { get; set; } = [];

    /// <summary>DRAM bytes moved by the program (DRAM → L1, DRAM → L2, L1 → DRAM; host copies excluded).</summary>
    public long TotalDramBytes => Layers.Sum(l => l.DramBytes);

    public long TotalMacs => Layers.Sum(l => l.Macs);

    /// <summary>DRAM → L2 bytes staged ahead on the prefetch queue (part of the DRAM → L2 total).</summary>
    public long TotalPrefetchedBytes => Layers.Sum(l => l.PrefetchedBytes);

    /// <summary>The prefetch queue's engine per cluster ("dma.K.C"), or empty when the program has none.</summary>
    public string PrefetchQueue { get; set; } = string.Empty;

    public long TotalTiles => Layers.Sum(l => l.Tiles);

    public const string CsvHeader = "layer,op,gemm,tile,tiles,matmuls,vector_instructions,emitted_instructions,l1_used,l1_capacity,l2_used,l2_capacity,output_in,dram_to_l1,l2_to_l1,dram_to_l2,l1_to_l2,l1_to_dram,macs,tile_form";

    /// <summary>The tile with its form: "mt x nt x kt" plus " wNr" / " wNs" for window tiles.</summary>
    private static string TileText(LayerReport l) => l.TileForm.Length == 0 ? l.Tile : l.Tile + " " + l.TileForm;

    public string ToCsv()
    {
        var sb = new StringBuilder(CsvHeader).Append('\n');
        foreach (LayerReport l in Layers)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{l.Name},{l.Op},{l.GemmShape},{l.Tile},{l.Tiles},{l.MatmulInstructions},{l.VectorInstructions},{l.EmittedInstructions},{l.L1Used},{l.L1Capacity},{l.L2Used},{l.L2Capacity},{l.OutputIn},{l.DramToL1Bytes},{l.L2ToL1Bytes},{l.DramToL2Bytes},{l.L1ToL2Bytes},{l.L1ToDramBytes},{l.Macs},{l.TileForm}\n");
        }

        sb.Append(CultureInfo.InvariantCulture,
            $"total,,,,{TotalTiles},{Layers.Sum(l => l.MatmulInstructions)},{Layers.Sum(l => l.VectorInstructions)},{Layers.Sum(l => l.EmittedInstructions)},,,,,,{Layers.Sum(l => l.DramToL1Bytes)},{Layers.Sum(l => l.L2ToL1Bytes)},{Layers.Sum(l => l.DramToL2Bytes)},{Layers.Sum(l => l.L1ToL2Bytes)},{Layers.Sum(l => l.L1ToDramBytes)},{TotalMacs},\n");
        return sb.ToString();
    }

    public string ToText()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"compile {Workload} for {Sku}, batch {Batch}, mode {ModeName(Mode)} ({BatchSplit})\n");
        if (Batches > 1)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {Batches} batches back to back (offline scenario: host queues stream the next inputs into DRAM buffers while the clusters compute); counts below cover every batch\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"  {Streams} streams, {Instructions} instructions, {Layers.Count} layers, {TotalTiles} tiles, {TotalMacs / 1e9:0.###} G MACs, host {HostBytes} B\n");
        string mb = MicroBatch > 0 ? Compiler.Str($"micro-batch {MicroBatch} per cluster (activations in L2)") : "no micro-batching";
        sb.Append(CultureInfo.InvariantCulture, $"  {mb}; DRAM {TotalDramBytes} B, {TotalDramBytes / (double)Math.Max(1, (long)Batch * Batches) / 1e6:0.###} MB per sample\n");
        if (Segments.Count > 1)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  segments: {string.Join("; ", Segments)}\n");
        }

        long staged = Layers.Sum(l => l.DramToL2Bytes);
        if (staged > 0)
        {
            if (TotalPrefetchedBytes > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  DRAM>L2 {staged} B, of which {TotalPrefetchedBytes} B weights prefetched on {PrefetchQueue} into the double-buffered L2 stage\n");
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"  DRAM>L2 {staged} B, staged on channel 0 (no weight prefetch)\n");
            }
        }

        sb.Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"{"layer",-24} {"op",-11} {"gemm",-22} {"tile",-18} {"tiles",8} {"instr",7} {"L1 used",15} {"out",-4} {"DRAM>L1",12} {"L2>L1",12} {"DRAM>L2",12} {"L1>L2",12} {"L1>DRAM",12} {"MACs",14}\n");
        foreach (LayerReport l in Layers)
        {
            string l1 = l.L1Used > 0 ? $"{l.L1Used}/{l.L1Capacity}" : "-";
            sb.Append(CultureInfo.InvariantCulture,
                $"{Trim(l.Name, 24),-24} {l.Op,-11} {Trim(l.GemmShape, 22),-22} {TileText(l),-18} {l.Tiles,8} {l.EmittedInstructions,7} {l1,15} {l.OutputIn,-4} {l.DramToL1Bytes,12} {l.L2ToL1Bytes,12} {l.DramToL2Bytes,12} {l.L1ToL2Bytes,12} {l.L1ToDramBytes,12} {l.Macs,14}\n");
        }

        sb.Append(CultureInfo.InvariantCulture,
            $"{"total",-24} {string.Empty,-11} {string.Empty,-22} {string.Empty,-18} {TotalTiles,8} {Layers.Sum(l => l.EmittedInstructions),7} {string.Empty,15} {string.Empty,-4} {Layers.Sum(l => l.DramToL1Bytes),12} {Layers.Sum(l => l.L2ToL1Bytes),12} {Layers.Sum(l => l.DramToL2Bytes),12} {Layers.Sum(l => l.L1ToL2Bytes),12} {Layers.Sum(l => l.L1ToDramBytes),12} {TotalMacs,14}\n");
        return sb.ToString();
    }

    public static string ModeName(PartitionMode mode) => mode switch
    {
        PartitionMode.PerCluster => "perCluster",
        PartitionMode.Split => "split",
        _ => "broadcast",
    };

    private static string Trim(string s, int n) => s.Length <= n ? s : s[..(n - 1)] + "~";
}
