using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>A FILE_DATA chunk the read loop hands to its transfer's writer (never delivered to the application).</summary>
internal sealed record FileChunk(IncomingTransfer Transfer, byte[] Chunk, int Length) : ReaderWork
{
    /// <inheritdoc/>
    public override ValueTask RunAsync(CancellationToken cancellationToken) => Transfer.OnDataAsync(Chunk, Length, cancellationToken);
}
