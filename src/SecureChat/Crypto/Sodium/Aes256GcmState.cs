namespace SecureChat.Crypto.Sodium;

/// <summary>
/// The single owner of one AES-256-GCM key as libsodium's precomputation interface expands it
/// (<c>crypto_aead_aes256gcm_beforenm</c>): a crypto_aead_aes256gcm_state of 512 bytes holding the
/// AES-256 round keys (the first two of which are the key itself) and the powers of the GHASH key.
/// It is key material: kept in an array pinned on the pinned object heap (the GC never moves it, so
/// it leaves no stray copies and the 16-byte-aligned window chosen at construction stays aligned),
/// and wiped with sodium_memzero by <see cref="Clear"/> (as soon as the key it was expanded from is
/// replaced) and by <see cref="Dispose"/>. Expanding once lets a message and the Rekey() that
/// follows it (same key) share one key setup. Nothing here allocates after construction.
/// </summary>
internal sealed class Aes256GcmState : IDisposable
{
    private readonly byte[] _memory;
    private readonly int _offset;
    private bool _hasKey;
    private bool _disposed;

    /// <param name="registry">Optional registry that remembers the memory so a test can prove erasure (label <see cref="SecretLabels.Aes256GcmState"/>).</param>
    public unsafe Aes256GcmState(SecretRegistry? registry = null)
    {
        _memory = GC.AllocateArray<byte>(Sodium.Aes256GcmStateSize + Sodium.Aes256GcmStateAlignment - 1, pinned: true);
        fixed (byte* start = _memory)
        {
            int misalignment = (int)((nuint)start % Sodium.Aes256GcmStateAlignment);
            _offset = misalignment == 0 ? 0 : Sodium.Aes256GcmStateAlignment - misalignment;
        }

        registry?.Track(_memory, SecretLabels.Aes256GcmState);
    }

    /// <summary>True once <see cref="Expand"/> has set a key up, until <see cref="Clear"/> or <see cref="Dispose"/>.</summary>
    public bool HasKey => _hasKey;

    /// <summary>The expanded key, for the libsodium calls. Throws when no key is set up.</summary>
    public ReadOnlySpan<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_hasKey)
            {
                throw new InvalidOperationException("No AES-256-GCM key is expanded.");
            }

            return _memory.AsSpan(_offset, Sodium.Aes256GcmStateSize);
        }
    }

    /// <summary>Expands <paramref name="key"/> (32 bytes) over whatever was held before.</summary>
    public void Expand(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _hasKey = false;
        Sodium.Aes256GcmExpandKey(key, _memory.AsSpan(_offset, Sodium.Aes256GcmStateSize));
        _hasKey = true;
    }

    /// <summary>Wipes the expanded key (its key is being replaced); <see cref="Expand"/> may be called again.</summary>
    public void Clear()
    {
        if (_hasKey)
        {
            _hasKey = false;
            Sodium.MemZero(_memory);
        }
    }

    public void Dispose()
    {
        _hasKey = false;
        Sodium.MemZero(_memory);
        _disposed = true;
    }
}
