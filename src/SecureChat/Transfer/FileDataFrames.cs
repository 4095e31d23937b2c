using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>
/// FILE_DATA frames (docs/PROTOCOL.md §4.1): type ‖ id ‖ up to 65,513 file bytes each, the file
/// read straight into the frame buffer, added to the whole-file hash there (while it is in the
/// cache) and sealed in place, one message (and one rekey) per frame.
/// </summary>
internal static class FileDataFrames
{
    /// <summary>
    /// Reads up to <paramref name="count"/> bytes of <paramref name="file"/> at <paramref name="offset"/>
    /// straight into FILE_DATA frames, adds them to <paramref name="hash"/> and sends them; returns how
    /// many bytes were read (0 at the end of the file, in which case nothing is sent).
    /// </summary>
    /// <exception cref="IOException">The file cannot be read (the frames sealed before that were sent).</exception>
    public static async ValueTask<int> SendDataAsync(this ISessionLink link, uint id, SafeFileHandle file, long offset, int count, IncrementalHash hash, CancellationToken cancellationToken)
    {
        var source = new FileDataSource(id, file, offset, count, hash);
        int frames = (count + OutgoingTransfer.ChunkSize - 1) / OutgoingTransfer.ChunkSize;
        await link.SendFramesAsync(frames * Frame.MaxFrameSize, Build, source, cancellationToken).ConfigureAwait(false);
        if (source.Error is not null)
        {
            throw new IOException(source.Error.Message, source.Error);
        }

        return source.Read;
    }

    /// <summary>Returns the frames' total length; -1 (send nothing) when the file has nothing more or cannot be read.</summary>
    private static int Build(NoiseTransport transport, Span<byte> buffer, FileDataSource source)
    {
        const int header = 1 + FileMessages.DataHeaderSize;
        int length = 0;
        while (source.Read < source.Count)
        {
            Span<byte> plaintext = buffer[(length + Frame.HeaderSize)..];
            plaintext[0] = (byte)FileMessageType.Data;
            FileMessages.WriteDataHeader(plaintext.Slice(1, FileMessages.DataHeaderSize), source.Id);
            int want = Math.Min(OutgoingTransfer.ChunkSize, source.Count - source.Read);
            int read;
            try
            {
                read = RandomAccess.Read(source.File, plaintext.Slice(header, want), source.Offset + source.Read);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                // Frames already sealed must still go out: the send key has moved past them.
                source.Error = e;
                return length > 0 ? length : -1;
            }

            if (read <= 0)
            {
                break;
            }

            source.Hash.AppendData(plaintext.Slice(header, read));
            source.Read += read;
            length += transport.SealInPlace(buffer[length..], header + read);
        }

        return length > 0 ? length : -1;
    }

    private sealed class FileDataSource(uint id, SafeFileHandle file, long offset, int count, IncrementalHash hash)
    {
        public IncrementalHash Hash { get; } = hash;

        public uint Id { get; } = id;

        public SafeFileHandle File { get; } = file;

        public long Offset { get; } = offset;

        public int Count { get; } = count;

        public int Read { get; set; }

        public Exception? Error { get; set; }
    }
}
