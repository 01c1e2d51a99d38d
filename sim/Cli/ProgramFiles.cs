using Antoum.Isa;
using Antoum.Sim.Config;

namespace Antoum.Sim.Cli;

/// <summary>Reads programs (.s assembled on the fly, or .akp) and writes files atomically.</summary>
internal static class ProgramFiles
{
    public static AkpProgram Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new UserInputException($"{path}: file not found");
        }

        if (path.EndsWith(".s", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".asm", StringComparison.OrdinalIgnoreCase))
        {
            return Assembler.Assemble(File.ReadAllText(path), path);
        }

        return AkpContainer.Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Writes to a temporary file beside the target, then renames it over the target.</summary>
    public static void WriteAtomically(string path, byte[] bytes)
    {
        string full = Path.GetFullPath(path);
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && !Directory.Exists(dir))
        {
            throw new UserInputException($"{path}: the folder {dir} does not exist");
        }

        string temp = full + ".tmp-" + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, full, overwrite: true);
    }
}
