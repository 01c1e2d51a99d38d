using System.Diagnostics;
using System.Globalization;
using System.Text;
using Antoum.Firmware.Workloads;
using Antoum.Isa;
using Antoum.Sim.Blocks.Spu;
using Antoum.Sim.Chip;
using Antoum.Sim.Cli;
using Antoum.Sim.Config;
using Antoum.Sim.Workloads;
using NUnit.Framework;

namespace Antoum.Tests.Fuzz;

/// <summary>
/// Time-boxed mutation fuzzing of every parser that reads user files: configuration JSON (and the card parameters
/// derived from it), <c>--set</c> overrides, workload JSON, SCALE-Sim topology CSV (both readers, and the SPU timing
/// of what they accept), assembly and <c>.akp</c> containers. Inputs are valid files and the bad-input corpus, mutated
/// by byte flips, deletions, duplications, splices of hostile tokens and truncation. The only exceptions allowed
/// are the user-error types the command line turns into exit code 2; anything else, or one input taking longer
/// than <see cref="HangSeconds"/>, is a finding: the test fails and writes the input to the test output folder.
/// <para>Settings: <c>ANTOUM_FUZZ_SECONDS</c> (time box per parser, default 3; CI sets it in .ci/run; minutes in a
/// long run), <c>ANTOUM_FUZZ_SEED</c> (a number replays that seed, the default is fixed; <c>random</c> explores).
/// Each test prints its executions and findings.</para>
/// </summary>
[TestFixture]
[Category("Quick")]
[Category("Fuzz")]
public class ParserFuzzTests
{
    /// <summary>One input taking longer than this is reported as a hang.</summary>
    public const double HangSeconds = 20;

    private static readonly string[] s_tokens =
    [
        "0", "-1", "1e308", "-0", "NaN", "99999999999999999999", "2147483648", "9223372036854775807", "-9223372036854775808",
        "4294967296", "0x7fffffff", "1:0", "0:0", "3:2", "1e-300", "\"\"", "null", "true", "[]", "{}", "[[[[", "}}}}", ",", ":", "\"",
        "\\u0000", "\u00e9", "\ud83d\ude00", "0GB/s", "0Hz", "1PB/s", "18446744073709551615B", "1e30GHz", "KB", "-5ns", " ", "\n", "\t", ";",
        ".engine cpu", "loop 4294967295", "endloop", "end", "wait t1", "signal g:t2", "l1[0x7fffffff]", "dram[-1]", ".const X = 1 << 63",
        "a,b,c,d,e,f,g,h,i,j", ",,,,,,,,", "Layer, M, N, K,", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,",
    ];

    private static double TimeBoxSeconds
    {
        get
        {
            string? s = Environment.GetEnvironmentVariable("ANTOUM_FUZZ_SECONDS");
            return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? v : 3;
        }
    }

    private static int Seed
    {
        get
        {
            string? s = Environment.GetEnvironmentVariable("ANTOUM_FUZZ_SEED");
            if (string.Equals(s, "random", StringComparison.OrdinalIgnoreCase))
            {
                return Environment.TickCount;
            }

            return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v : 20261123;
        }
    }

    private static string Root => BadInputs.BadInputCorpusTests.Root;

    private string _temp = string.Empty;

    [SetUp]
    public void CreateFolder()
    {
        _temp = Path.Combine(Path.GetTempPath(), "antoum-fuzz", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_temp);
    }

    [TearDown]
    public void DeleteFolder()
    {
        Directory.Delete(_temp, recursive: true);
    }

    [Test]
    public void ConfigFiles()
    {
        // The mutated file is the base configuration; the SKU file that includes it is the shipped one.
        File.Copy(Path.Combine(Root, "configs", "s30.json"), Path.Combine(_temp, "s30.json"));
        string target = Path.Combine(_temp, "antoum.json");
        Fuzz("config", Seeds(Path.Combine(Root, "configs", "antoum.json")), input =>
        {
            File.WriteAllBytes(target, input);
            ResolvedConfig config = ConfigLoader.Load(Path.Combine(_temp, "s30.json"), []);
            _ = CardParameters.FromConfig(config.Config);
        }, typeof(UserInputException));
    }

    [Test]
    public void SetOverrides()
    {
        string[] paths = ["chip.spu.rows", "chip.clock", "chip.dram.bandwidth", "sku.chips", "chip.noc.linkWidth", "sku.hostLink.lanes", "seed", "chip.dram.model", "chip.spu.dataflow", "chip.l2.capacity"];
        byte[][] seeds = [.. paths.Select(p => Encoding.UTF8.GetBytes(p + "=1"))];
        Fuzz("--set", seeds, input =>
        {
            ResolvedConfig config = ConfigLoader.Load("S4", [Encoding.UTF8.GetString(input)]);
            _ = CardParameters.FromConfig(config.Config);
        }, typeof(UserInputException));
    }

