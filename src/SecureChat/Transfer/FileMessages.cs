using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace SecureChat.Transfer;

/// <summary>
/// The bodies of the file-transfer messages (docs/PROTOCOL.md §4.1), after the message-type byte:
/// pure, synchronous encoders and validating parsers, no I/O.
/// </summary>
/// <remarks>
/// <para>
/// The control messages are UTF-8 JSON objects of at most <see cref="MaxJsonBytes"/> bytes; FILE_DATA
/// is a 4-byte big-endian id followed by the file bytes. Everything parsed comes from the peer, so
/// the length is checked before the JSON is read, nesting is limited, duplicate fields are refused,
/// and each field's type and range is checked. Unknown fields are ignored, so later versions can add some.
/// </para>
/// <para>
/// Every parse failure is an <see cref="InvalidDataException"/> whose message names the message and
/// the field. Messages never quote the peer's text or property names: they end up on a terminal and
/// in logs, and the peer chose them.
/// </para>
/// </remarks>
internal static class FileMessages
{
    /// <summary>FILE_DATA starts with the transfer id, 4 bytes big-endian.</summary>
    public const int DataHeaderSize = 4;

    /// <summary>The longest JSON body accepted (and produced).</summary>
    public const int MaxJsonBytes = 8192;

    /// <summary>The longest offered name accepted, in UTF-8 bytes (it is reduced to a safe file name later).</summary>
    public const int MaxNameBytes = 4096;

    /// <summary>Reasons longer than this, in UTF-16 characters, are cut, never refused.</summary>
    public const int MaxReasonChars = 1024;

    /// <summary>Sizes and offsets are integers that a JSON number carries exactly everywhere: 0 … 2^53 − 1.</summary>
    public const long MaxSize = (1L << 53) - 1;

    /// <summary>The length of a SHA-256 in hexadecimal (and of FILE_ACCEPT's 32-byte challenge and HMAC-SHA256).</summary>
    public const int Sha256HexLength = 64;

    /// <summary>A body is one object of fields; unknown fields may nest a little, nothing more.</summary>
    private const int MaxDepth = 4;

    private const string Offer = "FILE_OFFER";
    private const string Accept = "FILE_ACCEPT";
    private const string Reject = "FILE_REJECT";
    private const string End = "FILE_END";
    private const string Cancel = "FILE_CANCEL";
    private const string Restart = "FILE_RESTART";
    private const string Data = "FILE_DATA";

    private static readonly string IdRange = $"an integer from 1 to {uint.MaxValue}";
    private static readonly string SizeRange = $"an integer from 0 to {MaxSize}";
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Encodes a FILE_OFFER body; the hash is written in lower case, or as null when the sender hashes while it sends.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="offer"/> or its name is null.</exception>
    /// <exception cref="ArgumentException">A field is out of the range <see cref="ParseOffer"/> accepts, or the body would exceed <see cref="MaxJsonBytes"/>.</exception>
    public static byte[] Encode(FileOffer offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentNullException.ThrowIfNull(offer.Name, nameof(offer));
        CheckId(offer.Id, nameof(offer));
        CheckSize(offer.Size, nameof(offer));
        if (offer.Name.Length == 0 || Encoding.UTF8.GetByteCount(offer.Name) > MaxNameBytes)
        {
            throw new ArgumentException($"The name must be 1 to {MaxNameBytes} bytes of UTF-8.", nameof(offer));
        }

        CheckHash(offer.Sha256Hex, nameof(offer));
        return Write(nameof(offer), w =>
        {
            w.WriteNumber("id", offer.Id);
            w.WriteString("name", offer.Name);
            w.WriteNumber("size", offer.Size);
            WriteHash(w, "sha256", offer.Sha256Hex);
        });
    }

