using System.CommandLine;
using System.Globalization;
using System.Text;
using Antoum.Isa;
using Antoum.Sim.Blocks.Codec;
using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Pipelines;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Cli;

/// <summary>
/// The pipeline workloads of <c>antoum run</c>: <c>--workload video-analytics</c> and <c>--workload jpeg-classify</c>
/// with their own options (docs/codec.md).
/// </summary>
internal sealed class PipelineCommand
{
    public const string VideoAnalytics = "video-analytics";
    public const string JpegClassify = "jpeg-classify";

    /// <summary>The image jpeg-classify decodes when no --images are given (embedded from traces/images/).</summary>
    public const string DefaultImage = "plasma-1920x1080-420.jpg";

    private readonly Option<int> _streams = new("--streams") { Description = "video-analytics: number of video streams (each pinned to one decoder core). Default 1.", DefaultValueFactory = _ => 1 };
    private readonly Option<int?> _fps = new("--fps") { Description = "video-analytics: frames per second of every stream (default 30). jpeg-classify: offered images per second in total (default 0: all images at once, to measure throughput)." };
    private readonly Option<string> _codec = new("--codec") { Description = "video-analytics: h264 or h265. Default h264.", DefaultValueFactory = _ => "h264" };
    private readonly Option<string?> _duration = new("--duration") { Description = "Simulated stream time, with units (e.g. 1s, 500ms): frames per stream = duration x fps. Default 1s. Bounds a run's cost (events grow with frames)." };
    private readonly Option<int?> _frames = new("--frames") { Description = "Frames per stream (video-analytics) or images in total (jpeg-classify), instead of --duration. jpeg-classify default without --fps: 48 per cluster." };
    private readonly Option<string?> _bitrate = new("--bitrate") { Description = "video-analytics: bit rate of every stream, e.g. 8Mbit/s, 500kbit/s or 1MB/s. Default chip.codec.video.defaultBitrate." };
    private readonly Option<string> _resolution = new("--resolution") { Description = "video-analytics: frame size WIDTHxHEIGHT. Default 1920x1080.", DefaultValueFactory = _ => "1920x1080" };
    private readonly Option<string[]> _images = new("--images") { Description = "jpeg-classify: baseline JPEG files or folders of *.jpg, used round-robin. Default: the shipped 1920x1080 4:2:0 image.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = true };
    private readonly Option<string> _classifier = new("--classifier") { Description = "Network of the classify stage, compiled and run on the card at --classifier-batch. Default resnet50.", DefaultValueFactory = _ => "resnet50" };
    private readonly Option<int?> _classifierBatch = new("--classifier-batch") { Description = "Frames per classifier batch (a partial batch is padded). Default 16 per chip." };
    private readonly Option<string> _deadline = new("--deadline") { Description = "A frame is on time when it is classified within this time of its arrival; a stream holds real time when all its frames are. Default 100ms.", DefaultValueFactory = _ => "100ms" };

    public static bool IsPipeline(string workload) =>
        string.Equals(workload, VideoAnalytics, StringComparison.OrdinalIgnoreCase) || string.Equals(workload, JpegClassify, StringComparison.OrdinalIgnoreCase);

    public void AddTo(Command cmd)
    {
        cmd.Options.Add(_streams);
        cmd.Options.Add(_fps);
        cmd.Options.Add(_codec);
        cmd.Options.Add(_duration);
        cmd.Options.Add(_frames);
        cmd.Options.Add(_bitrate);
        cmd.Options.Add(_resolution);
        cmd.Options.Add(_images);
        cmd.Options.Add(_classifier);
        cmd.Options.Add(_classifierBatch);
        cmd.Options.Add(_deadline);
    }

    public int Run(string[] args, ResolvedConfig config, string workload, ParseResult parse, string target, ulong maxEvents, bool quiet, bool plots, bool trace, TextWriter stdout, TextWriter stderr)
    {
        CardParameters p = CardParameters.FromConfig(config.Config);
        bool video = string.Equals(workload, VideoAnalytics, StringComparison.OrdinalIgnoreCase);
        PipelineOptions options = Options(parse, p, video);
        Firmware.Workloads.WorkloadGraph graph = CompileCommand.ResolveWorkload(parse.GetValue(_classifier)!);
        int batch = parse.GetValue(_classifierBatch) ?? (16 * p.Chips);
        if (batch <= 0)
        {
            throw new UserInputException($"--classifier-batch: must be a positive number of frames (got {batch})");
        }

        using OutputFolder output = OutputFolder.Begin(target);
        var wall = System.Diagnostics.Stopwatch.StartNew();
        ClassifierModel classifier = PipelineClassifier.FromNetwork(p, graph, batch, maxEvents, quiet ? null : stderr);
        var model = new PipelineModel(p, options, classifier);
        IReadOnlyList<TraceTrack>? tracks = trace ? model.AttachTrace() : null;
        PipelineResult result = model.Run(maxEvents, timeline: true);
        wall.Stop();
        string description = video
            ? string.Create(CultureInfo.InvariantCulture, $"{options.Streams} x {options.Width}x{options.Height}@{options.Fps} {CodecName(options.Codec)} decode -> resize {options.InputSize}x{options.InputSize} -> {graph.Name}")
            : string.Create(CultureInfo.InvariantCulture, $"{options.Frames} JPEG images ({options.Images.Count} distinct) decode -> resize {options.InputSize}x{options.InputSize} -> {graph.Name}");
        var prov = new RunProvenance(Commands.Version, Commands.CommandLineFor(args), config, video ? VideoAnalytics : JpegClassify, description);
        TimelineSampler timeline = model.Timeline!;
        var ctx = new Power.PowerContext(p.Chips, p.Chips * p.Clusters, p.VpuLanes, p.TdpMilliwatts);
        Power.PowerReport power = Power.PowerModel.Estimate(result.Sim.Stats, result.ElapsedPs, ctx, result.Frames.Count, Power.EnergyTable.Load(), timeline);
        int classifierActivity = -1;
        for (int i = 0; i < timeline.Blocks.Count; i++)
        {
            if (timeline.Blocks[i].Name == PipelineModel.ClassifierActivityName)
            {
                classifierActivity = i;
            }
        }

        power = Power.PowerModel.PlaceRemainder(power, timeline, classifierActivity);
        string summaryJson = PipelineReport.ToJson(result, prov, power);
        output.Write("summary.json", summaryJson);
        output.Write("frames.csv", PipelineReport.FramesCsv(result));
        output.Write("streams.csv", PipelineReport.StreamsCsv(result));
        output.Write("blocks.csv", BlocksCsv.Format(result.Sim.Stats, result.ElapsedPs));
        output.Write("power.csv", power.ToCsv());
        string timelineCsv = TimelineCsv.Format(timeline, power.BinWatts);
        output.Write("timeline.csv", timelineCsv);
        if (plots)
        {
            foreach ((string name, byte[] bytes) in Plots.RenderFolder(new PlotInputs(timelineCsv, null, power.ToCsv(), summaryJson)))
            {
                output.Write(name, bytes);
            }
        }

        if (tracks is not null)
        {
            output.Write("trace.json", TraceJson.Format(tracks, timelineCsv, graph.Name, p.Sku));
        }

        output.Write("stats.txt", $"# AntoumSim {prov.ProgramVersion} statistics\n# command: {prov.CommandLine}\n# config: {prov.Config.Source} sha256 {prov.Config.Hash}\n# workload: {prov.WorkloadName}\n"
            + result.Sim.Stats.FormatText(result.Sim.Now));
        output.Commit();
        if (quiet)
        {
            stdout.WriteLine(target);
            return Program.ExitOk;
        }

        var sb = new StringBuilder(PipelineReport.ToConsole(result, prov));
        sb.Append(power.ToConsoleLine());
        sb.Append(CultureInfo.InvariantCulture, $"  wall time       {wall.Elapsed.TotalSeconds:0.000} s\n");
        sb.Append(CultureInfo.InvariantCulture, $"  output          {target}/ (summary.json, frames.csv, streams.csv, blocks.csv, power.csv, timeline.csv, stats.txt{(plots ? ", plots/, report.html" : string.Empty)}{(trace ? ", trace.json" : string.Empty)})\n");
        stdout.Write(sb.ToString());
        return Program.ExitOk;
    }

    private PipelineOptions Options(ParseResult parse, CardParameters p, bool video)
    {
        int? fpsOpt = parse.GetValue(_fps);
        int fps = fpsOpt ?? (video ? 30 : 0);
        if (fps < 0 || (video && fps == 0) || fps > 100_000)
        {
            throw new UserInputException($"--fps: must be {(video ? "1" : "0")}-100000 (got {fps})");
        }

        int streams = parse.GetValue(_streams);
        if (streams < 1 || streams > 100_000)
        {
            throw new UserInputException($"--streams: must be 1-100000 (got {streams})");
        }

        int? framesOpt = parse.GetValue(_frames);
        string? durationText = parse.GetValue(_duration);
        if (framesOpt is not null && durationText is not null)
        {
            throw new UserInputException("--frames and --duration: give one of them, not both");
        }

        int frames;
        if (framesOpt is int f)
        {
            if (f < 1 || f > 10_000_000)
            {
                throw new UserInputException($"--frames: must be 1-10000000 (got {f})");
            }

            frames = f;
        }
        else if (!video && fps == 0)
        {
            if (durationText is not null)
            {
                throw new UserInputException("--duration: jpeg-classify without --fps offers every image at once; give --frames (or --fps with --duration)");
            }

            frames = 48 * p.Chips * p.Clusters;
        }
        else
        {
            ulong ps = ParseDuration(durationText ?? "1s");
            frames = (int)Math.Max(1, (ulong)((UInt128)ps * (ulong)fps / 1_000_000_000_000UL));
        }

        if (video && (long)frames * streams > 50_000_000)
        {
            throw new UserInputException($"--streams x frames per stream = {(long)frames * streams}: at most 50000000 frames per run");
        }

        VideoCodec codec = parse.GetValue(_codec)!.ToLowerInvariant() switch
        {
            "h264" or "h.264" or "avc" => VideoCodec.H264,
            "h265" or "h.265" or "hevc" => VideoCodec.H265,
            string other => throw new UserInputException($"--codec: expected h264 or h265, got '{other}'"),
        };
        (int width, int height) = ParseResolution(parse.GetValue(_resolution)!);
        string? bitrate = parse.GetValue(_bitrate);
        IReadOnlyList<JpegImage> images = video ? [] : LoadImages(parse.GetValue(_images) ?? []);
        return new PipelineOptions
        {
            Kind = video ? PipelineKind.VideoAnalytics : PipelineKind.JpegClassify,
            Streams = video ? streams : 1,
            Fps = fps,
            Codec = codec,
            Width = width,
            Height = height,
            BitrateBytesPerSecond = bitrate is null ? 0 : ParseBitrate(bitrate),
            Frames = frames,
            Images = images,
            DeadlinePs = ParseDuration(parse.GetValue(_deadline)!, "--deadline"),
        };
    }

    /// <summary>The images of the given files and folders (*.jpg, *.jpeg, sorted ordinally), or the shipped one.</summary>
    public static IReadOnlyList<JpegImage> LoadImages(IReadOnlyList<string> paths)
    {
        var images = new List<JpegImage>();
        if (paths.Count == 0)
        {
            images.Add(ShippedImage());
            return images;
        }

        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = new List<string>(Directory.GetFiles(path, "*.jp*g"));
                files.Sort(StringComparer.Ordinal);
                if (files.Count == 0)
                {
                    throw new UserInputException($"--images: folder '{path}' has no *.jpg file");
                }

                foreach (string file in files)
                {
                    images.Add(JpegImage.Load(file));
                }
            }
            else if (File.Exists(path))
            {
                images.Add(JpegImage.Load(path));
            }
            else
            {
                throw new UserInputException($"--images: '{path}' is neither a file nor a folder");
            }
        }

