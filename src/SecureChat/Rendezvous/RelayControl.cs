using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SecureChat.Framing;

namespace SecureChat.Rendezvous;

/// <summary>
/// The relay's control frames (docs/RELAY.md): the v2 framing (u16 length ‖ kind ‖ payload) with
/// kind 0x10 and one UTF-8 JSON object as payload; a frame whose N is over 1,025 bytes is a
/// bad request. Pure functions, no I/O; parsing never throws anything but <see cref="FormatException"/>.
/// </summary>
public static partial class RelayControl
{
    /// <summary>The frame kind of a relay control frame.</summary>
    public const byte Kind = 0x10;

    /// <summary>The largest N (kind byte and JSON) of a control frame.</summary>
    public const int MaxBodyLength = 1025;

    /// <summary>The largest JSON payload.</summary>
    public const int MaxJsonLength = MaxBodyLength - 1;

    /// <summary>The seconds a waiting nameplate lives by default.</summary>
    public const int DefaultExpiresInSeconds = 600;

    /// <summary>True for a nameplate as the protocol allows it: 1 to 6 ASCII digits, no leading zero.</summary>
    public static bool IsValidNameplate(string? nameplate) => nameplate is not null && NameplatePattern().IsMatch(nameplate);

    /// <summary>The whole frame (length, kind 0x10, JSON) for <paramref name="message"/>.</summary>
    /// <exception cref="ArgumentException">The message is invalid (a bad nameplate) or too long.</exception>
    public static byte[] Encode(RelayMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        byte[] json = message switch
        {
            RelayAllocate => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["op"] = "allocate" }),
            RelayClaim c when IsValidNameplate(c.Nameplate) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["op"] = "claim", ["nameplate"] = c.Nameplate }),
            RelayAllocated a when IsValidNameplate(a.Nameplate) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["status"] = "allocated", ["nameplate"] = a.Nameplate, ["expires_in"] = a.ExpiresInSeconds }),
            RelayPaired => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["status"] = "paired" }),
            RelayError e => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["status"] = "error", ["code"] = e.Code, ["message"] = e.Message }),
            RelayRedirect r => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["status"] = "redirect", ["address"] = r.Address }),
            _ => throw new ArgumentException("Not a valid relay message (a nameplate is 1-6 digits without a leading zero).", nameof(message)),
        };
        if (json.Length > MaxJsonLength)
        {
            throw new ArgumentException($"A relay control frame holds at most {MaxJsonLength} bytes of JSON.", nameof(message));
        }

        byte[] frame = new byte[Frame.LengthSize + 1 + json.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)(json.Length + 1));
        frame[Frame.LengthSize] = Kind;
        json.CopyTo(frame, Frame.LengthSize + 1);
        return frame;
    }

    /// <summary>
    /// Parses a frame body (N bytes: kind ‖ JSON). Requests and answers alike; unknown fields are
    /// ignored, unknown ops or statuses are errors.
    /// </summary>
    /// <exception cref="FormatException">Not a control frame, too long, not one JSON object, or not a known message.</exception>
    public static RelayMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty || body[0] != Kind)
        {
            throw new FormatException("Not a relay control frame (kind 0x10).");
        }

        if (body.Length > MaxBodyLength)
        {
            throw new FormatException($"A relay control frame is at most {MaxBodyLength} bytes.");
        }

        try
        {
            var reader = new Utf8JsonReader(body[1..], new JsonReaderOptions { MaxDepth = 2 });
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            if (reader.Read())
            {
                throw new FormatException("Data after the JSON object.");
            }

            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("The control frame is not a JSON object.");
            }

            if (String(root, "op") is { } op)
            {
                return op switch
                {
                    "allocate" => new RelayAllocate(),
                    "claim" when String(root, "nameplate") is { } n && IsValidNameplate(n) => new RelayClaim(n),
                    "claim" => throw new FormatException("A claim needs a nameplate of 1-6 digits without a leading zero."),
                    _ => throw new FormatException("Unknown op."),
                };
            }

            return String(root, "status") switch
            {
                "allocated" when String(root, "nameplate") is { } n && IsValidNameplate(n)
                    && root.TryGetProperty("expires_in", out JsonElement e) && e.TryGetInt32(out int seconds) && seconds > 0
                    => new RelayAllocated(n, seconds),
                "paired" => new RelayPaired(),
                "error" when String(root, "code") is { } code => new RelayError(code, String(root, "message") ?? ""),
                "redirect" when String(root, "address") is { } address => new RelayRedirect(address),
                _ => throw new FormatException("Unknown or incomplete relay message."),
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or DecoderFallbackException)
        {
            throw new FormatException("The control frame is not valid UTF-8 JSON.", e);
        }
    }

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    [GeneratedRegex("^[1-9][0-9]{0,5}$", RegexOptions.CultureInvariant)]
    private static partial Regex NameplatePattern();
}
