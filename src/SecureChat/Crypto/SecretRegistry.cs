namespace SecureChat.Crypto;

/// <summary>
/// Remembers every secret array a session allocated, so that a test can check, after the session
/// is closed, that each one of them is all zeros. It keeps references only; it never reads or
/// copies the bytes itself.
/// </summary>
internal sealed class SecretRegistry
{
    private readonly List<byte[]> _arrays = [];
    private readonly Lock _lock = new();

    public void Track(byte[] array)
    {
        lock (_lock)
        {
            _arrays.Add(array);
        }
    }

    /// <summary>The tracked arrays (for tests that prove erasure).</summary>
    public IReadOnlyList<byte[]> Snapshot()
    {
        lock (_lock)
        {
            return [.. _arrays];
        }
    }
}
