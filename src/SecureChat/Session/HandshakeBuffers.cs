using System.Buffers;
using System.Security.Cryptography;
using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// The two buffers of one handshake run, rented for the largest frame (the pool hands out 128 KiB
/// and 64 KiB arrays for them), and how far each was written. Disposing wipes the bytes written and
/// gives them back: a few KiB, rather than clearing 192 KiB on every handshake of every side (which
/// also pushed everything else out of the core's cache). While a write is in progress its extent is
/// not known, and if it never ended (an exception) the whole buffer is wiped.
/// </summary>
internal sealed class HandshakeBuffers : IDisposable
{
    private int _messageEnd;
    private bool _messageWriting;
    private int _payloadEnd;

    /// <summary>Where this side's handshake frames are built.</summary>
    public byte[] Message { get; } = ArrayPool<byte>.Shared.Rent(Frame.MaxFrameSize);

    /// <summary>Where the peer's handshake payloads are decrypted.</summary>
    public byte[] Payload { get; } = ArrayPool<byte>.Shared.Rent(Frame.MaxPayloadLength);

    /// <summary>A write into <see cref="Message"/> begins: until <see cref="MessageWritten"/>, all of it counts as written.</summary>
    public void MessageWriting() => _messageWriting = true;

    /// <summary>The write into <see cref="Message"/> ended at <paramref name="end"/>.</summary>
    public void MessageWritten(int end)
    {
        _messageEnd = Math.Max(_messageEnd, end);
        _messageWriting = false;
    }

    /// <summary>
    /// The first <paramref name="length"/> bytes of <see cref="Payload"/>, marked as written before
    /// the caller decrypts into them (a decryption never writes more than the ciphertext's length).
    /// </summary>
    public Span<byte> PayloadFor(int length)
    {
        _payloadEnd = Math.Max(_payloadEnd, length);
        return Payload.AsSpan(0, length);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(Message.AsSpan(0, _messageWriting ? Message.Length : Math.Min(_messageEnd, Message.Length)));
        CryptographicOperations.ZeroMemory(Payload.AsSpan(0, Math.Min(_payloadEnd, Payload.Length)));
        ArrayPool<byte>.Shared.Return(Message);
        ArrayPool<byte>.Shared.Return(Payload);
    }
}
