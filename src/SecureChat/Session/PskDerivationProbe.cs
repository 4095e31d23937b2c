namespace SecureChat.Session;

/// <summary>
/// Test hook (<see cref="SessionTestHooks.PskDerivations"/>): counts passphrase derivations and the
/// most that ran at once, and can make each one last longer so that overlaps are certain.
/// </summary>
internal sealed class PskDerivationProbe
{
    private int _count;
    private int _running;
    private int _maxRunning;

    /// <summary>Extra time each derivation takes (spent inside the derivation's slot).</summary>
    public TimeSpan Hold { get; init; }

    /// <summary>Derivations started.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The most derivations seen running at the same moment.</summary>
    public int MaxRunning => Volatile.Read(ref _maxRunning);

    internal void Enter()
    {
        Interlocked.Increment(ref _count);
        int running = Interlocked.Increment(ref _running);
        int max;
        while (running > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, running, max) != max)
        {
            // Another derivation raised the maximum meanwhile: compare again.
        }

        if (Hold > TimeSpan.Zero)
        {
            Thread.Sleep(Hold);
        }
    }

    internal void Exit() => Interlocked.Decrement(ref _running);
}
