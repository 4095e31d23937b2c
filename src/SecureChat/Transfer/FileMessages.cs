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

    /// <summary>The length of a SHA-256 in hexadecimal.</summary>
    public const int Sha256HexLength = 64;

    /// <summary>A body is one object of fields; unknown fields may nest a little, nothing more.</summary>
    private const int MaxDepth = 4;

    private const string Offer = "FILE_OFFER";
    private const string Accept = "FILE_ACCEPT";
    private const string Reject = "FILE_REJECT";
    private const string End = "FILE_END";
    private const string Cancel = "FILE_CANCEL";
    private const string Data = "FILE_DATA";

    private static readonly string IdRange = $"an integer from 1 to {uint.MaxValue}";
    private static readonly string SizeRange = $"an integer from 0 to {MaxSize}";
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Encodes a FILE_OFFER body; the hash is written in lower case.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="offer"/> or one of its strings is null.</exception>
    /// <exception cref="ArgumentException">A field is out of the range <see cref="ParseOffer"/> accepts, or the body would exceed <see cref="MaxJsonBytes"/>.</exception>
    public static byte[] Encode(FileOffer offer)
    {
        ArgumentNullException.ThrowIfNull(offer);
        ArgumentNullException.ThrowIfNull(offer.Name, nameof(offer));
        ArgumentNullException.ThrowIfNull(offer.Sha256Hex, nameof(offer));
        CheckId(offer.Id, nameof(offer));
        CheckSize(offer.Size, nameof(offer));
        if (offer.Name.Length == 0 || Encoding.UTF8.GetByteCount(offer.Name) > MaxNameBytes)
        {
            throw new ArgumentException($"The name must be 1 to {MaxNameBytes} bytes of UTF-8.", nameof(offer));
        }

        if (!IsSha256Hex(offer.Sha256Hex))
        {
            throw new ArgumentException($"The SHA-256 must be {Sha256HexLength} hexadecimal digits.", nameof(offer));
        }

        return Write(nameof(offer), w =>
        {
            w.WriteNumber("id", offer.Id);
            w.WriteString("name", offer.Name);
            w.WriteNumber("size", offer.Size);
            w.WriteString("sha256", offer.Sha256Hex.ToLowerInvariant());
        });
    }

    /// <summary>Encodes a FILE_ACCEPT body.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="accept"/> is null.</exception>
    /// <exception cref="ArgumentException">The id is 0 or the offset is outside 0 … <see cref="MaxSize"/>.</exception>
    public static byte[] Encode(FileAccept accept)
    {
        ArgumentNullException.ThrowIfNull(accept);
        CheckId(accept.Id, nameof(accept));
        CheckSize(accept.Offset, nameof(accept));
        return Write(nameof(accept), w =>
        {
            w.WriteNumber("id", accept.Id);
            w.WriteNumber("offset", accept.Offset);
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

    /// <summary>Encodes a FILE_END body.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="end"/> is null.</exception>
    /// <exception cref="ArgumentException">The id is 0.</exception>
    public static byte[] Encode(FileEnd end)
    {
        ArgumentNullException.ThrowIfNull(end);
        CheckId(end.Id, nameof(end));
        return Write(nameof(end), w => w.WriteNumber("id", end.Id));
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
        string sha256 = String(root, Offer, "sha256");
        if (!IsSha256Hex(sha256))
        {
            throw Invalid(Offer, $"\"sha256\" must be {Sha256HexLength} hexadecimal digits");
        }

        return new FileOffer(id, name, size, sha256.ToLowerInvariant());
    }

    /// <summary>Parses a FILE_ACCEPT body.</summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_ACCEPT.</exception>
    public static FileAccept ParseAccept(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, Accept);
        JsonElement root = document.RootElement;
        return new FileAccept(Id(root, Accept), Size(root, Accept, "offset"));
    }

    /// <summary>Parses a FILE_REJECT body; a reason longer than <see cref="MaxReasonChars"/> is cut.</summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_REJECT.</exception>
    public static FileReject ParseReject(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, Reject);
        JsonElement root = document.RootElement;
        return new FileReject(Id(root, Reject), Cut(String(root, Reject, "reason")));
    }

    /// <summary>Parses a FILE_END body.</summary>
    /// <exception cref="InvalidDataException">The body is not a valid FILE_END.</exception>
    public static FileEnd ParseEnd(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, End);
        return new FileEnd(Id(document.RootElement, End));
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
