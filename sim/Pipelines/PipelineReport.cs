using System.Globalization;
using System.Text;
using Antoum.Isa;
using Antoum.Sim.Reporting;

namespace Antoum.Sim.Pipelines;

/// <summary>summary.json, frames.csv, streams.csv and the console summary of a pipeline run (culture-invariant).</summary>
public static class PipelineReport
{
    public static string ToJson(PipelineResult r, RunProvenance prov, Power.PowerReport? power)
    {
        ArgumentNullException.ThrowIfNull(r);
        PipelineOptions o = r.Options;
        return SummaryWriter.Document(w =>
        {
            w.WriteStartObject();
            w.WriteString("format", "antoumsim.pipeline/1");
            SummaryWriter.WriteProvenance(w, prov);
            w.WriteStartObject("pipeline");
            w.WriteString("kind", o.Kind == PipelineKind.VideoAnalytics ? "video-analytics" : "jpeg-classify");
            w.WriteNumber("streams", o.Streams);
            w.WriteNumber("fps", o.Fps);
            if (o.Kind == PipelineKind.VideoAnalytics)
            {
                w.WriteString("codec", o.Codec == VideoCodec.H265 ? "h265" : "h264");
                w.WriteNumber("width", o.Width);
                w.WriteNumber("height", o.Height);
                w.WriteNumber("framesPerStream", o.Frames);
            }
            else
            {
                w.WriteNumber("images", o.Frames);
                w.WriteStartArray("imageFiles");
                foreach (Blocks.Codec.JpegImage i in o.Images)
                {
                    w.WriteStringValue(Path.GetFileName(i.Source));
                }

                w.WriteEndArray();
            }

            w.WriteNumber("deadlinePs", o.DeadlinePs);
            w.WriteString("classifier", r.Classifier.Network);
            w.WriteNumber("classifierBatch", r.Classifier.Batch);
            w.WriteNumber("classifierBatchPs", r.Classifier.BatchPs);
            w.WriteEndObject();

            w.WriteStartObject("results");
            w.WriteNumber("frames", r.Frames.Count);
            w.WriteNumber("elapsedPs", r.ElapsedPs);
            w.WriteNumber("offeredFps", r.OfferedFps);
            w.WriteNumber("sustainedFps", r.SustainedFps);
            w.WriteBoolean("realTimeAllStreams", r.RealTimeAll);
            w.WriteNumber("realTimeStreams", r.RealTimeStreams);
            w.WriteNumber("latencyP50Ps", r.P50Ps);
            w.WriteNumber("latencyP99Ps", r.P99Ps);
            w.WriteNumber("latencyMaxPs", r.MaxLatencyPs);
            w.WriteNumber("decodeCapacityFps", r.DecodeCapacityFps);
            w.WriteNumber("decodeCapacityStreams", r.DecodeCapacityStreams);
            w.WriteNumber("classifierCapacityFps", r.ClassifierCapacityFps);
            w.WriteNumber("classifierBatches", r.Batches);
            w.WriteNumber("classifierBusyFraction", r.ClassifierBusyFraction);
            w.WriteString("bottleneckStage", r.Bottleneck.Stage);
            w.WriteString("bottleneckBlock", r.Bottleneck.Block);
            w.WriteStartArray("stages");
            foreach (StageLoad s in r.Stages)
            {
                w.WriteStartObject();
                w.WriteString("stage", s.Stage);
                w.WriteString("busiestBlock", s.Block);
                w.WriteNumber("utilization", s.Utilization);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("events", r.Sim.EventsExecuted);
            w.WriteEndObject();
            power?.WriteJson(w);
            w.WriteEndObject();
        });
    }

    /// <summary>One row per frame: stream, index, cluster, decoder unit, times in ps, decode cycles, latency.</summary>
    public static string FramesCsv(PipelineResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder("stream,frame,cluster,decoder,arrival_ps,decode_start_ps,decode_end_ps,preprocess_end_ps,done_ps,decode_cycles,latency_ps\n");
        foreach (FrameRecord f in r.Frames)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{f.Stream},{f.Index},{f.Cluster},{f.Unit},{f.ArrivalPs},{f.DecodeStartPs},{f.DecodeEndPs},{f.PreprocessEndPs},{f.DonePs},{f.DecodeCycles},{f.LatencyPs}\n");
        }

        return sb.ToString();
    }

