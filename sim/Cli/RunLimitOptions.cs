using System.Globalization;
using Antoum.Sim.Config;

namespace Antoum.Sim.Cli;

/// <summary>Bounds of a run given on the command line (--max-time for network and program runs).</summary>
internal static class RunLimitOptions
{
    /// <summary>
    /// Network and program runs stop on a cycle watchdog; --max-time becomes the number of core clock cycles that fit
    /// in it (rounded up), and the tighter of the two limits applies. <c>Name</c> is how the watchdog message names
    /// the limit when --max-time gave it (null: --max-cycles).
    /// </summary>
    public static (ulong Cycles, string? Name) CyclesWithin(ulong maxCycles, string? maxTime, ResolvedConfig config)
    {
        if (maxTime is null)
        {
            return (maxCycles, null);
        }

        ulong ps;
        try
        {
            ps = Duration.Parse(maxTime).Picoseconds;
        }
        catch (FormatException e)
        {
            throw new UserInputException("--max-time: " + e.Message);
        }

        ulong hz = (ulong)Chip.CardParameters.FromConfig(config.Config).ClockHz;
        UInt128 cycles = (((UInt128)ps * hz) + 999_999_999_999UL) / 1_000_000_000_000UL;
        ulong bound = Math.Max(1, cycles > ulong.MaxValue ? ulong.MaxValue : (ulong)cycles);
        return bound < maxCycles
            ? (bound, string.Create(CultureInfo.InvariantCulture, $"--max-time {maxTime.Trim()} ({bound} core cycles)"))
            : (maxCycles, null);
    }
}
