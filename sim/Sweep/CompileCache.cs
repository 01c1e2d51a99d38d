using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Antoum.Firmware.Compiler;
using Antoum.Firmware.Workloads;

namespace Antoum.Sim.Sweep;

/// <summary>
/// Compiled programs shared by the points of a sweep. The key is every input of <see cref="Compiler.Compile"/>: the
/// graph (SHA-256 of its canonical JSON, so per-layer shapes, precisions and sparsity are all in it), the batch, the
/// <see cref="CompileTarget"/> record (every number the compiler reads from the card: SKU, chips, clusters, SPUs per
/// cluster, array rows and cols, L1, L2, DRAM capacity per interface, DMA burst, and any field added later, by record
/// equality, as <see cref="Compiler.EffectiveTarget"/> gives it: the DRAM bandwidth only for split-mode compiles, the one
/// mode whose tiling reads it) and the <see cref="CompileOptions"/> record. The compiler has no other input (it never sees the config),
/// so two points with equal keys compile to the same program. Simulation results are never cached.
/// </summary>
public sealed class CompileCache
{
    private readonly ConcurrentDictionary<Key, Lazy<CompileResult>> _entries = new();
    private readonly int _capacity;
    private long _hits;
    private long _misses;

    /// <summary>An empty cache.</summary>
    /// <param name="capacity">Entries kept; when full the cache starts over (it only saves time, never changes results).</param>
    public CompileCache(int capacity = 64)
    {
        _capacity = Math.Max(1, capacity);
    }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>The compiled program for these inputs, compiling once per key (a compile error is remembered and rethrown).</summary>
    public CompileResult GetOrCompile(WorkloadGraph graph, int batch, CompileTarget target, CompileOptions options)
    {
        string graphHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(WorkloadFile.ToJson(graph))));
        var key = new Key(graphHash, batch, Compiler.EffectiveTarget(graph, target, options), options);
        if (_entries.TryGetValue(key, out Lazy<CompileResult>? hit))
        {
            Interlocked.Increment(ref _hits);
            return hit.Value;
        }

        if (_entries.Count >= _capacity)
        {
            _entries.Clear();
        }

        Lazy<CompileResult> entry = _entries.GetOrAdd(key, k => new Lazy<CompileResult>(() =>
        {
            Interlocked.Increment(ref _misses);
            return Compiler.Compile(graph, k.Batch, k.Target, k.Options);
        }, LazyThreadSafetyMode.ExecutionAndPublication));
        return entry.Value;
    }

    private sealed record Key(string GraphHash, int Batch, CompileTarget Target, CompileOptions Options);
}
