using Antoum.Sim.Chip;
using Antoum.Sim.Config;
using Antoum.Sim.Power;
using Antoum.Sim.Reporting;
using NUnit.Framework;

namespace Antoum.Tests.Energy;

[TestFixture]
[Category("Quick")]
[Category("Power")]
public class PowerTimelineTests
{
    private static (NetworkRunResult Run, CardParameters P) RunNetwork(string sku, int batch)
    {
        CardParameters p = CardParameters.FromConfig(ConfigLoader.Load(sku).Config);
        NetworkRunResult r = NetworkRun.Run(p, Antoum.Firmware.Workloads.Networks.All[0], batch, null, ulong.MaxValue, ulong.MaxValue, null, timeline: true);
        return (r, p);
    }

    [Test]
    public void PerBinEnergySumsToTheRunTotalIncludingStallClockPower()
    {
        (NetworkRunResult r, CardParameters p) = RunNetwork("S4", 2);
        TimelineSampler t = r.Model.Timeline!;
        var ctx = new PowerContext(p.Chips, p.Chips * p.Clusters, p.VpuLanes, p.TdpMilliwatts);
        PowerReport report = PowerModel.Estimate(r.Model.Sim.Stats, r.Summary.SimulatedPs, ctx, 2, EnergyTable.Load(), t);
        double binJoules = 0;
        for (int bin = 0; bin < t.BinCount; bin++)
        {
            binJoules += report.BinWatts[bin] * (t.BinEnd(bin) - t.BinStart(bin)) * 1e-12;
        }

        Assert.That(t.BinStart(0), Is.Zero);
        Assert.That(t.BinEnd(t.BinCount - 1), Is.EqualTo(r.Summary.SimulatedPs));
        // The whole-run figure charges every block's stall time at full clock power; so must the bins.
        ulong stall = 0;
        foreach (Antoum.Sim.Stats.BlockActivity b in r.Model.Sim.Stats.Blocks)
        {
            stall += b.StallPs();
        }

        Assert.That(stall, Is.GreaterThan(0UL), "the run has stalled blocks");
        Assert.That(binJoules, Is.EqualTo(report.TotalJoules).Within(1e-6).Percent);
    }

    [Test]
    public void SpreadKeepsEveryBlockAndCategoryTotalAndFitsBusyTimeInTheBins()
    {
        (NetworkRunResult r, _) = RunNetwork("S4", 1);
        TimelineSampler t = r.Model.Timeline!;
        var spread = new TimelineSpread(t);
        for (int b = 0; b < t.Blocks.Count; b++)
        {
            double raw = 0, moved = 0, rawStall = 0, movedStall = 0;
            for (int bin = 0; bin < t.BinCount; bin++)
            {
                raw += t.Busy(bin, b);
                moved += spread.Busy(bin, b);
                rawStall += t.Stall(bin, b);
                movedStall += spread.Stall(bin, b);
                double len = t.BinEnd(bin) - t.BinStart(bin);
                if (bin < t.BinCount - 1)
                {
                    Assert.That(spread.Busy(bin, b) + spread.Stall(bin, b), Is.LessThanOrEqualTo(len * (1 + 1e-12)), t.Blocks[b].Name);
                }
            }

            Assert.That(moved, Is.EqualTo(raw).Within(1e-9).Percent, t.Blocks[b].Name);
            Assert.That(movedStall, Is.EqualTo(rawStall).Within(1e-9).Percent, t.Blocks[b].Name);
        }

        EnergyCounters counters = EnergyCounters.From(r.Model.Sim.Stats);
        for (int c = 0; c < EnergyCounters.Count; c++)
        {
            double sum = 0;
            for (int bin = 0; bin < t.BinCount; bin++)
            {
                sum += spread.Actions(bin, c);
            }

            Assert.That(sum, Is.EqualTo((double)counters.Total(c)).Within(1e-9).Percent, EnergyCounters.Name(c));
        }
    }
}