    /// <summary>One row per stream: frames, latency p50/p99/max (ps), sustained frames/s, real time (1/0).</summary>
    public static string StreamsCsv(PipelineResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var sb = new StringBuilder("stream,frames,latency_p50_ps,latency_p99_ps,latency_max_ps,sustained_fps,on_time,decoder_load,real_time\n");
        foreach (StreamResult s in r.Streams)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{s.Stream},{s.Frames},{s.P50Ps},{s.P99Ps},{s.MaxPs},{s.SustainedFps.ToString("0.###", CultureInfo.InvariantCulture)},{(s.OnTime ? 1 : 0)},{s.DecoderLoad.ToString("0.######", CultureInfo.InvariantCulture)},{(s.RealTime ? 1 : 0)}\n");
        }

        return sb.ToString();
    }

    public static string ToConsole(PipelineResult r, RunProvenance prov)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(prov);
        CultureInfo c = CultureInfo.InvariantCulture;
        PipelineOptions o = r.Options;
        bool video = o.Kind == PipelineKind.VideoAnalytics;
        var sb = new StringBuilder();
        sb.Append(c, $"AntoumSim {prov.ProgramVersion}  {prov.Config.Source}  {prov.WorkloadName}\n");
        sb.Append(c, $"  pipeline        {prov.WorkloadDescription}\n");
        sb.Append(c, $"  config          {prov.Config.Source}  hash {prov.Config.Hash[..12]}\n");
        sb.Append(c, $"  classifier      {r.Classifier.Network} batch {r.Classifier.Batch}: {r.Classifier.BatchPs / 1e9:0.000} ms per batch (compiled and simulated on the card), {r.ClassifierCapacityFps:N0} frames/s\n");
        if (video)
        {
            sb.Append(c, $"  decode capacity {r.DecodeCapacityFps:N0} frames/s at full load; {r.DecodeCapacityStreams} streams of {o.Fps} FPS fit (streams pinned to decoder cores)\n");
        }
        else
        {
            sb.Append(c, $"  decode capacity {r.DecodeCapacityFps:N0} images/s at full load\n");
        }

        sb.Append(c, $"  simulated       {r.Frames.Count:N0} frames over {r.ElapsedPs / 1e9:0.000} ms; offered {(r.OfferedFps > 0 ? r.OfferedFps.ToString("N0", c) + " frames/s" : "all at once")}, sustained {r.SustainedFps:N1} frames/s\n");
        if (video || o.Fps > 0)
        {
            int onTime = 0, overloaded = 0;
            double worst = 0;
            foreach (StreamResult s in r.Streams)
            {
                onTime += s.OnTime ? 1 : 0;
                overloaded += s.DecoderLoad > 1.0 ? 1 : 0;
                worst = Math.Max(worst, s.DecoderLoad);
            }

            sb.Append(c, $"  real time       {(r.RealTimeAll ? "HOLDS" : "FAILS")}: {r.RealTimeStreams} of {r.Streams.Count} stream{(r.Streams.Count == 1 ? string.Empty : "s")} real time ({onTime} classified every frame within {o.DeadlinePs / 1e9:0.###} ms; {overloaded} on a decoder loaded past its long-run capacity, busiest at {worst * 100:0.0}%)\n");
        }

        sb.Append(c, $"  latency         p50 {r.P50Ps / 1e9:0.000} ms, p99 {r.P99Ps / 1e9:0.000} ms, max {r.MaxLatencyPs / 1e9:0.000} ms (arrival to classified)\n");
        sb.Append("  stage load      ");
        foreach (StageLoad s in r.Stages)
        {
            sb.Append(c, $"{s.Stage} {s.Utilization * 100:0.0}%  ");
        }

        sb.Length -= 2;
        sb.Append('\n');
        sb.Append(c, $"                  (classify load = frames x batch time / batch; the classifier held padded batches {r.ClassifierBusyFraction * 100:0.0}% of the time)\n");
        sb.Append(c, $"  bottleneck      {r.Bottleneck.Stage}: {r.Bottleneck.Block} busy {r.Bottleneck.Utilization * 100:0.0}%\n");
        return sb.ToString();
    }
}
