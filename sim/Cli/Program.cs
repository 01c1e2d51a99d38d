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

    private static readonly (string Type, string What)[] s_typeNames =
    [
        ("System.Int32", "a whole number from -2147483648 to 2147483647"),
        ("System.Nullable`1[System.Int32]", "a whole number from -2147483648 to 2147483647"),
        ("System.Int64", "a whole number"),
        ("System.UInt64", "a whole number from 0 to 18446744073709551615"),
        ("System.Double", "a number"),
        ("System.Boolean", "true or false"),
    ];

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
            stderr.WriteLine("antoum: " + ParseErrorMessage(parse));
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
        catch (Antoum.Firmware.Workloads.WorkloadException e)
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

    /// <summary>
    /// One message for a command line that does not parse (System.CommandLine may report several errors for one
    /// mistake, e.g. "Required command was not provided" next to the unknown command itself). An unknown word where
    /// a command is expected names the commands there; otherwise the first error that is not a consequence of it.
    /// </summary>
    private static string ParseErrorMessage(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = parse.UnmatchedTokens[0];
            if (command.Subcommands.Count > 0 && !token.StartsWith('-'))
            {
                return $"unknown command '{token}' for '{CommandPath(parse)}'; expected one of: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
            }

            if (token.StartsWith('-'))
            {
                return $"unknown option '{token}' for '{CommandPath(parse)}'";
            }

            return $"unexpected argument '{token}' for '{CommandPath(parse)}'";
        }

        if (command.Subcommands.Count > 0 && command.Action is null)
        {
            return $"'{CommandPath(parse)}' expects a command: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        }

        string message = parse.Errors[0].Message;
        foreach ((string type, string what) in s_typeNames)
        {
            message = message.Replace($" as expected type '{type}'.", $": expected {what}", StringComparison.Ordinal);
        }

        return message;
    }


    private static string CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? r = parse.CommandResult; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                names.Insert(0, c.Command is RootCommand ? "antoum" : c.Command.Name);
            }
        }

        return string.Join(' ', names);
    }
}
