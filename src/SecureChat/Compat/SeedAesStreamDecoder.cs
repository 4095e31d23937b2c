using System.Text.Json;

namespace SecureChat.Compat;

/// <summary>
/// Splits a seed-aes byte stream into messages however TCP cut it. The stream is AES-256-ECB
/// blocks with no framing; each message is a JSON object padded with '~' to a block boundary.
/// Whole blocks are decrypted as they arrive; then complete JSON objects are taken one by one
/// (skipping the '~' padding), so messages that arrive together, or split across reads, each come
/// out exactly once. A pure state machine: feed bytes, take messages.
/// </summary>
internal sealed class SeedAesStreamDecoder
{
    /// <summary>More plaintext than this without a complete message is not a seed-aes peer.</summary>
    public const int MaxPendingBytes = 64 * 1024;

    private readonly Func<byte[], byte[]> _decryptBlocks;
    private readonly List<byte> _ciphertext = [];
    private readonly List<byte> _plaintext = [];

    /// <param name="decryptBlocks">AES-256-ECB decryption of whole blocks.</param>
    public SeedAesStreamDecoder(Func<byte[], byte[]> decryptBlocks) => _decryptBlocks = decryptBlocks;

    /// <summary>Adds received bytes.</summary>
    /// <exception cref="InvalidDataException">Too much data without a complete message.</exception>
    public void Feed(ReadOnlySpan<byte> received)
    {
        foreach (byte b in received)
        {
            _ciphertext.Add(b);
        }

        int whole = _ciphertext.Count / SeedAesMessage.BlockSize * SeedAesMessage.BlockSize;
        if (whole > 0)
        {
            byte[] blocks = [.. _ciphertext.GetRange(0, whole)];
            _ciphertext.RemoveRange(0, whole);
            _plaintext.AddRange(_decryptBlocks(blocks));
        }

        if (_plaintext.Count > MaxPendingBytes)
        {
            _plaintext.Clear();
            throw new InvalidDataException($"more than {MaxPendingBytes / 1024} KiB arrived without a complete message: wrong passphrase, or not a seed-aes peer");
        }
    }

    /// <summary>
    /// The next complete message's JSON, or null when more data is needed.
    /// </summary>
    /// <exception cref="InvalidDataException">The plaintext is not JSON (wrong passphrase, or not a seed-aes peer); the undecipherable bytes are dropped.</exception>
    public byte[]? TakeMessage()
    {
        int start = 0;
        while (start < _plaintext.Count && _plaintext[start] == (byte)'~')
        {
            start++;
        }

        _plaintext.RemoveRange(0, start);
        if (_plaintext.Count == 0)
        {
            return null;
        }

        byte[] pending = [.. _plaintext];
        if (pending[0] != (byte)'{')
        {
            _plaintext.Clear();
            throw new InvalidDataException("a message did not decrypt to JSON: the passphrases differ, or the peer is not a seed-aes program");
        }

        var reader = new Utf8JsonReader(pending, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 4 }));
        try
        {
            if (!reader.Read() || !reader.TrySkip())
            {
                return null; // The object continues in blocks not yet received.
            }
        }
        catch (JsonException e)
        {
            _plaintext.Clear();
            throw new InvalidDataException("a message decrypted to broken JSON: the passphrases differ, or the data was damaged", e);
        }

        int length = (int)reader.BytesConsumed;
        _plaintext.RemoveRange(0, length);
        return pending[..length];
    }
}
