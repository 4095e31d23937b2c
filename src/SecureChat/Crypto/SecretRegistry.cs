namespace SecureChat.Crypto;

/// <summary>
/// Remembers every secret array a session allocated, so that a test can check, after the session
/// is closed, that each one of them is all zeros. It keeps references (and the label a buffer was
/// given) only; it never reads or copies the bytes itself. A test that scans the process's memory
/// for leftover copies sets <see cref="Erasing"/>: each labelled <see cref="SecretBuffer"/> then
/// lends its bytes to that callback once, just before they are wiped, so the test can take a
/// (masked) needle of a secret that never appears in the key log, such as the CPace scalars.
/// </summary>
internal sealed class SecretRegistry
{
    private readonly List<(byte[] Array, string? Label)> _entries = [];
    private readonly Lock _lock = new();

    /// <summary>Called with a labelled buffer's label and bytes right before it is wiped (tests only).</summary>
    public SecretErasingCallback? Erasing { get; init; }

    /// <summary>Remembers <paramref name="array"/>, with an optional <see cref="SecretLabels"/> name.</summary>
    public void Track(byte[] array, string? label = null)
    {
        lock (_lock)
        {
            _entries.Add((array, label));
        }
    }

    /// <summary>The tracked arrays (for tests that prove erasure).</summary>
    public IReadOnlyList<byte[]> Snapshot()
    {
        lock (_lock)
        {
            return [.. _entries.Select(e => e.Array)];
        }
    }

    /// <summary>The tracked arrays that were given <paramref name="label"/>.</summary>
    public IReadOnlyList<byte[]> Labelled(string label)
    {
        lock (_lock)
        {
            return [.. _entries.Where(e => e.Label == label).Select(e => e.Array)];
        }
    }

    /// <summary>Lends a labelled buffer's bytes to <see cref="Erasing"/> before they are wiped.</summary>
    internal void OnErasing(string? label, ReadOnlySpan<byte> bytes)
    {
        if (label is not null)
        {
            Erasing?.Invoke(label, bytes);
        }
    }
}

/// <summary>Receives a secret's label and bytes right before the secret is wiped (erasure tests only).</summary>
internal delegate void SecretErasingCallback(string label, ReadOnlySpan<byte> bytes);

/// <summary>The names of the secrets an erasure test looks for by name (docs/PROTOCOL.md §6: the CPace scalars, g, K and ISK, and the KEM secrets).</summary>
internal static class SecretLabels
{
    /// <summary>A CPace scalar, ya or yb (32 bytes).</summary>
    public const string CPaceScalar = "CPACE_SCALAR";

    /// <summary>The CPace generator g (32 bytes, encoded).</summary>
    public const string CPaceGenerator = "CPACE_G";

    /// <summary>The CPace shared point K (32 bytes, encoded).</summary>
    public const string CPaceK = "CPACE_K";

    /// <summary>The CPace intermediate session key ISK (64 bytes).</summary>
    public const string CPaceIsk = "CPACE_ISK";

    /// <summary>The ML-KEM-768 secret (decapsulation) key (2,400 bytes).</summary>
    public const string MlKemSecretKey = "MLKEM768_SECRET_KEY";

    /// <summary>The ML-KEM-768 shared secret ss (32 bytes).</summary>
    public const string KemSharedSecret = "KEM_SHARED_SECRET";

    /// <summary>
    /// A cipher key expanded for libsodium's AES-256-GCM (<see cref="Sodium.Aes256GcmState"/>, 527 bytes
    /// with the 16-byte-aligned 512-byte state inside). Tracked so a test can prove it is wiped; not
    /// lent to <see cref="SecretRegistry.Erasing"/>: it holds the key itself, which the key log has.
    /// </summary>
    public const string Aes256GcmState = "AES256GCM_STATE";
}
