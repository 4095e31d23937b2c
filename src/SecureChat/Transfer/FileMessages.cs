using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace SecureChat.Transfer;

/// <summary>FILE_OFFER (docs/PROTOCOL.md §4.1): the sender's id, a suggested name, the size and the SHA-256 (lower-case hex) of the whole file.</summary>
internal sealed record FileOffer(uint Id, string Name, long Size, string Sha256Hex);

/// <summary>FILE_ACCEPT: send from <paramref name="Offset"/> on.</summary>
internal sealed record FileAccept(uint Id, long Offset);

/// <summary>FILE_REJECT.</summary>
internal sealed record FileReject(uint Id, string Reason);

/// <summary>FILE_END: from the sender, all data sent; from the receiver, the file arrived and matched.</summary>
internal sealed record FileEnd(uint Id);

/// <summary>FILE_CANCEL: either side stops the transfer.</summary>
internal sealed record FileCancel(uint Id, string Reason);

/// <summary>
/// The bodies of the file-transfer messages: pure encoders and validating parsers. Everything
/// parsed comes from the peer: each field's type and range is checked, and every failure is an
/// <see cref="InvalidDataException"/> whose message names the message and the field (never the
/// peer's text).
/// </summary>
internal static class FileMessages
{
    /// <summary>FILE_DATA starts with the transfer id, 4 bytes big-endian.</summary>
    public const int DataHeaderSize = 4;

    /// <summary>The longest JSON body accepted.</summary>
    public const int MaxJsonBytes = 8192;

    /// <summary>The longest name accepted (it is reduced to a safe file name later).</summary>
    public const int MaxNameBytes = 4096;

    /// <summary>Reasons longer than this are cut.</summary>
    public const int MaxReasonChars = 1024;

    /// <summary>Sizes and offsets are integers JSON numbers carry exactly: 0 … 2^53 − 1.</summary>
    public const long MaxSize = (1L << 53) - 1;

    public static byte[] Encode(FileOffer offer) => Write(w =>
    {
        w.WriteNumber("id", offer.Id);
        w.WriteString("name", offer.Name);
        w.WriteNumber("size", offer.Size);
        w.WriteString("sha256", offer.Sha256Hex);
    });

    public static byte[] Encode(FileAccept accept) => Write(w =>
    {
        w.WriteNumber("id", accept.Id);
        w.WriteNumber("offset", accept.Offset);
    });

    public static byte[] Encode(FileReject reject) => Write(w =>
    {
        w.WriteNumber("id", reject.Id);
        w.WriteString("reason", Cut(reject.Reason));
    });

    public static byte[] Encode(FileEnd end) => Write(w => w.WriteNumber("id", end.Id));

    public static byte[] Encode(FileCancel cancel) => Write(w =>
    {
        w.WriteNumber("id", cancel.Id);
        w.WriteString("reason", Cut(cancel.Reason));
    });

    /// <exception cref="InvalidDataException">The body is not a valid FILE_OFFER.</exception>
    public static FileOffer ParseOffer(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, "FILE_OFFER");
        JsonElement root = document.RootElement;
        string name = String(root, "FILE_OFFER", "name");
        int nameBytes = Encoding.UTF8.GetByteCount(name);
        if (nameBytes == 0 || nameBytes > MaxNameBytes)
        {
            throw new InvalidDataException($"FILE_OFFER: \"name\" must be 1 to {MaxNameBytes} bytes of UTF-8");
        }