    [Test]
    public void WorkloadJson()
    {
        var seeds = new List<byte[]>(Seeds(Path.Combine(Root, "traces", "mobilenet-v1.json")));
        seeds.AddRange(CorpusFiles("workload"));
        Fuzz("workload JSON", seeds, input =>
        {
            WorkloadGraph g = WorkloadFile.Parse(Encoding.UTF8.GetString(input), "w.json");
            CheckedMacs(g);
        }, typeof(WorkloadException));
    }

    [Test]
    public void TopologyCsv()
    {
        var seeds = new List<byte[]>(Seeds(Path.Combine(Root, "traces", "topologies", "resnet50.csv")));
        seeds.AddRange(Seeds(Path.Combine(Root, "traces", "topologies", "gemm-suite.csv")));
        seeds.AddRange(CorpusFiles("topology"));
        SpuModelParams p = CardParameters.FromConfig(ConfigLoader.Load("S4", []).Config).SpuModel;
        Fuzz("topology CSV (antoum layers and workload import)", seeds, input =>
        {
            ScaleSimTopology topology = ScaleSimTopology.Parse(Lines(input), "t.csv");
            CheckedMacs(topology.Graph);
            string csv = LayersCommand.Report(p, topology);
            foreach (string row in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // Every count after the layer name is non-negative: a '-' would be an overflow that wrapped around.
                if (row[(row.IndexOf(',', StringComparison.Ordinal) + 1)..].Contains('-', StringComparison.Ordinal))
                {
                    throw new InvalidOperationException("negative count (overflow) in: " + row);
                }
            }
        }, typeof(WorkloadException));
    }

    [Test]
    public void Assembly()
    {
        var seeds = new List<byte[]>();
        foreach (string f in Directory.GetFiles(Path.Combine(Root, "firmware", "kernels"), "*.s").Order(StringComparer.Ordinal))
        {
            seeds.Add(File.ReadAllBytes(f));
        }

        seeds.AddRange(CorpusFiles("asm"));
        Fuzz("assembly", seeds, input => Assembler.Assemble(Encoding.UTF8.GetString(input), "m.s"), typeof(IsaException));
    }

    [Test]
    public void AkpContainers()
    {
        var seeds = new List<byte[]>();
        foreach (string f in Directory.GetFiles(Path.Combine(Root, "firmware", "kernels"), "*.s").Order(StringComparer.Ordinal))
        {
            seeds.Add(AkpContainer.Write(Assembler.Assemble(File.ReadAllText(f), f)));
        }

        seeds.AddRange(CorpusFiles("akp"));
        // Most mutations break the CRC; half of the inputs get a recomputed CRC so the payload decoder is reached.
        Fuzz("akp", seeds, input =>
        {
            AkpProgram p = AkpContainer.Read(input, "m.akp");
            _ = Disassembler.Disassemble(p);
        }, typeof(IsaException), fixup: FixCrc);
    }

    /// <summary>An accepted graph's MAC counts are non-negative and add up without overflow.</summary>
    private static void CheckedMacs(WorkloadGraph g)
    {
        long total = 0;
        foreach (Layer l in g.Layers)
        {
            long m = l.Macs();
            if (m < 0)
            {
                throw new InvalidOperationException($"layer {l.Name}: negative MAC count {m} (overflow)");
            }

            total = checked(total + m);
        }
    }

    private static byte[] FixCrc(byte[] input, Random rng)
    {
        if (input.Length < 16 || rng.Next(2) == 0)
        {
            return input;
        }

        byte[] copy = (byte[])input.Clone();
        uint length = (uint)(copy.Length - 16);
        BitConverter.TryWriteBytes(copy.AsSpan(8, 4), length);
        BitConverter.TryWriteBytes(copy.AsSpan(12, 4), Crc32.Compute(copy.AsSpan(16)));
        return copy;
    }

    private static IEnumerable<byte[]> Seeds(string path)
    {
        yield return File.ReadAllBytes(path);
    }

    private static IEnumerable<byte[]> CorpusFiles(string folder)
    {
        foreach (string f in Directory.GetFiles(Path.Combine(BadInputs.BadInputCorpusTests.CorpusDir, folder)).Order(StringComparer.Ordinal))
        {
            yield return File.ReadAllBytes(f);
        }
    }

    private static string[] Lines(byte[] input)
    {
        return Encoding.UTF8.GetString(input).Split('\n');
    }

