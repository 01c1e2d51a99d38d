using Antoum.Isa;
using Antoum.Sim.Config;

namespace Antoum.Sim.Cli;

/// <summary>Reads programs (.s assembled on the fly, or .akp) and writes files atomically.</summary>
internal static class ProgramFiles
{
    public static AkpProgram Load(string path)
    {
        if (path.EndsWith(".s", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".asm", StringComparison.OrdinalIgnoreCase))
        {
            return Assemble(path);
        }

        return AkpContainer.Read(ReadBytes(path, "a program file (.akp, or .s assembly)"), path);
    }

    /// <summary>Assembles a source file (any name), refusing a program without streams.</summary>
    public static AkpProgram Assemble(string path)
    {
        using var text = new StreamReader(new MemoryStream(ReadBytes(path, "an assembly file (.s)")), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        AkpProgram program = Assembler.Assemble(text.ReadToEnd(), path);
        if (program.Streams.Count == 0)
        {
            throw new UserInputException($"{path}: the program has no stream");
        }

        return program;
    }

    private static byte[] ReadBytes(string path, string expected)
    {
        if (Directory.Exists(path))
        {
            throw new UserInputException($"{path}: is a folder; expected {expected}");
        }

        if (!File.Exists(path))
        {
            throw new UserInputException($"{path}: file not found");
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserInputException($"{path}: cannot read: {e.Message}");
        }
    }

    /// <summary>Writes to a temporary file beside the target, then renames it over the target.</summary>
    public static void WriteAtomically(string path, byte[] bytes)
    {
        string full = CheckWritable(path);

        string temp = full + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new UserInputException($"{path}: cannot write: {e.Message}");
        }
    }

    /// <summary>Checks, before any work, that <see cref="WriteAtomically"/> can write <paramref name="path"/>: its folder exists and it is not a folder. Returns the full path.</summary>
    public static string CheckWritable(string path)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
        {
            throw new UserInputException($"{path}: the folder {dir} does not exist");
        }

        if (Directory.Exists(full))
        {
            throw new UserInputException($"{path}: is a folder; expected a file name to write");
        }

        return full;
    }
}
