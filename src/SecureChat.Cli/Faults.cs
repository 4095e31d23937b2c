using System.Net.Sockets;
using SecureChat.Session;

namespace SecureChat.Cli;

/// <summary>A failure as the user sees it: the JSON error code, the exit code, and what to do.</summary>
internal sealed record Fault(string Code, int ExitCode, string Message)
{
    public static Fault BadInput(string message) => new("bad-input", ExitCodes.Usage, message);

    /// <summary>An ArgumentException's message without the " (Parameter 'x')" that .NET appends.</summary>
    public static string ArgumentMessage(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);

    /// <summary>Maps an exception from a session to words a user can act on.</summary>
    /// <param name="compat">The compatibility mode, or null for the SecureChat protocol.</param>
    public static Fault From(Exception error, string peer, bool duringHandshake, bool initiator, string? compat = null)
    {
        string expected = compat is null ? "Is it a SecureChat peer of the same version?" : $"Is it running the original {compat} program?";
        return error switch
        {
            // On the connecting side these come from a refusal frame, which is not authenticated
            // (docs/PROTOCOL.md §2): say what the server claims, never advise weakening a setting.
            AuthenticationFailedException e => new("auth-failed", ExitCodes.Authentication, e.Reason switch
            {
                AuthenticationFailure.WrongPassphrase => initiator
                    ? "The server says the passphrases do not match (this refusal is not authenticated). Check the passphrase with your peer and try again."
                    : "Authentication failed: the passphrases do not match. Check the passphrase with your peer and try again.",
                AuthenticationFailure.PassphraseRequired => initiator
                    ? "The server says it requires a passphrase (this refusal is not authenticated). Use --psk only with a passphrase you agreed on with the server's owner."
                    : "The peer connected without a passphrase, but this side uses --psk; it was refused.",
                _ => initiator
                    ? "The server says it does not use a passphrase (this refusal is not authenticated: someone on the path may have sent it). Keep --psk, and ask the server's owner how the server is run."
                    : "The peer connected with a passphrase, but this side does not use --psk; it was refused.",
            }),
            IntegrityException when duringHandshake => new("handshake", ExitCodes.Integrity, "The handshake failed authentication: the data was tampered with on the way (or the peer is broken). Nothing was sent."),
            IntegrityException => new("integrity", ExitCodes.Integrity, "A message from the peer failed authentication (tampered with, replayed, reordered or dropped on the way). The chat was ended to protect you."),
            ProtocolViolationException e => new(duringHandshake ? "handshake" : "protocol", ExitCodes.Integrity, $"The peer broke the {compat ?? "SecureChat"} protocol: {e.Message} {expected}"),
            SessionTimeoutException e => new("timeout", ExitCodes.Connection, e.Message + (duringHandshake ? $" {expected} Is the network working?" : "")),
            ConnectionLostException => new("io", ExitCodes.Connection, $"The connection to {peer} was lost without a goodbye from the peer: the network failed, the peer's program was stopped, or someone cut the conversation."),
            // Trust decided inside the handshake (docs/PROTOCOL.md §8): by this side's policy, or by the peer's.
            PeerRejectedException { ByPeer: false, Reason: PeerRejection.KeyMismatch } => new("key-mismatch", ExitCodes.Authentication, $"The server's key for {peer} changed; nothing was sent. See the warning above."),
            PeerRejectedException { ByPeer: false } => new("auth-failed", ExitCodes.Authentication, $"Refused {peer}: it is not authorized."),
            PeerRejectedException { Reason: PeerRejection.NotAuthorized } => new("auth-failed", ExitCodes.Authentication, $"The server at {peer} does not authorize your identity. Send your fingerprint ('securechat id') to its owner and ask to be added to its authorized peers."),
            PeerRejectedException e => new("key-mismatch", ExitCodes.Authentication, $"The peer at {peer} refused the conversation: {Output.TerminalText.Sanitize(e.PeerReason)}."),
            PeerRefusedException { Code: RefusalCode.Busy } => new("handshake", ExitCodes.Other, $"The server at {peer} says it is busy with another conversation (this refusal is not authenticated). Try again later."),
            PeerRefusedException e => new("protocol", ExitCodes.Integrity, e.Message),
            SocketException { SocketErrorCode: SocketError.ConnectionRefused } => new("io", ExitCodes.Connection, $"Nothing is listening at {peer}: start 'securechat listen' there first, or check the address and port."),
            SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain } => new("io", ExitCodes.Connection, $"The host name in {peer} could not be resolved: check the spelling, or use an IP address."),
            SocketException { SocketErrorCode: SocketError.TimedOut } => new("timeout", ExitCodes.Connection, $"Connecting to {peer} timed out: check the address and that no firewall is in the way."),
            SocketException e => new("io", ExitCodes.Connection, $"Could not connect to {peer}: {e.Message}."),
            IOException e => new("io", ExitCodes.Connection, $"Input/output error with {peer}: {e.Message}"),
            _ => new("io", ExitCodes.Other, "Unexpected error: " + error.Message),
        };
    }
}
