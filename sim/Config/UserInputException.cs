namespace Antoum.Sim.Config;

/// <summary>
/// Base class for errors that are the user's fault (bad file, bad value, unknown name). The command line
/// prints <see cref="Exception.Message"/> alone and exits with code 2; it never prints a stack trace for these.
/// Simulator bugs use <see cref="SimInvariantException"/> instead.
/// </summary>
public class UserInputException : Exception
{
    public UserInputException(string message)
        : base(message)
    {
    }

    public UserInputException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>
/// A bad configuration value or file. The message names the file (when known), the JSON path and what was expected,
/// e.g. <c>configs/s4.json: chip.spu.rows: must be &gt; 0 (got 0)</c>.
/// </summary>
public sealed class ConfigException : UserInputException
{
    public ConfigException(string path, string problem)
        : base(Format(null, path, problem))
    {
        JsonPath = path;
        Problem = problem;
    }

    public ConfigException(string? file, string path, string problem)
        : base(Format(file, path, problem))
    {
        File = file;
        JsonPath = path;
        Problem = problem;
    }

    /// <summary>The file the value came from, when known.</summary>
    public string? File { get; }

    /// <summary>Dotted path of the offending key, e.g. <c>chip.spu.rows</c>.</summary>
    public string JsonPath { get; }

    /// <summary>What is wrong and what was expected.</summary>
    public string Problem { get; }

    private static string Format(string? file, string path, string problem)
    {
        string where = string.IsNullOrEmpty(path) ? string.Empty : path + ": ";
        return string.IsNullOrEmpty(file) ? where + problem : file + ": " + where + problem;
    }
}

/// <summary>An impossible state inside the simulator: a bug, not a user error (gem5's panic vs fatal).</summary>
public sealed class SimInvariantException : Exception
{
    public SimInvariantException(string message)
        : base(message)
    {
    }
}
