using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Output;

/// <summary>Everything the chat shows, as events: rendered for people or as JSON lines.</summary>
internal interface IChatOutput
{
    void Listening(string address, int port, IReadOnlyList<string> reachableAt);

    /// <summary>A code listener is ready: directly (address and port) or through a relay (relay and nameplate). JSON: listening with the code.</summary>
    void ListeningWithCode(CodeListening listening);

    /// <summary>A TCP connection is up; <paramref name="authenticating"/> is false in the compatibility modes, which authenticate nothing.</summary>
    void Connected(string peer, bool authenticating);

    /// <summary>The session is established; the peer status is the handshake's verdict (<see cref="IAuthenticatedSession.PeerTrust"/>).</summary>
    void Handshake(IAuthenticatedSession session, bool remembered);

    void Sent(string text, SentText sent);

    /// <summary>A message, with what a weaker protocol checked about it (<see cref="TextReceived.Check"/>) and the sender's time stamp when it carries one.</summary>
    void Received(TextReceived message);

    /// <summary>A compatibility-mode conversation started (no authentication happened).</summary>
    void CompatStarted(string mode, string? peerKeyFingerprint);

    void Verify(IAuthenticatedSession session);

    void Help();

    /// <summary>A notice for people (not an event in JSON mode, where it goes to stderr).</summary>
    void Info(string message);

    void Warning(string message);

    void Error(Fault fault);

    void Closed(string reason, bool keysErased, string? peerReason);

    /// <summary>
    /// A listener's handshake with <paramref name="peer"/> failed or was refused (timeout, garbage,
    /// wrong passphrase, not authorized, …); the listener goes on waiting. JSON: handshake-failed {peer, code, message}.
    /// </summary>
    void HandshakeFailed(string peer, Fault fault);

    /// <summary>The conversation never started (handshake failed or peer refused); JSON: closed {reason: error}.</summary>
    void NeverStarted(bool keysErased);

    /// <summary>The peer offers a file (its name already made safe).</summary>
    void FileOffered(FileOffered offer);

    /// <summary>We offered a file.</summary>
    void FileOfferSent(FileOfferSent offer);

    /// <summary>The peer accepted one of our offers.</summary>
    void FileAccepted(FileAccepted accepted);

    void FileProgress(FileProgress progress);

    void FileDone(FileCompleted done);

    void FileFailed(uint id, TransferDirection direction, string reason);

    /// <summary>Where the progress lines go on a terminal (kept between the messages and the input row).</summary>
    Action<IReadOnlyList<string>>? StatusSink { get; set; }

    /// <summary>
    /// Where people's output lines go (the line editor redirects them above the input line), with the
    /// indent for the rows a line wider than the terminal continues on.
    /// </summary>
    Action<string, int>? LineSink { get; set; }
}

/// <summary>What a code listener shows: the code and the exact command for the peer.</summary>
/// <param name="Relay">The relay's host:port, or null for a direct connection.</param>
/// <param name="Nameplate">The relay's nameplate, or null.</param>
/// <param name="Address">The local address listened on (direct), or null.</param>
/// <param name="Port">The port listened on (direct), or 0.</param>
/// <param name="ReachableAt">The addresses peers can reach (direct), or none.</param>
/// <param name="Code">The code to pass on (shown once, never logged).</param>
/// <param name="PeerCommand">The command the peer runs, then types the code.</param>
/// <param name="ExpiresIn">How long the relay keeps the code waiting, or null.</param>
internal sealed record CodeListening(string? Relay, string? Nameplate, string? Address, int Port, IReadOnlyList<string> ReachableAt, string Code, string PeerCommand, TimeSpan? ExpiresIn);
