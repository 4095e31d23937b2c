using System.Text;
using SecureChat.Framing;
using SecureChat.Noise;

namespace SecureChat.Session;

/// <summary>
/// The refusal CLOSE of docs/PROTOCOL.md §8: protocol v1 has no SCERR code for "not authorized" or
/// "key mismatch", so a side that rejects its peer after the handshake sends an authenticated CLOSE
/// whose reason starts with one of these words, before any TEXT. This is the only place that
/// writes or recognises them.
/// </summary>
internal static class RefusalClose
{
    public const string NotAuthorized = "not authorized";
    public const string KeyMismatch = "key mismatch";

    /// <summary>The CLOSE reason for a rejection: "not authorized: message".</summary>
    public static string Format(PeerRejection rejection, string message) =>
        (rejection == PeerRejection.NotAuthorized ? NotAuthorized : KeyMismatch) + ": " + message;

    /// <summary>True when a CLOSE reason is a refusal.</summary>
    public static bool TryParse(string? reason, out PeerRejection rejection)
    {
        rejection = reason is not null && reason.StartsWith(KeyMismatch, StringComparison.Ordinal) ? PeerRejection.KeyMismatch : PeerRejection.NotAuthorized;
        return reason is not null && (reason.StartsWith(NotAuthorized, StringComparison.Ordinal) || reason.StartsWith(KeyMismatch, StringComparison.Ordinal));
    }

    /// <summary>Writes the refusal as the first transport message (type CLOSE, §4) sealed with the fresh send cipher.</summary>
    public static async ValueTask SendAsync(Stream stream, CipherState send, string reason, CancellationToken cancellationToken)
    {
        byte[] body = Encoding.UTF8.GetBytes(reason.Length <= 1024 ? reason : reason[..1024]);
        byte[] frame = new byte[Frame.HeaderSize + 1 + body.Length + TransportLimits.TagSize];
        frame[Frame.HeaderSize] = (byte)MessageType.Close;
        body.CopyTo(frame, Frame.HeaderSize + 1);
        Span<byte> message = frame.AsSpan(Frame.HeaderSize);
        int length = send.EncryptWithAd([], message[..(1 + body.Length)], message);
        Frame.WriteHeader(frame, length);
        try
        {
            await stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The peer is gone already; nothing to tell it.
        }
    }
}
