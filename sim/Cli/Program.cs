using System.CommandLine;
using System.CommandLine.Parsing;
using Antoum.Sim.Config;

namespace Antoum.Sim.Cli;

/// <summary>
/// The <c>antoum</c> program: wires the library together and holds no model logic. Exit codes: 0 success,
/// 1 internal error (a bug: the stack trace is printed), 2 bad input (one clear message, no stack trace), 3 a
/// functional run (<c>run --functional</c>) whose output differs from the reference.
/// </summary>
internal static class Program
{
    public const int ExitOk = 0;
    public const int ExitInternal = 1;
    public const int ExitUser = 2;
    public const int ExitFunctionalMismatch = 3;

    private static int Main(string[] args)
    {
        return Run(args, Console.Out, Console.Error);
    }

    /// <summary>Entry point used by <c>Main</c> and by the tests (which capture the writers).</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        RootCommand root = Commands.Build(args, stdout, stderr);
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (ParseError error in parse.Errors)
            {
                stderr.WriteLine("antoum: " + error.Message);
            }

            stderr.WriteLine("Run 'antoum --help' (or 'antoum COMMAND --help') for usage.");
            return ExitUser;
        }

        try
        {
            var config = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
            return parse.Invoke(config);
        }
        catch (UserInputException e)
        {
            stderr.WriteLine("antoum: error: " + e.Message);
            return ExitUser;
        }
        catch (Antoum.Isa.IsaException e)
        {
            stderr.WriteLine("antoum: error: " + e.Message);
            return ExitUser;
        }
        catch (Exception e)
        {
            stderr.WriteLine("antoum: internal error (a bug in AntoumSim; please report it with the command line):");
            stderr.WriteLine(e.ToString());
            return ExitInternal;
        }
    }
}
