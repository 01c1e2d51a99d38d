using System.Text;
using Antoum.Sim.Config;

namespace Antoum.Sim.Reporting;

/// <summary>
/// Writes a run's output folder atomically: every file goes into a hidden staging folder beside the target,
/// which is renamed into place only when all files are written. A run that fails leaves no folder that looks
/// complete. An existing target is replaced only if it is an earlier AntoumSim output (it has a
/// <c>summary.json</c>) or empty; anything else is refused, so nothing the user wrote is lost.
/// </summary>
public sealed class OutputFolder : IDisposable
{
    /// <summary>The file whose presence marks a finished AntoumSim output folder.</summary>
    public const string Marker = "summary.json";

    private readonly string _target;
    private readonly string _staging;
    private bool _committed;

    private OutputFolder(string target, string staging)
    {
        _target = target;
        _staging = staging;
    }

    /// <summary>Checks the target and creates the staging folder.</summary>
    public static OutputFolder Begin(string target)
    {
        string full = Path.GetFullPath(target);
        if (File.Exists(full))
        {
            throw new UserInputException($"--out {target}: a file of that name exists; expected a folder");
        }

        if (Directory.Exists(full) && !File.Exists(Path.Combine(full, Marker)) && Directory.EnumerateFileSystemEntries(full).Any())
        {
            throw new UserInputException($"--out {target}: the folder exists, is not empty and is not an AntoumSim output folder (no {Marker}); choose another folder");
        }

        string parent = Path.GetDirectoryName(full) ?? ".";
        try
        {
            Directory.CreateDirectory(parent);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"--out {target}: cannot create the folder {parent}: {e.Message}");
        }

        string staging = Path.Combine(parent, "." + Path.GetFileName(full) + ".partial-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, true);
        }

        Directory.CreateDirectory(staging);
        return new OutputFolder(full, staging);
    }

    /// <summary>Writes one file (UTF-8, no BOM, '\n' line ends) into the staging folder.</summary>
    public void Write(string name, string content)
    {
        string path = Path.Combine(_staging, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(false));
    }

    /// <summary>Writes one binary file into the staging folder.</summary>
    public void Write(string name, byte[] content)
    {
        string path = Path.Combine(_staging, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
    }

    /// <summary>Writes one file of an existing folder atomically (temporary file beside it, then rename).</summary>
    public static void WriteFileAtomically(string path, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temp = path + ".partial-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Moves the staging folder into place.</summary>
    public void Commit()
    {
        if (Directory.Exists(_target))
        {
            string old = _staging + ".old";
            Directory.Move(_target, old);
            Directory.Move(_staging, _target);
            Directory.Delete(old, true);
        }
        else
        {
            Directory.Move(_staging, _target);
        }

        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed && Directory.Exists(_staging))
        {
            Directory.Delete(_staging, true);
        }
    }
}
