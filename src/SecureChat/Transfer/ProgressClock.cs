using System.Diagnostics;

namespace SecureChat.Transfer;

/// <summary>Decides when a transfer reports progress (at most 4 times a second) and measures its speed.</summary>
internal sealed class ProgressClock
{
    private static readonly long Interval = Stopwatch.Frequency / 4;
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _last;

    /// <summary>True when a progress event is due now.</summary>
    public bool Due()
    {
        long now = Stopwatch.GetTimestamp();
        if (now - _last < Interval)
        {
            return false;
        }

        _last = now;
        return true;
    }

    /// <summary>Bytes per second since the transfer started.</summary>
    public double Rate(long bytes)
    {
        double seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        return seconds > 0 ? bytes / seconds : 0;
    }
}
