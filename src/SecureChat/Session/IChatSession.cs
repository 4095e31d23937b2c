namespace SecureChat.Session;

/// <summary>
/// What a front end needs from a conversation, whatever protocol carries it: the default
/// <see cref="SecureChatSession"/>, or another protocol (the seed programs' weak ones live in the
/// separate SecureChat.Compat assembly). What else a session can do, it says through capability
/// interfaces: <see cref="IAuthenticatedSession"/>, <see cref="Transfer.IFileTransfers"/>.
/// </summary>
public interface IChatSession : IAsyncDisposable
{
    /// <summary>True for the connecting side.</summary>
    bool IsInitiator { get; }

    /// <summary>The protocol this session speaks, e.g. Noise_XX_P256_AESGCM_SHA256.</summary>
    string ProtocolName { get; }

    /// <summary>True once every key of the session has been erased.</summary>
    bool KeysErased { get; }

    /// <summary>Sends a text message.</summary>
    /// <exception cref="ArgumentException">The text cannot be carried by this protocol (too long); nothing was sent.</exception>
    ValueTask<SentText> SendTextAsync(string text, CancellationToken cancellationToken = default);

    /// <summary>The next event; <see cref="SessionClosed"/> once the conversation has ended.</summary>
    ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken = default);

    /// <summary>Ends the conversation and erases the keys.</summary>
    ValueTask CloseAsync(string? reason = null, CancellationToken cancellationToken = default);
}
