using System.ComponentModel;

namespace Antoum.Sim.Config;

/// <summary>
/// The calibration parameters: physical efficiencies whose values are not published and are fitted to the one
/// anchor (MLPerf v2.1 S4 ResNet-50 Offline; docs/validation.md, <c>antoum validate --fit</c>). Each acts inside a
/// block's timing; 0 is the neutral value (the uncalibrated model).
/// </summary>
public sealed record CalibrationConfig
{
    [Description("Share (percent) of the SPU's per-fold fill and drain (2R + C - 2 cycles for ws/is, R + C - 2 for os) hidden by preloading the next fold's operands while the current fold streams; the first fold of an operation pays it in full unless the operation is issued back to back after the SPU's previous one (no stall in between: only control instructions and waits whose token was already signalled), when it overlaps the previous operation's last fold in the same share. 0 = SCALE-Sim's fold count.")]
    public int SpuFoldOverlapPercent { get; init; }

    [Description("Share (percent) of a DMA descriptor's setup (chip.dma.setupCycles) hidden by decoding it while the previous descriptor's bursts are in flight (descriptor prefetch). 0 = every copy pays the full setup.")]
    public int DmaSetupOverlapPercent { get; init; }

    public void Validate(string path)
    {
        ConfigChecks.InRange(SpuFoldOverlapPercent, 0, 100, ConfigChecks.Join(path, "spuFoldOverlapPercent"));
        ConfigChecks.InRange(DmaSetupOverlapPercent, 0, 100, ConfigChecks.Join(path, "dmaSetupOverlapPercent"));
    }
}
