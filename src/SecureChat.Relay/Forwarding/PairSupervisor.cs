using System.Collections.Concurrent;

namespace SecureChat.Relay.Forwarding;

/// <summary>
/// The live pairs, and one timer (every 5 s by default) that closes those past their idle,
/// lifetime or stall limit: one timer for all pairs, not one per pair.
/// </summary>
internal sealed class PairSupervisor : IDisposable
{
    private readonly ConcurrentDictionary<Pair, byte> _pairs = new();
    private readonly ITimer _timer;

    public PairSupervisor(TimeProvider time, TimeSpan interval)
    {
        _timer = time.CreateTimer(static state => ((PairSupervisor)state!).Sweep(), this, interval, interval);
    }

    /// <summary>Pairs now.</summary>
    public int Count => _pairs.Count;

    /// <summary>Every live pair.</summary>
    public ICollection<Pair> Pairs => _pairs.Keys;

    public void Add(Pair pair) => _pairs.TryAdd(pair, 0);

    public void Remove(Pair pair) => _pairs.TryRemove(pair, out _);

    /// <summary>Closes the pairs past a limit.</summary>
    public void Sweep()
    {
        foreach (Pair pair in _pairs.Keys)
        {
            if (pair.Overdue() is { } reason)
            {
                pair.Close(reason);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _timer.Dispose();
}
