namespace SecureChat.Relay.Tests.Support;

/// <summary>The relay's events, and a way to wait for one (with a guard against hanging, not a timing assertion).</summary>
internal sealed class EventRecorder
{
    private readonly Lock _lock = new();
    private readonly List<RelayEvent> _events = [];
    private readonly List<(Func<RelayEvent, bool> Match, TaskCompletionSource<RelayEvent> Done)> _waits = [];

    public IReadOnlyList<RelayEvent> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _events];
            }
        }
    }

    public void Record(RelayEvent relayEvent)
    {
        lock (_lock)
        {
            _events.Add(relayEvent);
            for (int i = _waits.Count - 1; i >= 0; i--)
            {
                if (_waits[i].Match(relayEvent))
                {
                    _waits[i].Done.TrySetResult(relayEvent);
                    _waits.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>The first event of type T matching <paramref name="match"/>, past or future.</summary>
    public async Task<T> WaitForAsync<T>(Func<T, bool>? match = null)
        where T : RelayEvent
    {
        bool Matches(RelayEvent e) => e is T t && (match is null || match(t));
        TaskCompletionSource<RelayEvent> done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_events.FirstOrDefault(Matches) is { } seen)
            {
                return (T)seen;
            }

            _waits.Add((Matches, done));
        }

        return (T)await done.Task.WaitAsync(TestClient.Guard);
    }
}
