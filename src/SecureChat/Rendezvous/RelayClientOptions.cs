namespace SecureChat.Rendezvous;

/// <summary>How long a relay client waits for each step.</summary>
public sealed class RelayClientOptions
{
    /// <summary>Connecting to the relay (each attempt, all its addresses together; default 10 s).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The relay's answer to allocate or claim (default 10 s).</summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The waiter's wait for a peer after "allocated"; null (the default): the relay's expires_in
    /// plus 30 s (the relay itself ends the wait with a "timeout" error when the nameplate expires).
    /// </summary>
    public TimeSpan? WaitTimeout { get; init; }

    /// <summary>Test hook: judge redirects as if the first relay had a public address (tests run on loopback).</summary>
    internal bool TreatFirstRelayAsPublic { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(AnswerTimeout, TimeSpan.Zero, nameof(AnswerTimeout));
        if (WaitTimeout is { } wait)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(wait, TimeSpan.Zero, nameof(WaitTimeout));
        }
    }
}
