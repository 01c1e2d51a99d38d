using System.CommandLine;
using System.Globalization;
using System.Text;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Blocks.Spu;
using Antoum.Sim.Config;

namespace Antoum.Sim.Cli;

/// <summary>
/// <c>antoum layers</c>: runs a SCALE-Sim topology through the SPU timing model of one SPU and writes a per-layer
/// CSV (compute cycles, MACs, mapping efficiency, utilization, SRAM and DRAM bytes) with a totals row; or, with
/// <c>--generate</c>, writes one of the shipped topologies.
/// </summary>
internal static class LayersCommand
{
    public const string CsvHeader =
        "layer,M,N,K,sparsity,Sr,Sc,T,folds,compute_cycles,macs,useful_macs,mapping_efficiency,utilization,sram_read_bytes,sram_write_bytes,dram_bytes";

    internal static Command Build(TextWriter stdout)
    {
        var topology = new Option<string?>("--topology", "-t")
        {
            Description = "SCALE-Sim topology CSV: conv (Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides[, Sparsity]) or GEMM (Layer, M, N, K[, Sparsity]); Sparsity is N:M.",
        };
        var array = new Option<string?>("--array")
        {
            Description = "Array shape ROWSxCOLS (default: chip.spu.rows x chip.spu.cols of the SKU).",
        };
        var dataflow = new Option<string?>("--dataflow")
        {
            Description = "Dataflow os, ws or is (default: chip.spu.dataflow of the SKU).",
        };
        var output = new Option<string?>("--out", "-o")
        {
            Description = "Output CSV file (default: standard output). With --generate: the topology file to write.",
        };
        var generate = new Option<string?>("--generate")
        {
            Description = "Write a shipped topology instead of running one: resnet50 or gemm-suite.",
        };
        var sku = new Option<string>("--sku")
        {
            Description = "SKU whose configuration gives the defaults: S4, S10 or S30. Ignored when --config is given.",
            DefaultValueFactory = _ => "S4",
        };
        var configFile = new Option<string?>("--config")
        {
            Description = "A configuration JSON file to use instead of the SKU's shipped one.",
        };
        var cmd = new Command("layers", "Per-layer SPU compute cycles of a SCALE-Sim topology on one SPU (see docs/spu.md).")
        {
            topology, array, dataflow, output, generate, sku, configFile,
        };
        cmd.SetAction(parse =>
        {
            string? gen = parse.GetValue(generate);
            string? outPath = parse.GetValue(output);
            if (gen is not null)
            {
                ScaleSimTopology generated = ScaleSimTopology.Generate(gen)
                    ?? throw new UserInputException($"--generate: expected one of {string.Join(", ", ScaleSimTopology.Generators)} (got \"{gen}\")");
                string text = generated.ToCsv();
                if (outPath is null)
                {
                    stdout.Write(text);
                }
                else
                {
                    WriteFile(outPath, text);
                    stdout.WriteLine($"wrote {outPath}");
                }

                return 0;
            }

            string file = parse.GetValue(topology) ?? throw new UserInputException("layers: expected --topology FILE (or --generate NAME)");
            ResolvedConfig config = ConfigLoader.Load(parse.GetValue(configFile) ?? parse.GetValue(sku)!, []);
            // SCALE-Sim's fold count: the calibrated fold overlap (chip.calibration) is left out so the table compares with SCALE-Sim.
            SpuModelParams p = Chip.CardParameters.FromConfig(config.Config).SpuModel with { FoldOverlapPercent = 0 };
            string? shape = parse.GetValue(array);
            if (shape is not null)
            {
                (int rows, int cols) = ParseArray(shape);
                p = p with { Rows = rows, Cols = cols };
            }

            string? flow = parse.GetValue(dataflow);
            if (flow is not null)
            {
                string name = flow.Trim().ToLowerInvariant();
                if (name is not ("os" or "ws" or "is"))
                {
                    throw new UserInputException($"--dataflow: expected os (output stationary), ws (weight stationary) or is (input stationary), got \"{flow}\"");
                }

                p = p with { Dataflow = SpuConfigMapping.Dataflow(name) };
            }

            ScaleSimTopology read;
            try
            {
                read = ScaleSimTopology.Read(file);
            }
            catch (WorkloadException e)
            {
                throw new UserInputException(e.Message);
            }

            string csv = Report(p, read);
            if (outPath is null)
            {
                stdout.Write(csv);
            }
            else
            {
                WriteFile(outPath, csv);
                stdout.WriteLine($"wrote {outPath}");
            }

            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// The per-layer CSV. SRAM reads = activation and weight elements as SCALE-Sim counts them (re-read per fold
    /// that needs them) plus the weight metadata per weight pass; SRAM writes = output or partial-sum elements;
    /// DRAM bytes = compulsory traffic (activations, stored weights with metadata, outputs, each moved once).
    /// </summary>
    public static string Report(SpuModelParams p, ScaleSimTopology topology)
    {
        var sb = new StringBuilder();
        sb.Append(CsvHeader).Append('\n');
        long cycles = 0, macs = 0, useful = 0, reads = 0, writes = 0, dram = 0, mapped = 0, slots = 0;
        IReadOnlyList<Layer> layers = topology.Graph.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            Layer l = layers[i];
            NofM nm = topology.Sparsity[i];
            bool conv = l.Op == OpKind.Conv;
            GemmShape shape = conv ? GemmShape.Conv(1, l.H, l.W, l.C, l.K, l.R, l.S, l.Stride, l.Pad) : new GemmShape(l.M, l.N, l.K);
            long ifmapElements = conv ? (long)l.H * l.W * l.C : (long)l.M * l.K;
            SparseFormat format = nm.Ratio > 1 ? SparseFormat.NofM : SparseFormat.Dense;
            SpuCost c = SpuTiming.Gemm(p, shape, Precision.Int8, format, nm.Ratio);
            long sramRead = c.IfmapReads + c.FilterReads + (c.MetadataBytes * c.FilterPasses);
            long sramWrite = c.OfmapWrites;
            long dramBytes = ifmapElements + c.WeightBytes + c.MetadataBytes + (shape.M * shape.N);
            sb.Append(CultureInfo.InvariantCulture,
                $"{l.Name},{shape.M},{shape.N},{shape.K},{nm},{c.Sr},{c.Sc},{c.T},{c.Folds},{c.ComputeCycles},{c.DenseEquivalentMacs},{c.UsefulMacs},{c.MappingEfficiency:F6},{c.Utilization:F6},{sramRead},{sramWrite},{dramBytes}\n");
            cycles += c.ComputeCycles;
            macs += c.DenseEquivalentMacs;
            useful += c.UsefulMacs;
            reads += sramRead;
            writes += sramWrite;
            dram += dramBytes;
            mapped += c.Sr * c.Sc;
            slots += c.Folds * p.Rows * p.Cols;
        }

        double mapping = slots == 0 ? 0 : (double)mapped / slots;
        double util = cycles == 0 ? 0 : (double)useful / ((double)cycles * p.Rows * p.Cols);
        sb.Append(CultureInfo.InvariantCulture, $"total,,,,,,,,,{cycles},{macs},{useful},{mapping:F6},{util:F6},{reads},{writes},{dram}\n");
        return sb.ToString();
    }

    private static (int Rows, int Cols) ParseArray(string text)
    {
        string[] parts = text.ToLowerInvariant().Split('x');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int r)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int c)
            && r is >= 1 and <= 4096 && c is >= 1 and <= 4096)
        {
            return (r, c);
        }

        throw new UserInputException($"--array: expected ROWSxCOLS with both in 1..4096, e.g. 16x32 (got \"{text}\")");
    }

    private static void WriteFile(string path, string text)
    {
        try
        {
            string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }

            File.WriteAllText(path, text);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot write: {ex.Message}");
        }
    }
}
