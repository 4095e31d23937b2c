namespace SecureChat.Relay.Nameplates;

/// <summary>
/// The nameplates of one relay node, in memory: who waits under which number, and which numbers
/// are quarantined (a nameplate that stopped waiting, for any reason, is not handed out again for
/// <c>quarantine</c>, so a late joiner cannot burn the next waiter's code). One lock; allocation
/// scans at most 999 small numbers.
/// </summary>
internal sealed class InMemoryNameplateRegistry(TimeProvider time, TimeSpan quarantine) : INameplateRegistry
{
    private readonly Lock _lock = new();
    private readonly Dictionary<int, Waiter> _waiting = [];
    private readonly Dictionary<int, long> _quarantined = [];
    private readonly Queue<(int Nameplate, long Until)> _quarantineOrder = new();

    /// <inheritdoc/>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <inheritdoc/>
    public ValueTask<int?> AllocateAsync(Waiter waiter, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        lock (_lock)
        {
            long now = time.GetTimestamp();
            Prune(now);
            int? nameplate = NameplateOrder.Next(n => !_waiting.ContainsKey(n) && !_quarantined.ContainsKey(n));
            if (nameplate is { } n)
            {
                waiter.Nameplate = n;
                _waiting.Add(n, waiter);
            }

            return ValueTask.FromResult(nameplate);
        }
    }

    /// <inheritdoc/>
    public ValueTask<ClaimOutcome> ClaimAsync(int nameplate, Func<Waiter, bool> admit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(admit);
        lock (_lock)
        {
            if (!_waiting.TryGetValue(nameplate, out Waiter? waiter) || !waiter.IsOpen)
            {
                return ValueTask.FromResult(new ClaimOutcome(ClaimResult.Unknown));
            }

            if (!admit(waiter))
            {
                return ValueTask.FromResult(new ClaimOutcome(ClaimResult.Busy));
            }

            if (!waiter.TryPair())
            {
                return ValueTask.FromResult(new ClaimOutcome(ClaimResult.Unknown));
            }

            RemoveAndQuarantine(waiter);
            return ValueTask.FromResult(new ClaimOutcome(ClaimResult.Paired, waiter));
        }
    }

    /// <inheritdoc/>
    public ValueTask ReleaseAsync(Waiter waiter)
    {
        ArgumentNullException.ThrowIfNull(waiter);
        lock (_lock)
        {
            if (_waiting.TryGetValue(waiter.Nameplate, out Waiter? held) && ReferenceEquals(held, waiter))
            {
                RemoveAndQuarantine(waiter);
            }
        }

        return ValueTask.CompletedTask;
    }

    private void RemoveAndQuarantine(Waiter waiter)
    {
        _waiting.Remove(waiter.Nameplate);
        long until = time.GetTimestamp() + (long)(quarantine.TotalSeconds * time.TimestampFrequency);
        _quarantined[waiter.Nameplate] = until;
        _quarantineOrder.Enqueue((waiter.Nameplate, until));
    }

    /// <summary>Drops expired quarantines; the queue is in expiry order because the period is fixed. Times are the monotonic clock's (a wall-clock step must not end a quarantine early).</summary>
    private void Prune(long now)
    {
        while (_quarantineOrder.TryPeek(out var head) && head.Until <= now)
        {
            _quarantineOrder.Dequeue();
            if (_quarantined.TryGetValue(head.Nameplate, out long until) && until <= now)
            {
                _quarantined.Remove(head.Nameplate);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
    }
}