    /// <summary>Encodes a FILE_ACCEPT body: the challenge and the prefix MAC are present exactly when the offset is more than 0.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="accept"/> is null.</exception>
    /// <exception cref="ArgumentException">The id is 0, the offset is outside 0 … <see cref="MaxSize"/>, or the challenge or the prefix MAC is missing, superfluous or not 64 hexadecimal digits.</exception>
    public static byte[] Encode(FileAccept accept)
    {
        ArgumentNullException.ThrowIfNull(accept);
        CheckId(accept.Id, nameof(accept));
        CheckSize(accept.Offset, nameof(accept));
        CheckHash(accept.ChallengeHex, nameof(accept));
        CheckHash(accept.PrefixMacHex, nameof(accept));
        if ((accept.Offset > 0) != (accept.ChallengeHex is not null) || (accept.Offset > 0) != (accept.PrefixMacHex is not null))
        {
            throw new ArgumentException("A resumed accept (offset > 0) carries the challenge and the MAC of the prefix, and only it does.", nameof(accept));
        }

        return Write(nameof(accept), w =>
        {
            w.WriteNumber("id", accept.Id);
            w.WriteNumber("offset", accept.Offset);
            if (accept.Offset > 0)
            {
                WriteHash(w, "challenge", accept.ChallengeHex);
                WriteHash(w, "prefix_mac", accept.PrefixMacHex);
            }
        });
    }

    /// <summary>Encodes a FILE_REJECT body; a reason longer than <see cref="MaxReasonChars"/> is cut.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="reject"/> or its reason is null.</exception>
    /// <exception cref="ArgumentException">The id is 0.</exception>
    public static byte[] Encode(FileReject reject)
    {
        ArgumentNullException.ThrowIfNull(reject);
        ArgumentNullException.ThrowIfNull(reject.Reason, nameof(reject));
        CheckId(reject.Id, nameof(reject));
        return Write(nameof(reject), w =>
        {
            w.WriteNumber("id", reject.Id);
            w.WriteString("reason", Cut(reject.Reason));
        });
    }

    /// <summary>Encodes a FILE_END body: the sender's carries the SHA-256 of the whole file, the receiver's none.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="end"/> is null.</exception>
    /// <exception cref="ArgumentException">The id is 0, or the hash is not 64 hexadecimal digits.</exception>
    public static byte[] Encode(FileEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        CheckId(end.Id, nameof(end));
        CheckHash(end.Sha256Hex, nameof(end));
        return Write(nameof(end), w =>
        {
            w.WriteNumber("id", end.Id);
            if (end.Sha256Hex is not null)
            {
                WriteHash(w, "sha256", end.Sha256Hex);
            }
        });
    }

    /// <summary>Encodes a FILE_RESTART body.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="restart"/> is null.</exception>
    /// <exception cref="ArgumentException">The id is 0.</exception>
    public static byte[] Encode(FileRestart restart)
    {
        ArgumentNullException.ThrowIfNull(restart);
        CheckId(restart.Id, nameof(restart));
        return Write(nameof(restart), w => w.WriteNumber("id", restart.Id));
    }

    /// <summary>Encodes a FILE_CANCEL body; a reason longer than <see cref="MaxReasonChars"/> is cut.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="cancel"/> or its reason is null.</exception>
    /// <exception cref="ArgumentException">The id is 0.</exception>
    public static byte[] Encode(FileCancel cancel)
    {
        ArgumentNullException.ThrowIfNull(cancel);
        ArgumentNullException.ThrowIfNull(cancel.Reason, nameof(cancel));
        CheckId(cancel.Id, nameof(cancel));
        return Write(nameof(cancel), w =>
        {
            w.WriteNumber("id", cancel.Id);
            w.WriteString("reason", Cut(cancel.Reason));
        });
    }

