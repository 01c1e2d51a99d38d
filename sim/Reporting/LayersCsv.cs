using System.Globalization;
using System.Text;
using Antoum.Isa;
using Antoum.Sim.Engines;

namespace Antoum.Sim.Reporting;

/// <summary>One layer's line: when it first started and last ended (over all engines), its time (the longest any
/// engine spent in it, summed over visits, so a layer run once per micro-batch counts each run), busy cycles per
/// engine kind, MACs, and the bottleneck.</summary>
public sealed record LayerRow(string Layer, ulong StartPs, ulong EndPs, ulong Cycles, long SpuBusy, long DmaBusy, long VpuBusy, long SfaBusy, long Macs, string Bottleneck)
{
    /// <summary>DRAM bytes the compiler planned for the layer (reads and writes, all micro-batches), for the roofline.</summary>
    public long DramBytes { get; init; }
}

/// <summary>
/// <c>layers.csv</c>: per layer, from the engines' segment times (segment i of every stream = layer i). The bottleneck
/// is the engine kind with the highest busy share (busy cycles / (engines of that kind running the layer × layer
/// cycles)); when no kind is busy for at least a third of the layer, the layer is bound by synchronisation and
/// latency ("sync").
/// </summary>
public static class LayersCsv
{
    public const string Header = "layer,start_ps,end_ps,cycles,spu_busy_cycles,dma_busy_cycles,vpu_busy_cycles,sfa_busy_cycles,macs,dram_bytes,bottleneck";

    public static List<LayerRow> Rows(IReadOnlyList<string> layers, IReadOnlyList<long> macs, IReadOnlyList<EngineCore> engines, ulong clockHz, IReadOnlyList<long>? dramBytes = null)
    {
        var rows = new List<LayerRow>(layers.Count);
        for (int l = 0; l < layers.Count; l++)
        {
            ulong start = ulong.MaxValue;
            ulong end = 0;
            ulong active = 0;
            long spu = 0, dma = 0, vpu = 0, sfa = 0;
            int nSpu = 0, nDma = 0, nVpu = 0, nSfa = 0;
            foreach (EngineCore e in engines)
            {
                if (l >= e.SegmentCount)
                {
                    continue;
                }

                (ulong first, ulong last, long busy, _) = e.SegmentTimes(l);
                if (first == ulong.MaxValue)
                {
                    continue;
                }

                start = Math.Min(start, first);
                end = Math.Max(end, last);
                active = Math.Max(active, e.SegmentActivePs(l));
                switch (e.Id.Kind)
                {
                    case EngineKind.Spu:
                        spu += busy;
                        nSpu++;
                        break;
                    case EngineKind.Dma:
                    case EngineKind.Cpu:
                        dma += busy;
                        nDma += e.Id.Kind == EngineKind.Dma ? 1 : 0;
                        break;
                    case EngineKind.Vpu:
                        vpu += busy;
                        nVpu++;
                        break;
                    case EngineKind.Sfa:
                        sfa += busy;
                        nSfa++;
                        break;
                }
            }

            if (start == ulong.MaxValue)
            {
                rows.Add(new LayerRow(layers[l], 0, 0, 0, 0, 0, 0, 0, l < macs.Count ? macs[l] : 0, "none") { DramBytes = dramBytes is not null && l < dramBytes.Count ? dramBytes[l] : 0 });
                continue;
            }

            ulong cycles = (ulong)(((UInt128)active * clockHz + 999_999_999_999UL) / 1_000_000_000_000UL);
            string bottleneck = "sync";
            double best = 1.0 / 3.0;
            foreach ((string kind, long busy, int count) in new[] { ("spu", spu, nSpu), ("dma", dma, nDma), ("vpu", vpu, nVpu), ("sfa", sfa, nSfa) })
            {
                double share = count == 0 || cycles == 0 ? 0 : busy / ((double)count * cycles);
                if (share >= best)
                {
                    best = share;
                    bottleneck = kind;
                }
            }

            rows.Add(new LayerRow(layers[l], start, end, cycles, spu, dma, vpu, sfa, l < macs.Count ? macs[l] : 0, bottleneck) { DramBytes = dramBytes is not null && l < dramBytes.Count ? dramBytes[l] : 0 });
        }

        return rows;
    }

    public static string Format(IReadOnlyList<LayerRow> rows)
    {
        var sb = new StringBuilder(Header).Append('\n');
        CultureInfo c = CultureInfo.InvariantCulture;
        foreach (LayerRow r in rows)
        {
            sb.Append(c, $"{r.Layer},{r.StartPs},{r.EndPs},{r.Cycles},{r.SpuBusy},{r.DmaBusy},{r.VpuBusy},{r.SfaBusy},{r.Macs},{r.DramBytes},{r.Bottleneck}\n");
        }

        return sb.ToString();
    }
}
