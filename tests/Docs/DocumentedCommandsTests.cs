using System.Diagnostics;
using System.Text;
using NUnit.Framework;

namespace Antoum.Tests.Docs;

/// <summary>
/// Every command shown in the user documents runs, so the documents cannot rot. A command is a line of a
/// <c>```sh</c>, <c>```bash</c> or <c>```shell</c> block (a trailing <c># comment</c> is dropped; a line that is
/// only a comment is skipped). Each document's commands run in order, through bash, in a sandbox folder that looks
/// like a clone (the repository's top-level entries linked, <c>traces/</c> copied so commands that regenerate
/// inputs do not write into the repository; <c>./antoum</c> is the repository's wrapper), and each must exit with code 0 without an internal error.
/// <para>To add a document (the tutorial): add its path to <see cref="Documents"/>. A command that must not run here
/// goes into <see cref="NotExecuted"/> with the reason.</para>
/// </summary>
[TestFixture]
[Category("Docs")]
public class DocumentedCommandsTests
{
    /// <summary>The documents whose commands are executed, relative to the repository root.</summary>
    public static readonly string[] Documents = ["README.md", "docs/tutorial.md"];

    /// <summary>Command prefixes that are shown but not run by this test, with the reason.</summary>
    public static readonly (string Prefix, string Reason)[] NotExecuted =
    [
        ("dotnet test", "the test suite itself (CI runs it through .ci/run)"),
    ];

    private static string Root => BadInputs.BadInputCorpusTests.Root;

    /// <summary>Every document exists and shows commands (parsing only; <see cref="DocumentCommandsRun"/> runs them).</summary>
    [Test]
    [Category("Quick")]
    public void EveryDocumentShowsCommands()
    {
        foreach (string doc in Documents)
        {
            List<string> commands = Commands(doc);
            Assert.That(commands.Count(c => !NotExecuted.Any(n => c.StartsWith(n.Prefix, StringComparison.Ordinal))), Is.GreaterThan(0),
                $"{doc}: no command to run found in its sh/bash blocks");
        }
    }

    public static IEnumerable<TestCaseData> DocumentCases() => Documents.Select(d => new TestCaseData(d).SetName("DocumentCommandsRun(" + d.Replace('.', '_') + ")"));

    [TestCaseSource(nameof(DocumentCases))]
    [Category("Long")]
    public void DocumentCommandsRun(string doc)
    {
        string sandbox = Path.Combine(Path.GetTempPath(), "antoum-doc-commands", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(sandbox);
        try
        {
            foreach (string entry in Directory.GetFileSystemEntries(Root))
            {
                string name = Path.GetFileName(entry);
                if (name is "traces" or ".git" or "out")
                {
                    continue;
                }

                if (Directory.Exists(entry))
                {
                    Directory.CreateSymbolicLink(Path.Combine(sandbox, name), entry);
                }
                else
                {
                    File.CreateSymbolicLink(Path.Combine(sandbox, name), entry);
                }
            }

            CopyTree(Path.Combine(Root, "traces"), Path.Combine(sandbox, "traces"));
            var log = new StringBuilder();
            foreach (string command in Commands(doc))
            {
                if (NotExecuted.Any(n => command.StartsWith(n.Prefix, StringComparison.Ordinal)))
                {
                    continue;
                }

                // The repository's own wrapper (so a build it starts sees the repository's .editorconfig), run from the sandbox.
                string line = command.StartsWith("./antoum", StringComparison.Ordinal) ? "'" + Path.Combine(Root, "antoum") + "'" + command["./antoum".Length..] : command;
                (int code, string output) = Bash(line, sandbox);
                log.Append("$ ").Append(command).Append(" -> ").Append(code).Append('\n');
                Assert.That(code, Is.EqualTo(0), $"{doc}: '{command}' exited with {code}:\n{output}");
                Assert.That(output, Does.Not.Contain("internal error"), $"{doc}: '{command}'");
            }

            TestContext.Out.Write(log.ToString());
        }
        finally
        {
            Directory.Delete(sandbox, recursive: true);
        }
    }

    /// <summary>The commands of a document's shell blocks, in order.</summary>
    internal static List<string> Commands(string doc)
    {
        string path = Path.Combine(Root, doc);
        Assert.That(File.Exists(path), Is.True, $"{doc} not found");
        var commands = new List<string>();
        bool inShell = false;
        foreach (string raw in File.ReadAllLines(path))
        {
            string line = raw.Trim();
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                string lang = line[3..].Trim();
                inShell = !inShell && lang is "sh" or "bash" or "shell";
                continue;
            }

            if (!inShell || line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int comment = line.IndexOf(" #", StringComparison.Ordinal);
            commands.Add((comment >= 0 ? line[..comment] : line).Trim());
        }

        return commands;
    }

    private static (int Code, string Output) Bash(string command, string cwd)
    {
        var psi = new ProcessStartInfo("bash") { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using Process p = Process.Start(psi)!;
        Task<string> err = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(600_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"'{command}' still running after 10 minutes");
        }

        return (p.ExitCode, stdout + err.Result);
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.GetFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (string d in Directory.GetDirectories(from))
        {
            CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }
}
