using System.Net.Sockets;
using SecureChat.Cli.Output;
using SecureChat.Session;

namespace SecureChat.Cli;

/// <summary>The codes of the README's `error` and `handshake-failed` events; <see cref="Faults.Json"/> spells them.</summary>
internal enum ErrorCode
{
    BadInput,
    AuthFailed,
    KeyMismatch,
    Integrity,
    Handshake,
    Protocol,
    Timeout,
    Io,
}

/// <summary>A failure as the user sees it: the JSON error code, the exit code, and what to do.</summary>
internal sealed record Fault(ErrorCode Kind, int ExitCode, string Message)
{
    /// <summary>The JSON spelling of <see cref="Kind"/>.</summary>
    public string Code => Faults.Json(Kind);

    public static Fault BadInput(string message) => new(ErrorCode.BadInput, ExitCodes.Usage, message);

    /// <summary>A local input/output or setup failure (not the peer's doing).</summary>
    public static Fault Io(string message, int exitCode = ExitCodes.Other) => new(ErrorCode.Io, exitCode, message);

    /// <summary>The user stopped the connection or the handshake (Ctrl+C).</summary>
    public static Fault Stopped(string message) => new(ErrorCode.Io, ExitCodes.Connection, message);

    /// <summary>An ArgumentException's message without the " (Parameter 'x')" that .NET appends.</summary>
    public static string ArgumentMessage(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);

    /// <summary>Maps an exception from a session, or from connecting, to words a user can act on.</summary>
    /// <param name="compat">The compatibility mode, or null for the SecureChat protocol.</param>
    /// <param name="code">True in code mode (--relay or --code): a spent attempt is a used-up code.</param>
    public static Fault From(Exception error, string peer, bool duringHandshake, bool initiator, string? compat = null, bool code = false) => error switch
    {
        SecureChatException e => code
            ? Faults.WithCodeAttempt(Faults.Describe(e.Fault, Faults.Detail(e), new FaultFacts(peer, duringHandshake, initiator, compat, e)), e, initiator)
            : Faults.WithAttempt(Faults.Describe(e.Fault, Faults.Detail(e), new FaultFacts(peer, duringHandshake, initiator, compat, e)), e, initiator),
        Rendezvous.RelayException e => Faults.FromRelay(e),
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => new(ErrorCode.Io, ExitCodes.Connection, $"Nothing is listening at {peer}: start 'securechat listen' there first, or check the address and port."),
        SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => new(ErrorCode.Io, ExitCodes.Connection, $"The host name in {peer} could not be resolved: check the spelling, or use an IP address."),
        SocketException { SocketErrorCode: SocketError.TimedOut } => new(ErrorCode.Timeout, ExitCodes.Connection, $"Connecting to {peer} timed out: check the address and that no firewall is in the way."),
        SocketException e => new(ErrorCode.Io, ExitCodes.Connection, $"Could not connect to {peer}: {e.Message}."),
        IOException e => new(ErrorCode.Io, ExitCodes.Connection, $"Input/output error with {peer}: {e.Message}"),
        _ => new(ErrorCode.Io, ExitCodes.Other, "Unexpected error: " + error.Message),
    };
}

/// <summary>What the words for a library fault depend on besides its kind and detail.</summary>
/// <param name="Peer">The peer's address as shown.</param>
/// <param name="DuringHandshake">Whether the fault ended the handshake (rather than a running chat).</param>
/// <param name="Initiator">True on the connecting side.</param>
/// <param name="Compat">The compatibility mode, or null for the SecureChat protocol.</param>
/// <param name="Error">The exception, for the facts it carries (its message, the peer's reason text).</param>
internal sealed record FaultFacts(string Peer, bool DuringHandshake, bool Initiator, string? Compat, SecureChatException Error);

