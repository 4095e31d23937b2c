using SecureChat.Framing;
using SecureChat.Noise;

namespace SecureChat.Session;

/// <summary>
/// The Noise transport phase (docs/PROTOCOL.md §4, Noise §5.1 and §11.3): owns the two
/// CipherStates the handshake split into. Each frame is one transport message,
/// AES-256-GCM with empty associated data over (type ‖ body), 16-byte tag; the sender rekeys right
/// after encrypting, the receiver right after decrypting, overwriting the old key in place.
/// Not thread-safe: the session seals under its send lock and opens from its one reader loop.
/// </summary>
internal sealed class NoiseTransport(CipherState send, CipherState receive) : IDisposable
{
    private readonly CipherState _send = send;
    private readonly CipherState _receive = receive;

    /// <summary>Builds one frame in <paramref name="buffer"/>: header, then ENCRYPT(type ‖ body) in place; then Rekey().</summary>
    public int Seal(MessageType type, ReadOnlySpan<byte> body, Span<byte> buffer)
    {
        int plaintextLength = TransportMessage.Write(type, body, buffer[Frame.HeaderSize..]);
        return SealInPlace(buffer, plaintextLength);
    }

    /// <summary>
    /// The plaintext is in place after the header: writes the header, ENCRYPTs in place, then
    /// Rekey(). Returns the frame's length (header included).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The plaintext is empty or does not fit in one frame.</exception>
    public int SealInPlace(Span<byte> buffer, int plaintextLength)
    {
        if (plaintextLength is < 1 or > Frame.MaxPayloadLength - TransportLimits.TagSize)
        {
            throw new ArgumentOutOfRangeException(nameof(plaintextLength));
        }

        int frameLength = plaintextLength + TransportLimits.TagSize;
        Frame.WriteHeader(buffer, FrameKind.Transport, frameLength);
        Span<byte> message = buffer.Slice(Frame.HeaderSize, frameLength);
        _send.EncryptWithAd([], message[..plaintextLength], message);
        _send.Rekey();
        return Frame.HeaderSize + frameLength;
    }

    /// <summary>
    /// Decrypts one frame's payload in place and rekeys; the plaintext is the first bytes of
    /// <paramref name="payload"/>. Returns its length, or -1 when the message fails authentication
    /// (the key does not move, the output is wiped).
    /// </summary>
    public int Open(Span<byte> payload)
    {
        int length = _receive.DecryptWithAd([], payload, payload[..Math.Max(0, payload.Length - TransportLimits.TagSize)]);
        if (length >= 0)
        {
            _receive.Rekey();
        }

        return length;
    }

    /// <summary>Tests only: the nonce the next sealed frame will use.</summary>
    internal ulong SendNonceForTests => _send.Nonce;

    /// <summary>Erases the receive key (once the reader loop has ended).</summary>
    public void DisposeReceive() => _receive.Dispose();

    /// <summary>Erases the send key (under the send lock, once no write is in flight).</summary>
    public void DisposeSend() => _send.Dispose();

    /// <summary>Erases both keys.</summary>
    public void Dispose()
    {
        _send.Dispose();
        _receive.Dispose();
    }
}
