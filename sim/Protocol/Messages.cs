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

/// <summary>What an engine asks of the sync unit.</summary>
public enum SyncKind : byte
{
    /// <summary>Add one to a counting token.</summary>
    Signal,

    /// <summary>Block until the token holds at least Count, then take Count.</summary>
    Wait,

    /// <summary>Block until Count engines have reached barrier Token.</summary>
    Barrier,

    /// <summary>Start the stream of engine Token (sent by the control CPU).</summary>
    Launch,
}

/// <summary>
/// An engine's request to the sync unit. <see cref="Token"/> is a token id, a barrier id or (for Launch) an engine
/// index; <see cref="Global"/> selects the card-wide token space instead of the chip's.
/// </summary>
public readonly record struct SyncRequest(SyncKind Kind, int Token, bool Global, int Count);

/// <summary>
/// The sync unit's answer: a wait or barrier is satisfied, or (Launch) the engine may start. <see cref="Immediate"/>:
/// a wait whose token count was already there when the request arrived (the engine did not wait for a signal).
/// </summary>
public readonly record struct SyncGrant(SyncKind Kind, int Token, bool Immediate = false);

/// <summary>
/// A DMA burst through the memory fabric: move <see cref="Bytes"/> from <see cref="Source"/> to
/// <see cref="Destination"/> (packed memory references). The fabric answers with a <see cref="MemResponse"/>
/// carrying the same tag when the data has landed.
/// </summary>
public readonly record struct MemCopy(long Source, long Destination, uint Bytes, int Tag);
