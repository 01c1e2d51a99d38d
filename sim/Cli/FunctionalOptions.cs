using System.CommandLine;
using Antoum.Sim.Config;
using Antoum.Sim.Functional;

namespace Antoum.Sim.Cli;

/// <summary>The <c>--functional</c> and <c>--seed</c> options of <c>antoum run</c> (docs/functional.md).</summary>
internal static class FunctionalOptions
{
    public static (Option<bool> Functional, Option<ulong> Seed) Create()
    {
        var functional = new Option<bool>("--functional")
        {
            Description = "Functional mode for small graphs (conv, gemm, attention, softmax, gelu; at most 2^28 MACs per batch): the engines compute INT8/BF16 values from seeded inputs and the output is compared with a plain reference; summary.json gets a 'functional' object, and the exit code is 3 when the output differs. See docs/functional.md.",
        };
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed of the functional mode's input and weight generator (default 1).",
            DefaultValueFactory = _ => 1,
        };
        return (functional, seed);
    }

    /// <summary>The functional request, or null without --functional; refuses what functional mode cannot run.</summary>
    public static FunctionalRequest? Request(bool functional, ulong seed, string? programPath, string workload)
    {
        if (!functional)
        {
            return null;
        }

        if (programPath is not null)
        {
            throw new UserInputException("--functional runs a compiled workload graph (--workload NAME|FILE.json), not --program: a program carries no tensor map to load inputs and read outputs");
        }

        if (Workloads.BuiltInWorkloads.IsBuiltIn(workload))
        {
            throw new UserInputException($"--functional: '{workload}' is a built-in GEMM stream (timing only); use a layer graph, e.g. --workload {string.Join(", ", FunctionalWorkloads.Names)} or a .json graph");
        }

        return new FunctionalRequest(seed);
    }
}
