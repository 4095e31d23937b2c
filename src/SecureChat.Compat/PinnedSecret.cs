using System.Security.Cryptography;

namespace SecureChat.Compat;

/// <summary>
/// The single owner of a compatibility session's key: a fixed-size array pinned on the pinned object
/// heap (the garbage collector never moves it, so leaves no stray copies), zeroed when disposed.
/// A copy of the core's internal SecretBuffer, which this assembly does not see.
/// </summary>
internal sealed class PinnedSecret : IDisposable
{
    private readonly byte[] _bytes;
    private bool _disposed;

    /// <param name="length">Size in bytes (1..4096: a key, not bulk data).</param>
    public PinnedSecret(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 4096);
        _bytes = GC.AllocateArray<byte>(length, pinned: true);
    }

    /// <summary>The secret bytes. Throws once the secret has been erased.</summary>
    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_bytes);
        _disposed = true;
    }
}
