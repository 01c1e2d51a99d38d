using Antoum.Sim.Config;

namespace Antoum.Sim.Blocks.Spu;

/// <summary>Turns the validated <c>chip.spu</c> configuration text into the SPU model's parameter types.</summary>
public static class SpuConfigMapping
{
    /// <summary>Dataflow from its config name: os, ws or is.</summary>
    public static SpuDataflow Dataflow(string name) => name switch
    {
        "os" => SpuDataflow.Os,
        "ws" => SpuDataflow.Ws,
        "is" => SpuDataflow.Is,
        _ => throw new UserInputException($"dataflow: expected os, ws or is (got \"{name}\")"),
    };

    /// <summary>Config name of a dataflow.</summary>
    public static string Name(SpuDataflow dataflow) => dataflow switch
    {
        SpuDataflow.Os => "os",
        SpuDataflow.Ws => "ws",
        _ => "is",
    };

    /// <summary>Format costs from one <c>chip.spu.formats.*</c> record.</summary>
    public static SparseFormatParams Format(SparseFormatConfig c) => new(
        c.DecodeCyclesPerFold,
        c.IndexBits,
        c.PointerBits,
        c.BitmapBlock,
        c.BlockN,
        c.BlockK,
        c.Imbalance == "balanced" ? SparseImbalance.Balanced : SparseImbalance.Binomial);
}
