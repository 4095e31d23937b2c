namespace SecureChat.Rendezvous;

/// <summary>
/// A nameplate the relay holds for this side (the waiter): show the code built on
/// <see cref="Nameplate"/> to the peer, then <see cref="WaitForPeerAsync"/>. Send nothing before
/// "paired" (the relay calls that impatient). Disposing gives the nameplate up.
/// </summary>
public sealed class RelayAllocation : IDisposable
{
    private readonly RelayConnection _connection;
    private readonly TimeSpan _waitTimeout;
    private bool _waited;

    /// <summary>The longest wait believed: the relay's expires_in is not authenticated, and a timer takes at most ~49 days.</summary>
    public static readonly TimeSpan MaxExpiresIn = TimeSpan.FromHours(24);

    internal RelayAllocation(RelayConnection connection, string nameplate, TimeSpan expiresIn, TimeSpan? waitTimeout)
    {
        _connection = connection;
        Nameplate = nameplate;
        ExpiresIn = expiresIn < MaxExpiresIn ? expiresIn : MaxExpiresIn;
        _waitTimeout = waitTimeout ?? ExpiresIn + TimeSpan.FromSeconds(30);
    }

    /// <summary>The nameplate (1-6 digits): the first part of the code, and the CPace channel.</summary>
    public string Nameplate { get; }

    /// <summary>How long the relay keeps the nameplate waiting (as it says, at most <see cref="MaxExpiresIn"/>).</summary>
    public TimeSpan ExpiresIn { get; }

    /// <summary>
    /// Waits for "paired" and returns the connection to the peer, owned by the caller: run the
    /// session as the responder on it (<c>SecureChatSession.AcceptAsync</c>) with the code. Once only.
    /// </summary>
    /// <exception cref="RelayException">The relay ended the wait (timeout, error, closed) or broke the protocol.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    /// <exception cref="InvalidOperationException">Called twice.</exception>
    public async Task<Stream> WaitForPeerAsync(CancellationToken cancellationToken = default)
    {
        if (_waited)
        {
            throw new InvalidOperationException("WaitForPeerAsync was already called.");
        }

        _waited = true;
        RelayMessage answer = await _connection.ReceiveAsync(_waitTimeout, cancellationToken).ConfigureAwait(false);
        return answer switch
        {
            RelayPaired => _connection.HandOver(),
            RelayError error => throw RelayClient.ErrorFor(error, Nameplate, joiner: false),
            _ => throw new RelayException(RelayFailure.ProtocolViolation, "The relay answered out of order while this side waited (it must send paired or an error)."),
        };
    }

    /// <summary>Gives the nameplate up (closes the connection) unless the peer's connection was handed over.</summary>
    public void Dispose() => _connection.Dispose();
}
