using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace SecureChat.Compat;

/// <summary>
/// One seed-aes message in plaintext (issue "Seed compatibility", document 002): the JSON object
/// {"timestamp": "HH:MM:SS", "message": TEXT, "hash": HEX} as Python's json.dumps writes it, HEX
/// being the lower-case hex SHA-256 of TEXT's UTF-8 bytes, padded with '~' to a multiple of 16.
/// The "hash" is no integrity protection (anyone can recompute it); it only catches garbling.
/// </summary>
internal static class SeedAesMessage
{
    public const int BlockSize = 16;

    /// <summary>The padded plaintext of a message. '~' inside TEXT is written as \u007e, so the original's "delete every ~" cannot corrupt it.</summary>
    public static byte[] Encode(string text, string timestamp)
    {
        var json = new StringBuilder();
        json.Append("{\"timestamp\": ");
        PythonJson.AppendString(json, timestamp);
        json.Append(", \"message\": ");
        PythonJson.AppendString(json, text, escapeTilde: true);
        json.Append(", \"hash\": ");
        PythonJson.AppendString(json, HashHex(text));
        json.Append('}');
        int length = json.Length;
        int padded = (length + BlockSize - 1) / BlockSize * BlockSize;
        json.Append('~', padded - length);
        return Encoding.ASCII.GetBytes(json.ToString());
    }

    /// <summary>Lower-case hex SHA-256 of the text's UTF-8 bytes.</summary>
    public static string HashHex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// Interprets one decrypted JSON object. Missing or mistyped fields are a format error; a hash
    /// that does not match makes <c>Verified</c> false (the original shows ☒).
    /// </summary>
    public static SeedAesDecoded Decode(ReadOnlySpan<byte> json)
    {
        // JsonDocument parses memory, not a span: a pinned copy, zeroed however parsing ends.
        byte[] copy = GC.AllocateArray<byte>(json.Length, pinned: true);
        json.CopyTo(copy);
        try
        {
            using JsonDocument document = JsonDocument.Parse(copy.AsMemory(), new JsonDocumentOptions { MaxDepth = 4 });
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("message", out JsonElement message) || message.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("timestamp", out JsonElement timestamp) || timestamp.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("hash", out JsonElement hash) || hash.ValueKind != JsonValueKind.String)
            {
                throw new InvalidDataException("a seed-aes message must be a JSON object with the strings timestamp, message and hash");
            }

            string text = message.GetString()!;
            bool verified = string.Equals(hash.GetString(), HashHex(text), StringComparison.Ordinal);
            return new SeedAesDecoded(text, timestamp.GetString()!, verified);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("not a seed-aes JSON message", e);
        }
        catch (InvalidOperationException e)
        {
            // GetString() refuses escapes that are not valid UTF-16, such as a lone "\ud800".
            throw new InvalidDataException("a seed-aes message whose text is not valid Unicode", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(copy);
        }
    }
}

/// <summary>A decoded seed-aes message.</summary>
internal sealed record SeedAesDecoded(string Text, string Timestamp, bool Verified);
