using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using SecureChat.Framing;

namespace SecureChat.Session;

/// <summary>
/// Reads whole frames from a stream using the pure parser <see cref="Frame.TryParse"/>, as many
/// bytes per read as fit in a pooled buffer, so that one system call hands out several frames.
/// <list type="bullet">
/// <item>Idle, it holds no buffer: once every buffered frame has been handed out it waits for data
/// with a zero-byte read, and rents a buffer only when data arrives (<see cref="SmallSize"/>, or
/// <see cref="LargeSize"/> while frames are large); the buffer is zeroed and returned when drained.</item>
/// <item>A frame's length (2 bytes, at most 65,535) is checked before any buffer is sized for it:
/// no frame ever needs more than <see cref="Frame.MaxFrameSize"/> bytes.</item>
/// </list>
/// A returned frame stays valid, and writable (for in-place decryption), until the next read.
/// Wipes its buffer when disposed.
/// </summary>
internal sealed class FrameReader : IDisposable
{
    /// <summary>The buffer rented when data arrives while frames are small.</summary>
    internal const int SmallSize = 16 * 1024;

    /// <summary>The buffer once a frame does not fit in the small one: four of the largest frames.</summary>
    internal const int LargeSize = 4 * Frame.MaxFrameSize;

    private readonly Stream _stream;
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private int _dirty;
    private bool _large;
    private bool _lastReadFilled;
    private bool _disposed;

    public FrameReader(Stream stream) => _stream = stream;

    /// <summary>Tests only: true while the reader holds a receive buffer.</summary>
    internal bool HoldsBuffer => Volatile.Read(ref _buffer) is not null;

    /// <summary>Tests only: how many reads of data the reader made (zero-byte waits not counted).</summary>
    internal int Reads { get; private set; }

    /// <summary>The next frame's body (N bytes: kind ‖ payload; see <see cref="ReceivedFrame.Of"/>), or null when the stream ended cleanly between frames.</summary>
    /// <exception cref="ProtocolViolationException">A zero-length frame, or the stream ended inside a frame.</exception>
    public async ValueTask<Memory<byte>?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            byte[]? buffer = _buffer;
            int unread = _end - _start;
            if (buffer is not null)
            {
                FrameStatus status = Frame.TryParse(buffer.AsSpan(_start, unread), out int length);
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
            }

            if (unread == 0)
            {
                // Every frame has been handed out (and the last one is no longer in use).
                await WaitForDataAsync(cancellationToken).ConfigureAwait(false);
                buffer = _buffer ??= ArrayPool<byte>.Shared.Rent(_large ? LargeSize : SmallSize);
                _start = _end = 0;
            }

            buffer = MakeRoom(buffer!, unread);
            int read = await _stream.ReadAsync(buffer.AsMemory(_end, buffer.Length - _end), cancellationToken).ConfigureAwait(false);
            Reads++;
            if (read == 0)
            {
                if (_end == _start)
                {
                    Release();
                    return null;
                }

                throw new ProtocolViolationException("The connection ended in the middle of a frame.");
            }

            _lastReadFilled = _end + read == buffer.Length;
            _end += read;
            _dirty = Math.Max(_dirty, _end);
        }
    }

    /// <summary>
    /// Nothing is buffered: unless the last read filled the buffer (more is surely waiting), waits
    /// for data with a zero-byte read, giving the buffer back first if the wait does not end at once.
    /// </summary>
    private async ValueTask WaitForDataAsync(CancellationToken cancellationToken)
    {
        if (_buffer is not null && _lastReadFilled)
        {
            return;
        }

        ValueTask<int> ready = _stream.ReadAsync(Memory<byte>.Empty, cancellationToken);
        if (ready.IsCompleted)
        {
            await ready.ConfigureAwait(false);
            return;
        }

        // Idle: keep no buffer while waiting, and start small again.
        Release();
        _large = false;
        await ready.ConfigureAwait(false);
    }

    /// <summary>Makes room at the end of the buffer for the frame in progress: moves the unread bytes to the front, or moves to the large buffer.</summary>
    private byte[] MakeRoom(byte[] buffer, int unread)
    {
        int needed = unread >= Frame.LengthSize ? Frame.LengthSize + BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(_start)) : Frame.LengthSize;
        if (needed > Frame.MaxFrameSize)
        {
            // Unreachable with a 2-byte length; kept so that no buffer is ever sized from a larger one.
            throw new ProtocolViolationException("The peer announced a frame larger than 65,537 bytes.");
        }

        if (needed > buffer.Length)
        {
            // A frame larger than the small buffer: move to the large one until the reader is idle.
            byte[] larger = ArrayPool<byte>.Shared.Rent(LargeSize);
            buffer.AsSpan(_start, unread).CopyTo(larger);
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, _dirty));
            ArrayPool<byte>.Shared.Return(buffer);
            _buffer = buffer = larger;
            _large = true;
            _start = 0;
            _end = _dirty = unread;
        }
        else if (_start > 0 && (_start + needed > buffer.Length || buffer.Length - _end < buffer.Length / 4))
        {
            // Make room at the end; the previous frames' bytes are no longer needed.
            buffer.AsSpan(_start, unread).CopyTo(buffer);
            _end = unread;
            _start = 0;
        }

        return buffer;
    }

    /// <summary>Zeroes every byte the buffer was given (frames are decrypted in place) and returns it to the pool.</summary>
    private void Release()
    {
        byte[]? buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            CryptographicOperations.ZeroMemory(buffer.AsSpan(0, _dirty));
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _start = _end = _dirty = 0;
    }

    public void Dispose()
    {
        _disposed = true;
        Release();
    }
}