/// <summary>
/// The one mapping from the library's fault vocabulary (<see cref="SessionFault"/> and the detail
/// enum an exception carries) to the README's error code, exit code and default words. The library
/// states the fact; what the user can do about it (options, commands) is said here.
/// </summary>
internal static class Faults
{
    /// <summary>The JSON spelling of each code (README, "JSON events").</summary>
    public static string Json(ErrorCode code) => code switch
    {
        ErrorCode.BadInput => "bad-input",
        ErrorCode.AuthFailed => "auth-failed",
        ErrorCode.KeyMismatch => "key-mismatch",
        ErrorCode.Integrity => "integrity",
        ErrorCode.Handshake => "handshake",
        ErrorCode.Protocol => "protocol",
        ErrorCode.Timeout => "timeout",
        ErrorCode.Io => "io",
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, null),
    };

    /// <summary>The detail enum a library fault carries, or null for the kinds that have none.</summary>
    public static Enum? Detail(SecureChatException error) => error switch
    {
        AuthenticationFailedException e => e.Reason,
        PeerRejectedException e => e.Reason,
        PeerRefusedException e => e.Code,
        _ => null,
    };

    /// <summary>
    /// The table. Every <see cref="SessionFault"/> and every value of its detail enum has a row; a
    /// new value without one throws (and fails the table test) rather than falling into a vague default.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A kind or detail with no row.</exception>
    public static Fault Describe(SessionFault fault, Enum? detail, FaultFacts at)
    {
        string peer = at.Peer;
        string expected = at.Compat is null ? "Is it a SecureChat peer of the same version?" : $"Is it running the original {at.Compat} program?";
        bool byPeer = at.Error is PeerRejectedException { ByPeer: true };
        string? peerReason = (at.Error as PeerRejectedException)?.PeerReason;
        return (fault, detail) switch
        {
            // On the connecting side these come from a REFUSE frame, which is not authenticated
            // (docs/PROTOCOL.md §5): say what the server claims, never advise weakening a setting.
            (SessionFault.Authentication, AuthenticationFailure.WrongPassphrase) => new(ErrorCode.AuthFailed, ExitCodes.Authentication, at.Initiator
                ? "Authentication failed: the server says (unauthenticated) the passphrases do not match (or the handshake was changed on the way). Check the passphrase with your peer."
                : "Authentication failed: the peer's passphrase does not match this side's (someone guessed, or the handshake was changed on the way). Check the passphrase with your peer."),
            (SessionFault.Authentication, AuthenticationFailure.CommitmentMismatch) => new(ErrorCode.AuthFailed, ExitCodes.Authentication, at.Initiator
                ? "Authentication failed: the server says (unauthenticated) this side's last handshake message did not match the handshake: it may have been changed on the way. Nothing was trusted."
                : "Authentication failed: the peer's last handshake message does not match the session-code commitment of its first. Someone on the path tampered with the handshake; nothing was trusted."),
            (SessionFault.Authentication, AuthenticationFailure.PassphraseRequired) => new(ErrorCode.AuthFailed, ExitCodes.Authentication, at.Initiator
                ? "The server says (unauthenticated) it requires a passphrase: anyone on the path could have sent this refusal. Use --psk only with a passphrase you agreed on with the server's owner."
                : "The peer connected without a passphrase, but this side uses --psk; it was refused."),
            (SessionFault.Authentication, AuthenticationFailure.PassphraseNotExpected) => new(ErrorCode.AuthFailed, ExitCodes.Authentication, at.Initiator
                ? "The server says (unauthenticated) it does not use a passphrase: someone on the path may have sent this refusal. Keep --psk, and ask the server's owner how the server is run."
                : "The peer connected with a passphrase, but this side does not use --psk; it was refused."),

            // Trust decided inside the handshake (docs/PROTOCOL.md §8): by this side's policy, or by the peer's.
            (SessionFault.Authentication, PeerRejection.KeyMismatch) => new(ErrorCode.KeyMismatch, ExitCodes.Authentication, byPeer
                ? $"The peer at {peer} says (unauthenticated) it remembers a different key for this side, and refused the conversation. Its words: {TerminalText.Sanitize(peerReason ?? "")}"
                : $"The server's key for {peer} changed; nothing was sent. See the warning above."),
            (SessionFault.Authentication, PeerRejection.NotAuthorized) => new(ErrorCode.AuthFailed, ExitCodes.Authentication, byPeer
                ? $"The server at {peer} says (unauthenticated) it does not authorize your identity. Send your fingerprint ('securechat id') to its owner and ask to be added to its authorized peers. Its words: {TerminalText.Sanitize(peerReason ?? "")}"
                : $"Refused {peer}: it is not authorized."),

            (SessionFault.Integrity, null) => at.DuringHandshake
                ? new(ErrorCode.Handshake, ExitCodes.Integrity, "The handshake failed authentication: the data was tampered with on the way (or the peer is broken). Nothing was sent.")
                : new(ErrorCode.Integrity, ExitCodes.Integrity, "A message from the peer failed authentication (tampered with, replayed, reordered or dropped on the way). The chat was ended to protect you."),
            (SessionFault.Protocol, null) => new(at.DuringHandshake ? ErrorCode.Handshake : ErrorCode.Protocol, ExitCodes.Integrity,
                $"The peer broke the {at.Compat ?? "SecureChat"} protocol: {at.Error.Message} {expected}"),
            (SessionFault.Timeout, null) => new(ErrorCode.Timeout, ExitCodes.Connection,
                at.Error.Message + (at.DuringHandshake ? $" {expected} Is the network working?" : "")),
            (SessionFault.ConnectionLost, null) => new(ErrorCode.Io, ExitCodes.Connection,
                $"The connection to {peer} was lost without a goodbye from the peer: the network failed, the peer's program was stopped, or someone cut the conversation."),

            (SessionFault.Refused, RefusalCode.Busy) => new(ErrorCode.Handshake, ExitCodes.Other,
                $"The server at {peer} says (unauthenticated) it is busy with another conversation. Try again later."),
            (SessionFault.Refused, RefusalCode.UnsupportedVersion or RefusalCode.PassphraseRequired or RefusalCode.NoPassphraseExpected or RefusalCode.AuthenticationFailed or RefusalCode.NotAuthorized or RefusalCode.KeyMismatch) =>
                new(ErrorCode.Protocol, ExitCodes.Integrity, at.Error.Message),
            (SessionFault.Refused, RefusalCode code) when !Enum.IsDefined(code) => new(ErrorCode.Protocol, ExitCodes.Integrity, at.Error.Message), // a code from a newer peer

            _ => throw new ArgumentOutOfRangeException(nameof(detail), $"No mapping for {fault} / {detail?.GetType().Name}.{detail}."),
        };
    }

    /// <summary>
    /// Adds what docs/PROTOCOL.md §8 requires the user be told once a passphrase attempt was put to
    /// the test: it is used up, whatever went wrong, and SecureChat does not retry it by itself.
    /// </summary>
    public static Fault WithAttempt(Fault fault, SecureChatException error, bool initiator) => !error.PassphraseAttemptSpent
        ? fault
        : fault with
        {
            Message = fault.Message + (initiator
                ? " This passphrase attempt is used up: SecureChat does not retry it by itself; connect again only once you have checked the passphrase with your peer."
                : " That attempt at the passphrase is used up."),
        };

    /// <summary>The message that ends a code listener whose one attempt a wrong code used up (issue 13).</summary>
    public const string WrongCodeListener = "Someone tried a wrong code — this code is used up; start again.";

    /// <summary>What a joiner is told once its code was put to the test and failed (issue 13).</summary>
    public const string CodeUsedUp = "This code is used up — ask for a new one (SecureChat does not retry it).";

    /// <summary>
    /// As <see cref="WithAttempt"/> for a code (docs/PROTOCOL.md §8, issue 13): one code, one attempt,
    /// on both sides; a wrong code is said in those words.
    /// </summary>
    public static Fault WithCodeAttempt(Fault fault, SecureChatException error, bool initiator)
    {
        if (!error.PassphraseAttemptSpent)
        {
            return fault;
        }

        bool wrong = error is AuthenticationFailedException { Reason: AuthenticationFailure.WrongPassphrase };
        return (initiator, wrong) switch
        {
            (true, true) => fault with { Message = "Authentication failed: the peer says (unauthenticated) the code does not match. " + CodeUsedUp },
            (true, false) => fault with { Message = fault.Message + " " + CodeUsedUp },
            (false, true) => fault with { Message = WrongCodeListener },
            (false, false) => fault with { Message = fault.Message + " This code is used up; start again." },
        };
    }

    /// <summary>A relay failure: unreachable, refused or timed out is exit 5; a relay that breaks the protocol is exit 4.</summary>
    public static Fault FromRelay(Rendezvous.RelayException error)
    {
        string said = error.RelayMessageText is { Length: > 0 } text ? $" The relay says (unauthenticated): {TerminalText.Sanitize(text.Length > 200 ? text[..200] : text)}" : "";
        return error.Reason switch
        {
            Rendezvous.RelayFailure.ProtocolViolation => new(ErrorCode.Protocol, ExitCodes.Integrity, error.Message),
            Rendezvous.RelayFailure.Timeout => new(ErrorCode.Timeout, ExitCodes.Connection, error.Message + said),
            _ => new(ErrorCode.Io, ExitCodes.Connection, error.Message + said),
        };
    }

    /// <summary>Unreadable data in a compatibility mode: reported, but the chat goes on.</summary>
    public static Fault Unreadable(string reason) => new(ErrorCode.Integrity, ExitCodes.Integrity,
        $"Unreadable data from the peer: {reason}. A different passphrase or key on the other side, or tampering on the way; the chat goes on.");

    /// <summary>True for the faults after which the chat never started (no `closed` event, but `never-started`).</summary>
    public static bool NeverStarted(Fault fault) => fault.Kind is ErrorCode.AuthFailed or ErrorCode.KeyMismatch;

    /// <summary>What to tell the user when an accept meets a limit (<see cref="TransferLimitException"/>), and what they can do about it.</summary>
    /// <param name="automatic">True when the CLI accepted by itself (--auto-accept), so the words are for a refusal already sent.</param>
    /// <exception cref="ArgumentOutOfRangeException">A limit with no words.</exception>
    public static string LimitText(TransferLimit limit, long allowed, uint id, string directory, bool automatic) => limit switch
    {
        TransferLimit.TooManyTransfers => automatic
            ? $"{allowed} files are already being received (the most at once); the peer can offer it again later."
            : $"{allowed} files are already being received (the most at once): wait for one to finish or /cancel one, then /accept {id} again.",
        TransferLimit.FileTooLarge => automatic
            ? $"it is larger than --max-file-size ({TransferText.Size(allowed)})."
            : $"file {id} is larger than --max-file-size ({TransferText.Size(allowed)}): /reject {id}, or start again with a larger --max-file-size to receive it.",
        TransferLimit.NotEnoughSpace => automatic
            ? $"it does not fit in {TerminalText.Sanitize(directory)} ({TransferText.Size(allowed)} free, keeping 64 MiB spare); free some space, or set --max-file-size to receive large files anyway."
            : $"file {id} does not fit in {TerminalText.Sanitize(directory)} ({TransferText.Size(allowed)} free, keeping 64 MiB spare): free some space and /accept {id} again, /reject {id}, or start again with --max-file-size SIZE to receive it anyway.",
        _ => throw new ArgumentOutOfRangeException(nameof(limit), limit, null),
    };
}
