namespace SecureChat.Tests.Support;

/// <summary>
/// Wraps a connection: each write reaches the peer at once, but returns to the writer only after
/// <see cref="Delay"/>, as a continuation does on a loaded machine. The peer's reaction to what was
/// written can then arrive before the writer knows its write is done. (Linked into the compatibility tests too.)
/// </summary>
internal sealed class LateReturnStream(Stream inner) : DelegatingStream(inner)
{
    /// <summary>How late each write returns; zero (the default) until a test sets it.</summary>
    public TimeSpan Delay { get; set; }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await Inner.WriteAsync(buffer, cancellationToken);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, CancellationToken.None);
        }
    }
}
