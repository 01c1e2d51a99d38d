using System.Globalization;
using System.Text;
using CliProgram = Antoum.Sim.Cli.Program;

namespace Antoum.Tests.Determinism;

/// <summary>
/// The small runs whose every output file the determinism tests compare and the golden tests pin. Paths in the
/// arguments are relative to the repository root (the tests run with it as the working folder), as a user in a
/// clone types them; <c>{out}</c> is the output folder of the case.
/// </summary>
internal static class OutputCases
{
    public sealed record Case(string Name, string[] Args);

    public static readonly Case[] All =
    [
        new("run-gemm-small-s10", ["run", "--sku", "S10", "--workload", "gemm-small", "--batch", "2", "--out", "{out}"]),
        new("run-tiny-net-s4", ["run", "--sku", "S4", "--workload", "tests/golden/inputs/tiny-net.json", "--batch", "2", "--plots", "--out", "{out}"]),
        new("compile-tiny-net-s30", ["compile", "--sku", "S30", "--workload", "tests/golden/inputs/tiny-net.json", "--batch", "3", "-o", "{out}/tiny-net.akp", "--report", "{out}/compile-report.csv"]),
        new("layers-gemm-suite-ws", ["layers", "--topology", "traces/topologies/gemm-suite.csv", "--array", "32x32", "--dataflow", "ws", "--out", "{out}/layers.csv"]),
        new("run-program-gemm-int8-db", ["run", "--program", "firmware/kernels/gemm_int8_db.s", "--out", "{out}"]),
        new("disasm-spaxpy", ["disasm", "firmware/kernels/spaxpy.s", "-o", "{out}/spaxpy.s"]),
        new("run-video-analytics-s4", ["run", "--sku", "S4", "--workload", "video-analytics", "--streams", "3", "--frames", "2", "--classifier", "tests/golden/inputs/tiny-net.json", "--classifier-batch", "2", "--out", "{out}"]),
        new("run-jpeg-classify-s4", ["run", "--sku", "S4", "--workload", "jpeg-classify", "--images", "tests/jpeg", "--frames", "14", "--classifier", "tests/golden/inputs/tiny-net.json", "--classifier-batch", "4", "--out", "{out}"]),
    ];

    /// <summary>Output files not pinned by the golden tests (still compared by the determinism tests): stats.txt
    /// lists every counter of every block and changes whenever any model gains a statistic; PNG charts, whose bytes come
    /// from the Skia rasteriser (their SVG sources and report.html are pinned).</summary>
    public static bool IsPinned(string relativePath) => !relativePath.EndsWith("stats.txt", StringComparison.Ordinal)
        && !relativePath.EndsWith(".png", StringComparison.Ordinal);

    public static string Root => BadInputs.BadInputCorpusTests.Root;

    /// <summary>Runs a case in process with the repository root as the working folder and the given culture;
    /// returns the exit code and the standard error text.</summary>
    public static (int Code, string Err) RunInProcess(Case c, string outDir, CultureInfo culture)
    {
        Directory.CreateDirectory(outDir);
        string[] args = [.. c.Args.Select(a => a.Replace("{out}", outDir, StringComparison.Ordinal))];
        string cwd = Environment.CurrentDirectory;
        CultureInfo before = CultureInfo.CurrentCulture, beforeUi = CultureInfo.CurrentUICulture;
        try
        {
            Environment.CurrentDirectory = Root;
            CultureInfo.CurrentCulture = culture;
            CultureInfo.CurrentUICulture = culture;
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = CliProgram.Run(args, stdout, stderr);
            return (code, stderr.ToString());
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
            CultureInfo.CurrentUICulture = beforeUi;
            Environment.CurrentDirectory = cwd;
        }
    }

    /// <summary>Every file under <paramref name="dir"/>, by relative path ('/' separators), in ordinal order.</summary>
    public static SortedDictionary<string, byte[]> ReadTree(string dir)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
        {
            files[Path.GetRelativePath(dir, f).Replace('\\', '/')] = File.ReadAllBytes(f);
        }

        return files;
    }

    /// <summary>Empty when the trees are byte-identical, else a description of the first differences.</summary>
    public static string Compare(SortedDictionary<string, byte[]> expected, SortedDictionary<string, byte[]> actual, string what)
    {
        var sb = new StringBuilder();
        foreach (string name in expected.Keys.Union(actual.Keys).Order(StringComparer.Ordinal))
        {
            if (!expected.TryGetValue(name, out byte[]? e))
            {
                sb.Append(CultureInfo.InvariantCulture, $"{what}: unexpected file {name}\n");
            }
            else if (!actual.TryGetValue(name, out byte[]? a))
            {
                sb.Append(CultureInfo.InvariantCulture, $"{what}: missing file {name}\n");
            }
            else if (!e.AsSpan().SequenceEqual(a))
            {
                sb.Append(CultureInfo.InvariantCulture, $"{what}: {name} differs: {FirstDifference(e, a)}\n");
            }
        }

        return sb.ToString();
    }

    private static string FirstDifference(byte[] expected, byte[] actual)
    {
        string[] e = Encoding.UTF8.GetString(expected).Split('\n');
        string[] a = Encoding.UTF8.GetString(actual).Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            string el = i < e.Length ? e[i] : "<end of file>";
            string al = i < a.Length ? a[i] : "<end of file>";
            if (el != al)
            {
                return string.Create(CultureInfo.InvariantCulture, $"line {i + 1}: expected \"{Clip(el)}\", got \"{Clip(al)}\"");
            }
        }

        return "same text, different bytes";
    }

    private static string Clip(string s) => s.Length <= 200 ? s : s[..200] + "...";
}
