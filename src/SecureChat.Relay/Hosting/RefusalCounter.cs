using SecureChat.Rendezvous;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// Error frames counted by code, summarised in one <see cref="RefusalsSummarised"/> event per
/// interval (10 s by default) instead of one log line each: a flood of refusals stays one line.
/// </summary>
internal sealed class RefusalCounter : IDisposable
{
    private readonly long[] _counts = new long[RelayErrorCodes.All.Count];
    private readonly Action<RelayEvent> _emit;
    private readonly TimeSpan _interval;
    private readonly ITimer _timer;

    public RefusalCounter(TimeProvider time, TimeSpan interval, Action<RelayEvent> emit)
    {
        _emit = emit;
        _interval = interval;
        _timer = time.CreateTimer(static state => ((RefusalCounter)state!).Flush(), this, interval, interval);
    }

    public void Count(string code)
    {
        int index = IndexOf(code);
        if (index >= 0)
        {
            Interlocked.Increment(ref _counts[index]);
        }
    }

    /// <summary>Emits the counts since the last summary, if any, and starts again from zero.</summary>
    public void Flush()
    {
        Dictionary<string, long>? counts = null;
        for (int i = 0; i < _counts.Length; i++)
        {
            long count = Interlocked.Exchange(ref _counts[i], 0);
            if (count > 0)
            {
                (counts ??= [])[RelayErrorCodes.All[i]] = count;
            }
        }

        if (counts is not null)
        {
            _emit(new RefusalsSummarised(counts, _interval));
        }
    }

    private static int IndexOf(string code)
    {
        for (int i = 0; i < RelayErrorCodes.All.Count; i++)
        {
            if (RelayErrorCodes.All[i] == code)
            {
                return i;
            }
        }

        return -1;
    }

    /// <inheritdoc/>
    public void Dispose() => _timer.Dispose();
}
