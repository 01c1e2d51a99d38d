namespace Antoum.Sim.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.WriteLine("antoum");
        return 0;
    }
}