    /// <summary>
    /// Runs <paramref name="parse"/> on mutated inputs until the time box ends, on a worker thread so that a hang is
    /// reported instead of blocking the test run. Allowed: success, or an exception of type <paramref name="allowed"/>
    /// (or a subclass) with a non-empty message that holds no stack trace (a message may quote a multi-line
    /// fragment of the input).
    /// </summary>
    private static void Fuzz(string name, IEnumerable<byte[]> seedInputs, Action<byte[]> parse, Type allowed, Func<byte[], Random, byte[]>? fixup = null)
    {
        byte[][] seeds = [.. seedInputs];
        int seed = Seed;
        double box = TimeBoxSeconds;
        long executions = 0, rejected = 0;
        byte[] current = [];
        Exception? finding = null;
        var clock = Stopwatch.StartNew();
        long inputStartedTicks = 0;
        var worker = new Thread(() =>
        {
            var rng = new Random(seed);
            try
            {
                while (clock.Elapsed.TotalSeconds < box && finding is null)
                {
                    byte[] input = Mutate(seeds[rng.Next(seeds.Length)], rng);
                    if (fixup is not null)
                    {
                        input = fixup(input, rng);
                    }

                    Volatile.Write(ref current, input);
                    Volatile.Write(ref inputStartedTicks, clock.ElapsedTicks);
                    try
                    {
                        parse(input);
                    }
                    catch (Exception e) when (allowed.IsInstanceOfType(e) && e.Message.Length > 0 && !e.Message.Contains("\n   at ", StringComparison.Ordinal))
                    {
                        rejected++;
                    }

                    Interlocked.Increment(ref executions);
                }
            }
            catch (Exception e)
            {
                finding = e;
            }
        })
        {
            IsBackground = true,
            Name = "fuzz " + name,
        };
        worker.Start();
        while (!worker.Join(100))
        {
            double stuck = (clock.ElapsedTicks - Volatile.Read(ref inputStartedTicks)) / (double)Stopwatch.Frequency;
            if (stuck > HangSeconds)
            {
                string file = SaveFinding(name, Volatile.Read(ref current));
                Assert.Fail($"{name}: one input ran for more than {HangSeconds} s (hang); input saved to {file}; seed {seed}");
            }
        }

        string summary = string.Create(CultureInfo.InvariantCulture,
            $"fuzz {name}: {executions} executions in {clock.Elapsed.TotalSeconds:0.0} s ({rejected} rejected as bad input, {executions - rejected} accepted), seed {seed}, {(finding is null ? "no findings" : "1 finding")}");
        TestContext.Out.WriteLine(summary);
        if (finding is not null)
        {
            string file = SaveFinding(name, current);
            Assert.Fail($"{summary}: {finding.GetType().Name} is not an allowed {allowed.Name}; input saved to {file}\n{finding}");
        }

        Assert.That(executions, Is.GreaterThan(0), $"{name}: no input was run");
    }

    private static string SaveFinding(string name, byte[] input)
    {
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "fuzz-findings");
        Directory.CreateDirectory(dir);
        string file = Path.Combine(dir, new string([.. name.Select(c => char.IsLetterOrDigit(c) ? c : '-')]) + "-" + Guid.NewGuid().ToString("N")[..8] + ".bin");
        File.WriteAllBytes(file, input);
        return file;
    }

    /// <summary>1 to 4 random edits: flip, delete, duplicate, splice a hostile token, replace a number, truncate.</summary>
    internal static byte[] Mutate(byte[] seed, Random rng)
    {
        var data = new List<byte>(seed);
        int edits = rng.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int at = rng.Next(data.Count + 1);
            switch (rng.Next(7))
            {
                case 0:
                    if (data.Count > 0)
                    {
                        int i = Math.Min(at, data.Count - 1);
                        data[i] ^= (byte)(1 << rng.Next(8));
                    }

                    break;
                case 1:
                    data.RemoveRange(at, Math.Min(rng.Next(1, 64), data.Count - at));
                    break;
                case 2:
                    {
                        int len = Math.Min(rng.Next(1, 128), data.Count - at);
                        data.InsertRange(at, data.GetRange(at, len));
                        break;
                    }

                case 3:
                    data.InsertRange(at, Encoding.UTF8.GetBytes(s_tokens[rng.Next(s_tokens.Length)]));
                    break;
                case 4:
                    ReplaceNumber(data, rng);
                    break;
                case 5:
                    if (rng.Next(4) == 0)
                    {
                        data.RemoveRange(at, data.Count - at);
                    }

                    break;
                default:
                    if (data.Count > 0)
                    {
                        data[Math.Min(at, data.Count - 1)] = (byte)rng.Next(256);
                    }

                    break;
            }
        }

        return [.. data];
    }

    /// <summary>Replaces one run of digits with an extreme number (the edits that find overflows).</summary>
    private static void ReplaceNumber(List<byte> data, Random rng)
    {
        if (data.Count == 0)
        {
            return;
        }

        int start = rng.Next(data.Count);
        while (start < data.Count && !char.IsAsciiDigit((char)data[start]))
        {
            start++;
        }

        if (start == data.Count)
        {
            return;
        }

        int end = start;
        while (end < data.Count && char.IsAsciiDigit((char)data[end]))
        {
            end++;
        }

        string[] numbers = ["0", "1", "2147483647", "2147483648", "4294967295", "9223372036854775807", "99999999999999999999999", "65536", "1000000000", "3"];
        data.RemoveRange(start, end - start);
        data.InsertRange(start, Encoding.ASCII.GetBytes(numbers[rng.Next(numbers.Length)]));
    }
}
