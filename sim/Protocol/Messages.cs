namespace Antoum.Sim.Protocol;

// Message types carried by links between blocks: the only contract blocks share (gem5's Packet, SST's Event).
// Small readonly structs, so links carry them without allocating.

/// <summary>Work for a MAC array: one K-chunk of one output tile of a GEMM layer.</summary>
public readonly record struct TileCommand(
    int Layer,
    int Tile,
    int Chunk,
    bool LastChunk,
    int Rows,
    int Cols,
    int Depth,
    uint OperandBytes,
    uint ResultBytes);

/// <summary>A memory request: read (answered by a <see cref="MemResponse"/>) or write (not answered).</summary>
public readonly record struct MemRequest(bool IsWrite, uint Bytes, int Tag);

/// <summary>Data returned for a read <see cref="MemRequest"/>.</summary>
public readonly record struct MemResponse(uint Bytes, int Tag);

/// <summary>A MAC array finished an output tile (its last K-chunk).</summary>
public readonly record struct TileDone(int Layer, int Tile);

/// <summary>
/// A message between the host and a chip's control CPU over PCIe: a launch (input data going down) or a
/// completion (output data coming up). <see cref="Chip"/> routes it through the card's PCIe switch.
/// </summary>
public readonly record struct HostMessage(int Chip, bool IsCompletion, int Samples, ulong Bytes);
