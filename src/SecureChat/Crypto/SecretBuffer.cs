using System.Security.Cryptography;

namespace SecureChat.Crypto;

/// <summary>
/// The single owner of one secret: a fixed-size byte array pinned on the pinned object heap, so the
/// garbage collector never moves it and leaves no stray copies behind. Disposing zeroes it.
/// No property hands out the array; code inside the library reaches the bytes through <see cref="Span"/>.
/// </summary>
internal sealed class SecretBuffer : IDisposable
{
    private readonly byte[] _bytes;
    private readonly SecretRegistry? _registry;
    private readonly string? _label;
    private bool _disposed;

    /// <param name="length">Size in bytes (1..4096: secrets here are keys, not bulk data).</param>
    /// <param name="registry">Optional registry that remembers the buffer so a test can prove erasure.</param>
    /// <param name="label">Optional name (<see cref="SecretLabels"/>) under which the registry knows the buffer.</param>
    public SecretBuffer(int length, SecretRegistry? registry = null, string? label = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 4096);
        _bytes = GC.AllocateArray<byte>(length, pinned: true);
        _registry = registry;
        _label = label;
        registry?.Track(_bytes, label);
    }

    public int Length => _bytes.Length;

    public bool IsDisposed => _disposed;

    /// <summary>The secret bytes. Throws once the buffer has been erased.</summary>
    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _bytes;
        }
    }

    /// <summary>Zeroes the bytes without giving the buffer up (a key that is being replaced).</summary>
    public void Clear()
    {
        _registry?.OnErasing(_label, _bytes);
        CryptographicOperations.ZeroMemory(_bytes);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _registry?.OnErasing(_label, _bytes);
        }

        CryptographicOperations.ZeroMemory(_bytes);
        _disposed = true;
    }
}
