namespace Antoum.Firmware.Workloads;

/// <summary>
/// A workload file (JSON layer graph or SCALE-Sim topology CSV) or a network name could not be used. The message
/// names the file and where in it: <c>file: layers[12].k: must be &gt; 0 (got 0)</c> for JSON,
/// <c>file:7: ...</c> for CSV lines and <c>file:3:14: malformed JSON: ...</c> for syntax errors.
/// </summary>
public sealed class WorkloadException : Exception
{
    public WorkloadException()
    {
    }

    public WorkloadException(string message)
        : base(message)
    {
    }

    public WorkloadException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>An error at a JSON path (e.g. <c>layers[12].k</c>) of a file.</summary>
    public WorkloadException(string file, string jsonPath, string detail)
        : base(jsonPath.Length == 0 ? $"{file}: {detail}" : $"{file}: {jsonPath}: {detail}")
    {
        File = file;
        JsonPath = jsonPath;
    }

    /// <summary>An error at a 1-based line (and optionally column) of a file.</summary>
    public WorkloadException(string file, int line, int column, string detail, Exception? innerException = null)
        : base(column > 0 ? $"{file}:{line}:{column}: {detail}" : $"{file}:{line}: {detail}", innerException)
    {
        File = file;
        Line = line;
        Column = column;
    }

    /// <summary>The file (or the name given to <see cref="WorkloadFile.Parse"/>); null for name look-ups.</summary>
    public string? File { get; }

    /// <summary>Where in the JSON document, e.g. <c>layers[12].k</c>; null for CSV and syntax errors.</summary>
    public string? JsonPath { get; }

    /// <summary>1-based line for CSV and JSON syntax errors; 0 otherwise.</summary>
    public int Line { get; }

    /// <summary>1-based column for JSON syntax errors; 0 otherwise.</summary>
    public int Column { get; }
}
