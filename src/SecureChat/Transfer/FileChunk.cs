using SecureChat.Session;

namespace SecureChat.Transfer;

/// <summary>A FILE_DATA chunk the read loop hands to its transfer's writer (never delivered to the application).</summary>
internal sealed record FileChunk(IncomingTransfer Transfer, byte[] Chunk, int Length) : ReaderWork
{
    /// <inheritdoc/>
    public override ValueTask RunAsync(CancellationToken cancellationToken) => Transfer.OnDataAsync(Chunk, Length, cancellationToken);
}

/// <summary>
/// The peer cancelled an incoming file: the read loop publishes the failure once the writer has
/// stopped and the .part is settled (never delivered to the application itself).
/// </summary>
internal sealed record IncomingFailure(IncomingTransfer Transfer, FileFailed Failed) : ReaderWork
{
    /// <inheritdoc/>
    public override ValueTask RunAsync(CancellationToken cancellationToken) => Transfer.PublishWhenSettledAsync(Failed, cancellationToken);
}
