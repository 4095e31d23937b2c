using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureChat.Session;

/// <summary>
/// The JSON objects carried by handshake messages 2 and 3 (docs/PROTOCOL.md §3): always present,
/// unknown fields ignored. The peer's is parsed with a depth limit and must be an object.
/// </summary>
internal static class HandshakePayload
{
    /// <summary>The largest payload accepted or sent (it must fit in one Noise message).</summary>
    public const int MaxBytes = 16 * 1024;

    public static string SoftwareName { get; } =
        "securechat/" + (typeof(HandshakePayload).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

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

    /// <exception cref="ProtocolViolationException">Not a JSON object in UTF-8.</exception>
    public static JsonElement Decode(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxBytes)
        {
            throw new ProtocolViolationException("The peer's handshake payload is too large.");
        }

        try
        {
            using JsonDocument document = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ProtocolViolationException("The peer's handshake payload is not a JSON object.");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ProtocolViolationException("The peer's handshake payload is not valid JSON.", e);
        }
    }
}