        return images;
    }

    /// <summary>The shipped 1920x1080 4:2:0 image (traces/images/, embedded in the program).</summary>
    public static JpegImage ShippedImage()
    {
        using Stream stream = typeof(PipelineCommand).Assembly.GetManifestResourceStream("images/" + DefaultImage)
            ?? throw new SimInvariantException("the shipped JPEG image is not embedded in the program");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return JpegParser.Parse(copy.ToArray(), "traces/images/" + DefaultImage);
    }

    /// <summary>A bit rate: NUMBER followed by bit/s, kbit/s, Mbit/s, Gbit/s, or a byte bandwidth (1MB/s).</summary>
    public static ulong ParseBitrate(string text)
    {
        string t = text.Trim();
        (string unit, decimal scale)[] units = [("Gbit/s", 1e9m), ("Mbit/s", 1e6m), ("kbit/s", 1e3m), ("bit/s", 1m)];
        foreach ((string unit, decimal scale) in units)
        {
            if (t.EndsWith(unit, StringComparison.Ordinal)
                && decimal.TryParse(t[..^unit.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal v) && v > 0)
            {
                decimal bytes = v * scale / 8;
                return bytes >= 1 ? (ulong)Math.Ceiling(bytes) : throw new UserInputException($"--bitrate: '{text}' is below 8 bit/s");
            }
        }

        try
        {
            ulong b = Bandwidth.Parse(t).BytesPerSecond;
            return b > 0 ? b : throw new UserInputException("--bitrate: must be > 0");
        }
        catch (FormatException)
        {
            throw new UserInputException($"--bitrate: expected a bit rate such as 8Mbit/s, 500kbit/s or 1MB/s, got '{text}'");
        }
    }

    private static ulong ParseDuration(string text, string option = "--duration")
    {
        try
        {
            ulong ps = Duration.Parse(text).Picoseconds;
            return ps > 0 ? ps : throw new UserInputException($"{option}: must be > 0");
        }
        catch (FormatException e)
        {
            throw new UserInputException($"{option}: {e.Message}");
        }
    }

    private static (int Width, int Height) ParseResolution(string text)
    {
        string[] parts = text.Split('x');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h)
            && w >= 16 && h >= 16 && w <= 8192 && h <= 8192)
        {
            return (w, h);
        }

        throw new UserInputException($"--resolution: expected WIDTHxHEIGHT with each 16-8192, e.g. 1920x1080, got '{text}'");
    }

    public static string CodecName(VideoCodec c) => c == VideoCodec.H265 ? "H.265" : "H.264";
}
