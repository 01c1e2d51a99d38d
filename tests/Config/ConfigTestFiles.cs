namespace Antoum.Tests.Config;

/// <summary>A temporary folder of config files for one test; deleted on dispose.</summary>
internal sealed class ConfigTestFiles : IDisposable
{
    public ConfigTestFiles()
    {
        Dir = Path.Combine(Path.GetTempPath(), "antoum-config-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    public string Dir { get; }

    /// <summary>Writes a file (single quotes become double quotes, for readable JSON in C#) and returns its path.</summary>
    public string Write(string name, string json)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllText(path, json.Replace('\'', '"'));
        return path;
    }

    /// <summary>Copies the shipped configs into the folder so a test can edit one.</summary>
    public void CopyShipped()
    {
        foreach (string f in Directory.GetFiles(ShippedDir, "*.json"))
        {
            File.Copy(f, Path.Combine(Dir, Path.GetFileName(f)));
        }
    }

    public static string ShippedDir => Path.Combine(AppContext.BaseDirectory, "configs");

    public void Dispose()
    {
        Directory.Delete(Dir, recursive: true);
    }
}
