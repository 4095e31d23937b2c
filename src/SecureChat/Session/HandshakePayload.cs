using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureChat.Session;

/// <summary>
/// The JSON object that messages 2 and 3 carry after their fixed fields (docs/PROTOCOL.md §3), e.g.
/// {"software":"securechat/0.2.0"}. Strict, because it is hostile input: exactly one UTF-8 JSON
/// object, at most 1 KiB, no duplicate keys at any level, nesting depth at most 2. Unknown fields are
/// ignored by the readers.
/// </summary>
internal static class HandshakePayload
{
    /// <summary>The largest payload object, in UTF-8 bytes.</summary>
    public const int MaxBytes = 1024;

    /// <summary>The deepest nesting: the object itself is depth 1, an object or array inside it depth 2.</summary>
    public const int MaxDepth = 2;

    /// <summary>"securechat/VERSION", the software field this side sends.</summary>
    public static string SoftwareName { get; } =
        "securechat/" + (typeof(HandshakePayload).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    /// <summary>Serialises this side's payload ({"software":…} when none is given).</summary>
    /// <exception cref="ArgumentException">The object is larger than 1 KiB.</exception>
    public static byte[] Encode(JsonObject? payload)
    {
        JsonObject value = payload ?? new JsonObject { ["software"] = SoftwareName };
        byte[] bytes = Encoding.UTF8.GetBytes(value.ToJsonString());
        if (bytes.Length > MaxBytes)
        {
            throw new ArgumentException($"The handshake payload is larger than {MaxBytes} bytes.", nameof(payload));
        }

        return bytes;
    }

    /// <summary>Parses and checks the peer's payload.</summary>
    /// <exception cref="ProtocolViolationException">It breaks one of the rules above.</exception>
    public static JsonElement Decode(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxBytes)
        {
            throw new ProtocolViolationException($"The peer's handshake payload is {utf8.Length} bytes; at most {MaxBytes} are allowed.");
        }

        // Checked first: the JSON reader validates only what it unescapes, so invalid UTF-8 inside a
        // string would otherwise get through (and a key with it would throw InvalidOperationException).
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            throw new ProtocolViolationException("The peer's handshake payload is not valid UTF-8.");
        }

        try
        {
            CheckStructure(utf8);
            using JsonDocument document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth + 1 });
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ProtocolViolationException("The peer's handshake payload is not valid JSON.", e);
        }
        catch (InvalidOperationException e)
        {
            // A string or key that does not unescape to valid Unicode (a lone surrogate escape).
            throw new ProtocolViolationException("The peer's handshake payload holds a string that is not valid Unicode.", e);
        }
    }

    /// <summary>One object at the top, depth ≤ 2, no key twice in the same object, every string valid Unicode (the reader rejects trailing data).</summary>
    private static void CheckStructure(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        var keys = new Stack<HashSet<string>?>();
        bool first = true;
        while (reader.Read())
        {
            if (first && reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ProtocolViolationException("The peer's handshake payload is not a JSON object.");
            }

            first = false;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    if (reader.CurrentDepth >= MaxDepth)
                    {
                        throw new ProtocolViolationException($"The peer's handshake payload nests deeper than {MaxDepth} levels.");
                    }

                    keys.Push(reader.TokenType == JsonTokenType.StartObject ? new HashSet<string>(StringComparer.Ordinal) : null);
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    keys.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    if (keys.Peek() is { } seen && !seen.Add(reader.GetString()!))
                    {
                        throw new ProtocolViolationException("The peer's handshake payload names the same key twice.");
                    }

                    break;
                case JsonTokenType.String:
                    // Unescaped once here, so that no reader of the payload meets an invalid string later.
                    _ = reader.GetString();
                    break;
            }
        }

        if (first)
        {
            throw new ProtocolViolationException("The peer's handshake payload is empty.");
        }
    }
}