        string sha = String(root, "FILE_OFFER", "sha256");
        if (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit))
        {
            throw new InvalidDataException("FILE_OFFER: \"sha256\" must be 64 hexadecimal digits");
        }

        return new FileOffer(Id(root, "FILE_OFFER"), name, Size(root, "FILE_OFFER", "size"), sha.ToLowerInvariant());
    }

    /// <exception cref="InvalidDataException">The body is not a valid FILE_ACCEPT.</exception>
    public static FileAccept ParseAccept(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, "FILE_ACCEPT");
        return new FileAccept(Id(document.RootElement, "FILE_ACCEPT"), Size(document.RootElement, "FILE_ACCEPT", "offset"));
    }

    /// <exception cref="InvalidDataException">The body is not a valid FILE_REJECT.</exception>
    public static FileReject ParseReject(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, "FILE_REJECT");
        return new FileReject(Id(document.RootElement, "FILE_REJECT"), Cut(String(document.RootElement, "FILE_REJECT", "reason")));
    }

    /// <exception cref="InvalidDataException">The body is not a valid FILE_END.</exception>
    public static FileEnd ParseEnd(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, "FILE_END");
        return new FileEnd(Id(document.RootElement, "FILE_END"));
    }

    /// <exception cref="InvalidDataException">The body is not a valid FILE_CANCEL.</exception>
    public static FileCancel ParseCancel(ReadOnlySpan<byte> json)
    {
        using JsonDocument document = Parse(json, "FILE_CANCEL");
        return new FileCancel(Id(document.RootElement, "FILE_CANCEL"), Cut(String(document.RootElement, "FILE_CANCEL", "reason")));
    }

    /// <summary>The id of a FILE_DATA body; the file bytes are <c>body[DataHeaderSize..]</c>.</summary>
    /// <exception cref="InvalidDataException">The body is shorter than the id, or the id is 0.</exception>
    public static uint ParseDataId(ReadOnlySpan<byte> body)
    {
        if (body.Length < DataHeaderSize)
        {
            throw new InvalidDataException($"FILE_DATA: the body is {body.Length} bytes, shorter than its {DataHeaderSize}-byte id");
        }

        uint id = BinaryPrimitives.ReadUInt32BigEndian(body);
        return id != 0 ? id : throw new InvalidDataException("FILE_DATA: the id must be from 1 to 4294967295");
    }

    /// <summary>Writes the 4-byte big-endian id that starts a FILE_DATA body.</summary>
    public static void WriteDataHeader(Span<byte> destination, uint id) => BinaryPrimitives.WriteUInt32BigEndian(destination, id);

    private static JsonDocument Parse(ReadOnlySpan<byte> json, string message)
    {
        if (json.Length > MaxJsonBytes)
        {
            throw new InvalidDataException($"{message}: the body is {json.Length} bytes; at most {MaxJsonBytes} are accepted");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 4 });
        }
        catch (JsonException)
        {
            throw new InvalidDataException($"{message}: the body is not JSON");
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw new InvalidDataException($"{message}: the body is not a JSON object");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in document.RootElement.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                document.Dispose();
                throw new InvalidDataException($"{message}: a field appears twice");
            }
        }

        return document;
    }

    private static JsonElement Field(JsonElement root, string message, string name, JsonValueKind kind, string what)
    {
        if (!root.TryGetProperty(name, out JsonElement value))
        {
            throw new InvalidDataException($"{message}: \"{name}\" is missing");
        }

        return value.ValueKind == kind ? value : throw new InvalidDataException($"{message}: \"{name}\" must be {what}");
    }

    private static uint Id(JsonElement root, string message)
    {
        JsonElement value = Field(root, message, "id", JsonValueKind.Number, "a number");
        return IsInteger(value) && value.TryGetUInt32(out uint id) && id != 0
            ? id
            : throw new InvalidDataException($"{message}: \"id\" must be an integer from 1 to 4294967295");
    }

    private static long Size(JsonElement root, string message, string name)
    {
        JsonElement value = Field(root, message, name, JsonValueKind.Number, "a number");
        return IsInteger(value) && value.TryGetInt64(out long size) && size is >= 0 and <= MaxSize
            ? size
            : throw new InvalidDataException($"{message}: \"{name}\" must be an integer from 0 to {MaxSize}");
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
            throw new InvalidDataException($"{message}: \"{name}\" is not valid Unicode");
        }
    }

    /// <summary>No fraction and no exponent: "5", not "5.0" or "5e0".</summary>
    private static bool IsInteger(JsonElement number)
    {
        string raw = number.GetRawText();
        return !raw.Contains('.', StringComparison.Ordinal) && !raw.Contains('e', StringComparison.OrdinalIgnoreCase);
    }

    private static string Cut(string reason) => reason.Length <= MaxReasonChars ? reason : reason[..MaxReasonChars];

    private static byte[] Write(Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            fields(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
