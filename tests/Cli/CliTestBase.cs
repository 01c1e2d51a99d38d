using NUnit.Framework;
using CliProgram = Antoum.Sim.Cli.Program;

namespace Antoum.Tests.Cli;

/// <summary>A fresh temporary folder per test and a way to run the command line with captured output.</summary>
public abstract class CliTestBase
{
    /// <summary>The test's own temporary folder (deleted after the test).</summary>
    protected string Dir { get; private set; } = string.Empty;

    [SetUp]
    public void CreateFolder()
    {
        Dir = Path.Combine(Path.GetTempPath(), "antoum-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Dir);
    }

    [TearDown]
    public void DeleteFolder()
    {
        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>Runs <c>antoum ARGS</c> in process: exit code, standard output, standard error.</summary>
    protected static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliProgram.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Writes a file in the test folder and returns its path.</summary>
    protected string Write(string name, string text)
    {
        string path = Path.Combine(Dir, name);
        File.WriteAllText(path, text);
        return path;
    }
}
