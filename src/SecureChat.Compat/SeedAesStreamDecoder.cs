using System.Security.Cryptography;
using System.Text.Json;

namespace SecureChat.Compat;

/// <summary>
/// Splits a seed-aes byte stream into messages however TCP cut it. The stream is AES-256-ECB
/// blocks with no framing; each message is a JSON object padded with '~' to a block boundary.
/// Whole blocks are decrypted as they arrive; then complete JSON objects are taken one by one
/// (skipping the '~' padding), so messages that arrive together, or split across reads, each come
/// out exactly once. A pure state machine: feed bytes, take messages.
/// The plaintext lives in one pinned buffer of <see cref="MaxPendingBytes"/>; every byte taken out
/// of it is zeroed at once, and <see cref="Dispose"/> zeroes the rest, so no decrypted text stays
/// behind (nor is copied by the garbage collector).
/// </summary>
internal sealed class SeedAesStreamDecoder : IDisposable
{
    /// <summary>More plaintext than this without a complete message is not a seed-aes peer.</summary>
    public const int MaxPendingBytes = 64 * 1024;

    private const int BlockSize = SeedAesMessage.BlockSize;

    private readonly BlockDecryptor _decryptBlocks;
    private readonly byte[] _partialBlock = new byte[BlockSize]; // ciphertext: not secret
    private readonly byte[] _plaintext = GC.AllocateArray<byte>(MaxPendingBytes, pinned: true);
    private int _partialLength;
    private int _plaintextLength;

    /// <summary>AES-256-ECB decryption of whole blocks into a destination of the same length.</summary>
    public delegate void BlockDecryptor(ReadOnlySpan<byte> ciphertext, Span<byte> plaintext);

    /// <param name="decryptBlocks">AES-256-ECB decryption of whole blocks.</param>
    public SeedAesStreamDecoder(BlockDecryptor decryptBlocks) => _decryptBlocks = decryptBlocks;

    /// <summary>The whole plaintext buffer, for tests that check it holds nothing after use.</summary>
    internal ReadOnlySpan<byte> PlaintextBufferForTests => _plaintext;

    /// <summary>Adds received bytes.</summary>
    /// <exception cref="InvalidDataException">Too much data without a complete message.</exception>
    public void Feed(ReadOnlySpan<byte> received)
    {
        if (_partialLength > 0)
        {
            int take = Math.Min(BlockSize - _partialLength, received.Length);
            received[..take].CopyTo(_partialBlock.AsSpan(_partialLength));
            _partialLength += take;
            received = received[take..];
            if (_partialLength < BlockSize)
            {
                return;
            }

            _partialLength = 0;
            Decrypt(_partialBlock);
        }

        int whole = received.Length / BlockSize * BlockSize;
        if (whole > 0)
        {
            Decrypt(received[..whole]);
        }

        received[whole..].CopyTo(_partialBlock);
        _partialLength = received.Length - whole;
    }

    private void Decrypt(ReadOnlySpan<byte> blocks)
    {
        if (_plaintextLength + blocks.Length > MaxPendingBytes)
        {
            Wipe();
            throw new InvalidDataException($"more than {MaxPendingBytes / 1024} KiB arrived without a complete message: wrong passphrase, or not a seed-aes peer");
        }

        _decryptBlocks(blocks, _plaintext.AsSpan(_plaintextLength, blocks.Length));
        _plaintextLength += blocks.Length;
    }

    /// <summary>
    /// The next complete message's JSON, or null when more data is needed. The array is pinned;
    /// the caller zeroes it when done.
    /// </summary>
    /// <exception cref="InvalidDataException">The plaintext is not JSON (wrong passphrase, or not a seed-aes peer); the undecipherable bytes are dropped.</exception>
    public byte[]? TakeMessage()
    {
        int start = 0;
        while (start < _plaintextLength && _plaintext[start] == (byte)'~')
        {
            start++;
        }

        Consume(start);
        if (_plaintextLength == 0)
        {
            return null;
        }

        if (_plaintext[0] != (byte)'{')
        {
            Wipe();
            throw new InvalidDataException("a message did not decrypt to JSON: the passphrases differ, or the peer is not a seed-aes program");
        }

        var reader = new Utf8JsonReader(_plaintext.AsSpan(0, _plaintextLength), isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 4 }));
        try
        {
            if (!reader.Read() || !reader.TrySkip())
            {
                return null; // The object continues in blocks not yet received.
            }
        }
        catch (JsonException e)
        {
            Wipe();
            throw new InvalidDataException("a message decrypted to broken JSON: the passphrases differ, or the data was damaged", e);
        }

        int length = (int)reader.BytesConsumed;
        byte[] message = GC.AllocateArray<byte>(length, pinned: true);
        _plaintext.AsSpan(0, length).CopyTo(message);
        Consume(length);
        return message;
    }

    /// <summary>Drops <paramref name="count"/> bytes from the front and zeroes the bytes the shift leaves behind.</summary>
    private void Consume(int count)
    {
        if (count == 0)
        {
            return;
        }

        int remaining = _plaintextLength - count;
        _plaintext.AsSpan(count, remaining).CopyTo(_plaintext);
        CryptographicOperations.ZeroMemory(_plaintext.AsSpan(remaining, count));
        _plaintextLength = remaining;
    }

    private void Wipe()
    {
        CryptographicOperations.ZeroMemory(_plaintext);
        _plaintextLength = 0;
    }

    /// <summary>Zeroes whatever plaintext is still pending.</summary>
    public void Dispose() => Wipe();
}
