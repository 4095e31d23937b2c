using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// Reads whole frames from a stream into one buffer — 4 KiB while frames are small (an idle chat
/// costs little memory), 4 × (2 + 65535) bytes from the first frame that does not fit (several
/// frames per read, so bulk transfers make fewer system calls) — using the pure parser
/// <see cref="Frame.TryParse"/>. A returned frame stays valid, and writable (for in-place
/// decryption), until the next read. Wipes its buffer when disposed.
/// </summary>
internal sealed class FrameReader : IDisposable
{
    private readonly Stream _stream;
    private const int SmallSize = 4096;
    private const int LargeSize = 4 * Frame.MaxFrameSize;
    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(SmallSize);
    private int _start;
    private int _end;

    public FrameReader(Stream stream) => _stream = stream;

    /// <summary>The next frame's body (N bytes: kind ‖ payload; see <see cref="ReceivedFrame.Of"/>), or null when the stream ended cleanly between frames.</summary>
    /// <exception cref="ProtocolViolationException">A zero-length frame, or the stream ended inside a frame.</exception>
    public async ValueTask<Memory<byte>?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        byte[] buffer = _buffer ?? throw new ObjectDisposedException(nameof(FrameReader));
        while (true)
        {
            FrameStatus status = Frame.TryParse(buffer.AsSpan(_start, _end - _start), out int length);
            if (status == FrameStatus.Complete)
            {
                var payload = buffer.AsMemory(_start + Frame.LengthSize, length);
                _start += Frame.LengthSize + length;
                return payload;
            }

            if (status == FrameStatus.ZeroLength)
            {
                throw new ProtocolViolationException("The peer sent a zero-length frame.");
            }

            int unread = _end - _start;
            int needed = unread >= Frame.LengthSize ? Frame.LengthSize + BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(_start)) : Frame.LengthSize;
            if (needed > buffer.Length)
            {
                // A frame larger than the small buffer: move to the large one, for good.
                byte[] larger = ArrayPool<byte>.Shared.Rent(LargeSize);
                buffer.AsSpan(_start, unread).CopyTo(larger);
                CryptographicOperations.ZeroMemory(buffer);
                ArrayPool<byte>.Shared.Return(buffer);
                _buffer = buffer = larger;
                _start = 0;
                _end = unread;
            }
            else if (_start > 0 && (unread == 0 || _start + needed > buffer.Length || buffer.Length - _end < buffer.Length / 4))
            {
                // Make room at the end; the previous frames' bytes are no longer needed.
                buffer.AsSpan(_start, unread).CopyTo(buffer);
                _end = unread;
                _start = 0;
            }

            int read = await _stream.ReadAsync(buffer.AsMemory(_end, buffer.Length - _end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (_end == _start)
                {
                    return null;
                }

                throw new ProtocolViolationException("The connection ended in the middle of a frame.");
            }

            _end += read;
        }
    }

    public void Dispose()
    {
        byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            CryptographicOperations.ZeroMemory(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
