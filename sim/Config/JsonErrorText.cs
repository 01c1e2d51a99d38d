using System.Text.Json;

namespace Antoum.Sim.Config;

/// <summary>The reason of a JSON syntax error, without the reader's "Path: … LineNumber: … BytePositionInLine: …" tail (the callers give the line and column themselves).</summary>
internal static class JsonErrorText
{
    public static string Reason(JsonException e)
    {
        string reason = e.Message;
        if (reason.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
        {
            return "the file is empty; expected a JSON object";
        }

        int cut = reason.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = reason.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        return cut > 0 ? reason[..cut] : reason;
    }
}
