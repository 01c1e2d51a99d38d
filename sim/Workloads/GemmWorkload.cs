using Antoum.Sim.Config;

namespace Antoum.Sim.Workloads;

/// <summary>One GEMM layer: per sample, C[M×N] = A[M×K] · B[K×N] in INT8 (one byte per element).</summary>
public sealed record GemmLayer(string Name, int RowsPerSample, int N, int K);

/// <summary>A built-in workload: a sequence of GEMM layers run one after another (a barrier between layers).</summary>
public sealed record GemmWorkload(string Name, string Description, IReadOnlyList<GemmLayer> Layers)
{
    /// <summary>Multiply-accumulates per sample.</summary>
    public long MacsPerSample
    {
        get
        {
            long macs = 0;
            foreach (GemmLayer l in Layers)
            {
                macs += (long)l.RowsPerSample * l.N * l.K;
            }

            return macs;
        }
    }
}

/// <summary>
/// The small built-in workloads that run end to end before the compiler and the network library exist:
/// GEMM tile streams through the placeholder MAC arrays. Names are also accepted in the form
/// <c>gemm:MxNxK</c> (M rows per sample).
/// </summary>
public static class BuiltInWorkloads
{
    private static readonly GemmWorkload[] s_all =
    [
        new("gemm-small", "one 64x256x256 INT8 GEMM per sample",
            [new GemmLayer("gemm", 64, 256, 256)]),
        new("gemm-1k", "one 1024x1024x1024 INT8 GEMM per sample",
            [new GemmLayer("gemm", 1024, 1024, 1024)]),
        new("mlp", "three-layer INT8 MLP, 128 tokens per sample: 1024 -> 4096 -> 4096 -> 1024",
            [new GemmLayer("fc1", 128, 4096, 1024), new GemmLayer("fc2", 128, 4096, 4096), new GemmLayer("fc3", 128, 1024, 4096)]),
    ];

    /// <summary>The workload the README's first command runs.</summary>
    public const string Default = "mlp";

    /// <summary>Every built-in workload, in a fixed order.</summary>
    public static IReadOnlyList<GemmWorkload> All => s_all;

    /// <summary>True when <paramref name="name"/> is a built-in GEMM stream or a gemm:MxNxK form.</summary>
    public static bool IsBuiltIn(string name)
    {
        foreach (GemmWorkload w in s_all)
        {
            if (string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return name.StartsWith("gemm:", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Finds a workload by name (case-insensitive) or parses <c>gemm:MxNxK</c>.</summary>
    public static GemmWorkload Resolve(string name)
    {
        foreach (GemmWorkload w in s_all)
        {
            if (string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return w;
            }
        }

        if (name.StartsWith("gemm:", StringComparison.OrdinalIgnoreCase))
        {
            string[] parts = name[5..].Split('x');
            if (parts.Length == 3
                && int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int m)
                && int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n)
                && int.TryParse(parts[2], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int k)
                && m > 0 && n > 0 && k > 0 && m <= 1 << 20 && n <= 1 << 20 && k <= 1 << 20)
            {
                return new GemmWorkload(name.ToLowerInvariant(), $"one {m}x{n}x{k} INT8 GEMM per sample", [new GemmLayer("gemm", m, n, k)]);
            }

            throw new UserInputException($"workload '{name}': expected gemm:MxNxK with positive integers up to 1048576, e.g. gemm:256x512x1024");
        }

        var known = new List<string>();
        foreach (GemmWorkload w in s_all)
        {
            known.Add(w.Name);
        }

        throw new UserInputException($"unknown workload '{name}': expected one of {string.Join(", ", known)}, or gemm:MxNxK");
    }
}
