namespace SecureChat.Relay.Limits;

/// <summary>
/// Counts things a client holds at once (connections without a first frame, waiting nameplates,
/// pairs) per address key, with an optional global cap: <see cref="TryAcquire"/> takes one unit
/// under every key of the address, or none. A /48 key gets the wide factor; an exempt client
/// counts only toward the global cap.
/// </summary>
internal sealed class CountLimiter(int perAddress, int wideFactor, int global)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<AddressKey, int> _counts = [];
    private int _total;

    /// <summary>How many units are held, all addresses together.</summary>
    public int Total => Volatile.Read(ref _total);

    /// <summary>The global cap.</summary>
    public int Global => global;

    /// <summary>Takes one unit, or returns null when a per-address or the global cap is reached.</summary>
    public CountLease? TryAcquire(AddressKeys keys, bool exempt)
    {
        lock (_lock)
        {
            if (_total >= global)
            {
                return null;
            }

            if (!exempt)
            {
                if (Count(keys.Narrow) >= perAddress || (keys.Wide is { } wide && Count(wide) >= perAddress * wideFactor))
                {
                    return null;
                }

                Add(keys.Narrow, 1);
                if (keys.Wide is { } w)
                {
                    Add(w, 1);
                }
            }

            _total++;
            return new CountLease(this, keys, exempt);
        }
    }

    internal void Release(AddressKeys keys, bool exempt)
    {
        lock (_lock)
        {
            _total--;
            if (!exempt)
            {
                Add(keys.Narrow, -1);
                if (keys.Wide is { } w)
                {
                    Add(w, -1);
                }
            }
        }
    }

    private int Count(AddressKey key) => _counts.GetValueOrDefault(key);

    private void Add(AddressKey key, int delta)
    {
        int count = Count(key) + delta;
        if (count <= 0)
        {
            _counts.Remove(key);
        }
        else
        {
            _counts[key] = count;
        }
    }
}

/// <summary>One unit of a <see cref="CountLimiter"/>; disposing it gives the unit back, once.</summary>
internal sealed class CountLease(CountLimiter owner, AddressKeys keys, bool exempt) : IDisposable
{
    private int _released;

    /// <inheritdoc/>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            owner.Release(keys, exempt);
        }
    }
}