    /// <summary>Parses a FILE_OFFER body. The hash comes back in lower case; the name is returned as sent.</summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_OFFER.</exception>
    public static FileOffer ParseOffer(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, Offer);
        JsonElement root = document.RootElement;
        uint id = Id(root, Offer);
        string name = String(root, Offer, "name");
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) > MaxNameBytes)
        {
            throw Invalid(Offer, $"\"name\" must be 1 to {MaxNameBytes} bytes of UTF-8");
        }

        long size = Size(root, Offer, "size");
        if (!root.TryGetProperty("sha256", out _))
        {
            throw Invalid(Offer, "\"sha256\" is missing (null when the hash comes with FILE_END)");
        }

        return new FileOffer(id, name, size, OptionalHash(root, Offer, "sha256"));
    }

    /// <summary>
    /// Parses a FILE_ACCEPT body: an offset above 0 must carry "challenge" and "prefix_mac" (64
    /// hexadecimal digits each), an offset of 0 neither.
    /// </summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_ACCEPT.</exception>
    public static FileAccept ParseAccept(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, Accept);
        JsonElement root = document.RootElement;
        uint id = Id(root, Accept);
        long offset = Size(root, Accept, "offset");
        string? challenge = OptionalHash(root, Accept, "challenge");
        string? mac = OptionalHash(root, Accept, "prefix_mac");
        if (offset > 0 && (challenge is null || mac is null))
        {
            throw Invalid(Accept, "an offset above 0 needs \"challenge\" and \"prefix_mac\", the HMAC-SHA256 of the bytes before it");
        }

        if (offset == 0 && (challenge is not null || mac is not null))
        {
            throw Invalid(Accept, "an offset of 0 has no \"challenge\" or \"prefix_mac\"");
        }

        return new FileAccept(id, offset, challenge, mac);
    }

    /// <summary>Parses a FILE_REJECT body; a reason longer than <see cref="MaxReasonChars"/> is cut.</summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_REJECT.</exception>
    public static FileReject ParseReject(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, Reject);
        JsonElement root = document.RootElement;
        return new FileReject(Id(root, Reject), Cut(String(root, Reject, "reason")));
    }

    /// <summary>Parses a FILE_END body; "sha256", when present and not null, is 64 hexadecimal digits (returned in lower case).</summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_END.</exception>
    public static FileEnd ParseEnd(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, End);
        JsonElement root = document.RootElement;
        return new FileEnd(Id(root, End), OptionalHash(root, End, "sha256"));
    }

    /// <summary>Parses a FILE_RESTART body.</summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_RESTART.</exception>
    public static FileRestart ParseRestart(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, Restart);
        return new FileRestart(Id(document.RootElement, Restart));
    }

    /// <summary>Parses a FILE_CANCEL body; a reason longer than <see cref="MaxReasonChars"/> is cut.</summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_CANCEL.</exception>
    public static FileCancel ParseCancel(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, Cancel);
        JsonElement root = document.RootElement;
        return new FileCancel(Id(root, Cancel), Cut(String(root, Cancel, "reason")));
    }

    /// <summary>The id of a FILE_DATA body; the file bytes are <c>body[DataHeaderSize..]</c> (possibly empty).</summary>
    /// <exception cref="InvalidDataException">The body is shorter than the id, or the id is 0.</exception>
    public static uint ParseDataId(ReadOnlySpan<byte> body)
    {
        if (body.Length < DataHeaderSize)
        {
            throw Invalid(Data, $"the body is {body.Length} bytes, shorter than its {DataHeaderSize}-byte id");
        }

        uint id = BinaryPrimitives.ReadUInt32BigEndian(body);
        return id != 0 ? id : throw Invalid(Data, $"the id must be {IdRange}");
    }

    /// <summary>Writes the 4-byte big-endian id that starts a FILE_DATA body.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="DataHeaderSize"/>, or the id is 0.</exception>
    public static void WriteDataHeader(Span<byte> destination, uint id)
    {
        CheckId(id, nameof(id));
        if (destination.Length < DataHeaderSize)
        {
            throw new ArgumentException($"The destination must hold at least {DataHeaderSize} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, id);
    }

    /// <summary>Reads the body as one JSON object with no repeated field; the caller disposes the document.</summary>
    private static JsonDocument Parse(ReadOnlySpan<byte> json, string message)
    {
        // Before anything is allocated or read.
        if (json.Length > MaxJsonBytes)
        {
            throw Invalid(message, $"the body is {json.Length} bytes; at most {MaxJsonBytes} are accepted");
        }

        JsonDocument document;
        try
        {
            // Strict by default: no comments, no trailing commas, nothing after the value.
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException)
        {
            // The exception's message may quote the body; it is not passed on.
            throw Invalid(message, $"the body is not JSON, or nests deeper than {MaxDepth} levels");
        }

        try
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(message, "the body is not a JSON object");
            }

            // Two parsers could each pick a different one of two "id"s; refuse rather than guess.
            // Names are compared unescaped, so "id" and "\u0069d" are the same field.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                string name;
                try
                {
                    name = property.Name;
                }
                catch (InvalidOperationException)
                {
                    throw Invalid(message, "a field name is not valid Unicode");
                }

                if (!seen.Add(name))
                {
                    throw Invalid(message, "a field appears more than once");
                }
            }

            return document;
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static JsonElement Field(JsonElement root, string message, string name, JsonValueKind kind, string expected)
    {
        if (!root.TryGetProperty(name, out JsonElement value))
        {
            throw Invalid(message, $"\"{name}\" is missing");
        }

        return value.ValueKind == kind ? value : throw Invalid(message, $"\"{name}\" must be {expected}");
    }

    private static uint Id(JsonElement root, string message)
    {
        JsonElement value = Field(root, message, "id", JsonValueKind.Number, IdRange);
        return IsInteger(value) && value.TryGetUInt32(out uint id) && id != 0
            ? id
            : throw Invalid(message, $"\"id\" must be {IdRange}");
    }

    private static long Size(JsonElement root, string message, string name)
    {
        JsonElement value = Field(root, message, name, JsonValueKind.Number, SizeRange);
        return IsInteger(value) && value.TryGetInt64(out long size) && size is >= 0 and <= MaxSize
            ? size
            : throw Invalid(message, $"\"{name}\" must be {SizeRange}");
    }

    private static string String(JsonElement root, string message, string name)
    {
        JsonElement value = Field(root, message, name, JsonValueKind.String, "a string");
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8, or an escaped lone surrogate such as "\ud800".
            throw Invalid(message, $"\"{name}\" is not valid Unicode");
        }
    }

    /// <summary>
    /// No fraction and no exponent: "5", not "5.0" or "5e0". TryGetInt64 alone would accept "5e0"; a
    /// number must mean the same to every peer, whatever its JSON library does with non-integers.
    /// </summary>
    private static bool IsInteger(JsonElement number)
    {
        string raw = number.GetRawText();
        return raw.AsSpan().IndexOfAny('.', 'e', 'E') < 0;
    }

    private static bool IsSha256Hex(string text) =>
        text.Length == Sha256HexLength && !text.AsSpan().ContainsAnyExcept(HexDigits);

    /// <summary>A hash field that may be absent or null (returned as null), else 64 hexadecimal digits (returned in lower case).</summary>
    private static string? OptionalHash(JsonElement root, string message, string name)
    {
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        string? text = null;
        if (value.ValueKind == JsonValueKind.String)
        {
            try
            {
                text = value.GetString();
            }
            catch (InvalidOperationException)
            {
                // Invalid UTF-8, or an escaped lone surrogate: not hexadecimal either.
            }
        }

        return text is not null && IsSha256Hex(text)
            ? text.ToLowerInvariant()
            : throw Invalid(message, $"\"{name}\" must be null or {Sha256HexLength} hexadecimal digits");
    }

    private static void CheckHash(string? hex, string parameterName)
    {
        if (hex is not null && !IsSha256Hex(hex))
        {
            throw new ArgumentException($"A SHA-256 must be {Sha256HexLength} hexadecimal digits.", parameterName);
        }
    }

    private static void WriteHash(Utf8JsonWriter writer, string name, string? hex)
    {
        if (hex is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, hex.ToLowerInvariant());
        }
    }

    /// <summary>At most <see cref="MaxReasonChars"/> characters, never ending in half a surrogate pair.</summary>
    private static string Cut(string reason)
    {
        if (reason.Length <= MaxReasonChars)
        {
            return reason;
        }

        int length = char.IsHighSurrogate(reason[MaxReasonChars - 1]) ? MaxReasonChars - 1 : MaxReasonChars;
        return reason[..length];
    }

    private static void CheckId(uint id, string parameterName)
    {
        if (id == 0)
        {
            throw new ArgumentOutOfRangeException(parameterName, $"A transfer id must be {IdRange}.");
        }
    }

    private static void CheckSize(long size, string parameterName)
    {
        if (size is < 0 or > MaxSize)
        {
            throw new ArgumentOutOfRangeException(parameterName, $"Sizes and offsets must be {SizeRange}.");
        }
    }

    private static InvalidDataException Invalid(string message, string problem) => new($"{message}: {problem}");

    /// <summary>One JSON object; the peer refuses bodies over <see cref="MaxJsonBytes"/>, so we never send one.</summary>
    private static byte[] Write(string parameterName, Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }

        // Only a name can get this long: the default encoder writes non-ASCII as \uXXXX escapes, up to
        // 6 bytes per character, so a name within MaxNameBytes may still not fit.
        return buffer.Length <= MaxJsonBytes
            ? buffer.ToArray()
            : throw new ArgumentException($"The encoded body would be {buffer.Length} bytes; at most {MaxJsonBytes} are allowed.", parameterName);
    }
}
