namespace SecureChat.Session;

/// <summary>
/// The process-wide bound on passphrase derivations running at once (PBKDF2-HMAC-SHA256 with
/// 600,000 iterations, docs/PROTOCOL.md §3: a fraction of a second of one core each).
/// <para>
/// <see cref="MaxConcurrent"/> = max(1, processor count / 2). PBKDF2 is pure CPU work, so running
/// more at once than there are cores finishes none of them sooner; half the cores keeps the other
/// half for the conversation in progress, the socket I/O and the rest of the machine, however many
/// handshakes arrive. A waiter gives up with its handshake's timeout or cancellation.
/// </para>
/// </summary>
internal static class PskDerivationLimit
{
    /// <summary>The most derivations that run at once in this process.</summary>
    public static int MaxConcurrent { get; } = Math.Max(1, Environment.ProcessorCount / 2);

    private static readonly SemaphoreSlim Slots = new(MaxConcurrent, MaxConcurrent);

    /// <summary>Runs <paramref name="derive"/> once a slot is free.</summary>
    /// <exception cref="OperationCanceledException">Cancelled (the handshake timed out or was stopped) while waiting.</exception>
    public static async ValueTask RunAsync(Action derive, CancellationToken cancellationToken)
    {
        await Slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            derive();
        }
        finally
        {
            Slots.Release();
        }
    }
}
