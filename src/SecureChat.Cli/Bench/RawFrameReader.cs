using System.Buffers.Binary;

namespace SecureChat.Cli.Bench;

/// <summary>
/// Reads whole frames from a stream the way the session's reader does (a 4 KiB buffer while frames
/// are small, 4 × 65,537 bytes from the first frame that does not fit, several frames per read),
/// for the baselines: no decryption, no events, the frame is handed straight to the caller.
/// </summary>
internal sealed class RawFrameReader(Stream stream)
{
    private const int SmallSize = 4096;
    private const int LargeSize = RawFrames.FramesPerWrite * RawFrames.MaxFrameSize;
    private byte[] _buffer = new byte[SmallSize];
    private int _start;
    private int _end;

    /// <summary>The next frame's body (kind ‖ payload), valid until the next call; null when the stream ended between frames.</summary>
    /// <exception cref="InvalidDataException">A zero-length frame, or the stream ended inside a frame.</exception>
    public async ValueTask<Memory<byte>?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int unread = _end - _start;
            int length = unread >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start)) : -1;
            if (length == 0)
            {
                throw new InvalidDataException("zero-length frame");
            }

            if (length > 0 && unread >= 2 + length)
            {
                Memory<byte> body = _buffer.AsMemory(_start + 2, length);
                _start += 2 + length;
                return body;
            }

            int needed = length > 0 ? 2 + length : 2;
            if (needed > _buffer.Length)
            {
                byte[] larger = new byte[LargeSize];
                _buffer.AsSpan(_start, unread).CopyTo(larger);
                (_buffer, _start, _end) = (larger, 0, unread);
            }
            else if (_start > 0 && (unread == 0 || _start + needed > _buffer.Length || _buffer.Length - _end < _buffer.Length / 4))
            {
                _buffer.AsSpan(_start, unread).CopyTo(_buffer);
                (_start, _end) = (0, unread);
            }

            int read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return _end == _start ? null : throw new InvalidDataException("the stream ended inside a frame");
            }

            _end += read;
        }
    }
}
