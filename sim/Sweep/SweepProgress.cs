using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Antoum.Sim.Sweep;

/// <summary>
/// Progress of a sweep: points done of the total, rate (points/s over this run) and ETA. On a terminal one bar line
/// is redrawn in place (at most 5 times a second, and every second while points run, so the elapsed time moves);
/// otherwise a plain line is printed every 10 s, or at every 10 %.
/// </summary>
public sealed class SweepProgress : IDisposable
{
    private const int BarWidth = 30;
    private readonly TextWriter? _out;
    private readonly bool _interactive;
    private readonly int _total;
    private readonly int _startDone;
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private int _done;
    private int _infeasible;
    private double _lastDraw = double.NegativeInfinity;
    private int _lastDecile;
    private int _drawnDone = -1;
    private readonly Timer? _timer;

    public SweepProgress(TextWriter? output, bool interactive, int total, int alreadyDone)
    {
        _out = output;
        _interactive = interactive;
        _total = total;
        _startDone = alreadyDone;
        _done = alreadyDone;
        _lastDecile = total == 0 ? 10 : alreadyDone * 10 / total;
        if (interactive && output is not null)
        {
            _timer = new Timer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    private void Tick()
    {
        lock (_lock)
        {
            double t = _wall.Elapsed.TotalSeconds;
            if (t - _lastDraw >= 0.9 && _done < _total)
            {
                Draw(t);
                _lastDraw = t;
            }
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
    }

    public void PointDone(bool infeasible)
    {
        lock (_lock)
        {
            _done++;
            _infeasible += infeasible ? 1 : 0;
            double t = _wall.Elapsed.TotalSeconds;
            int decile = _total == 0 ? 10 : _done * 10 / _total;
            if (_interactive ? t - _lastDraw >= 0.2 || _done == _total : t - _lastDraw >= 10 || decile > _lastDecile)
            {
                Draw(t);
                _lastDraw = t;
                _lastDecile = decile;
            }
        }
    }

    public void Finish()
    {
        _timer?.Dispose();
        lock (_lock)
        {
            if (_out is null)
            {
                return;
            }

            double t = _wall.Elapsed.TotalSeconds;
            if (_interactive)
            {
                Draw(t);
                _out.WriteLine();
            }
            else if (_drawnDone != _done)
            {
                Draw(t);
            }

            _out.Flush();
        }
    }

    /// <summary>The progress text: "[#####.....] 12/256 points (1 infeasible)  2.13 points/s  ETA 1:54".</summary>
    public string Text(double seconds)
    {
        int ran = _done - _startDone;
        double rate = seconds > 0 ? ran / seconds : 0;
        int filled = _total == 0 ? BarWidth : (int)((long)_done * BarWidth / _total);
        var sb = new StringBuilder();
        sb.Append('[').Append('#', filled).Append('.', BarWidth - filled).Append("] ");
        sb.Append(CultureInfo.InvariantCulture, $"{_done}/{_total} points");
        if (_infeasible > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $" ({_infeasible} infeasible)");
        }

        sb.Append(CultureInfo.InvariantCulture, $"  {rate:0.00} points/s");
        if (rate > 0 && _done < _total)
        {
            var eta = TimeSpan.FromSeconds((_total - _done) / rate);
            sb.Append(CultureInfo.InvariantCulture, $"  ETA {(int)eta.TotalMinutes}:{eta.Seconds:00}");
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {seconds:0.0} s");
        }

        return sb.ToString();
    }

    private void Draw(double seconds)
    {
        if (_out is null)
        {
            return;
        }

        _drawnDone = _done;
        if (_interactive)
        {
            _out.Write("\r" + Text(seconds) + "\u001b[K");
        }
        else
        {
            _out.WriteLine("sweep: " + Text(seconds));
        }

        _out.Flush();
    }
}
