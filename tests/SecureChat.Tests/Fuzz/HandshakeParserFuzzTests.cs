using System.Text;
using System.Text.Json;
using SecureChat.Framing;
using SecureChat.Session;

namespace SecureChat.Tests.Fuzz;

/// <summary>
/// The v2 parsers that read unauthenticated or handshake input (docs/PROTOCOL.md §1, §2.2, §3.5):
/// the REFUSE payload, the msg2/msg3 JSON object and the HELLO. Each rule of the spec has a case,
/// and a seeded mutation run checks that hostile input only ever gives a clean result or a
/// <see cref="ProtocolViolationException"/>.
/// </summary>
public class HandshakeParserFuzzTests
{
    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Refuse_payload_is_a_code_and_at_most_200_bytes_of_reason()
    {
        Assert.Equal(((byte)4, ""), Refuse.Parse([4]));
        Assert.Equal(((byte)5, "authentication failed"), Refuse.Parse([5, .. "authentication failed"u8]));
        Assert.Equal(((byte)6, new string('r', 200)), Refuse.Parse([6, .. Utf8(new string('r', 200))]));
        Assert.Throws<ProtocolViolationException>(() => Refuse.Parse([]));
        Assert.Throws<ProtocolViolationException>(() => Refuse.Parse([6, .. Utf8(new string('r', 201))]));

        // Invalid UTF-8 is replaced, never an exception (it is shown, sanitised, after fixed text).
        (byte code, string reason) = Refuse.Parse([7, 0xC3, 0x28, (byte)'x']);
        Assert.Equal(7, code);
        Assert.Contains('\uFFFD', reason);
    }

    [Fact]
    public void Refuse_create_cuts_the_reason_to_200_bytes_on_a_character_boundary_and_parses_back()
    {
        byte[] payload = Refuse.Create(6, new string('é', 150)); // 300 bytes of UTF-8
        Assert.Equal(1 + 200, payload.Length);
        (byte code, string reason) = Refuse.Parse(payload);
        Assert.Equal(6, code);
        Assert.Equal(new string('é', 100), reason);

        payload = Refuse.Create(6, "a" + new string('é', 150)); // the cut would split a character
        Assert.Equal(1 + 199, payload.Length);
        Assert.DoesNotContain('\uFFFD', Refuse.Parse(payload).Reason);
    }

    [Fact]
    public void Random_refuse_payloads_parse_or_are_protocol_errors()
    {
        var random = new Random(2024);
        for (int i = 0; i < 5000; i++)
        {
            byte[] payload = new byte[random.Next(0, 260)];
            random.NextBytes(payload);
            try
            {
                (byte code, string reason) = Refuse.Parse(payload);
                Assert.Equal(payload[0], code);
                Assert.True(payload.Length <= 201);
                Assert.NotNull(reason);
            }
            catch (ProtocolViolationException)
            {
                Assert.True(payload.Length == 0 || payload.Length > 201);
            }
        }
    }

    public static TheoryData<string, string> RejectedPayloads => new()
    {
        { "duplicate key", """{"software":"a","software":"b"}""" },
        { "duplicate key, escaped", """{"a":1,"\u0061":2}""" },
        { "duplicate key in a nested object", """{"x":{"a":1,"a":2}}""" },
        { "depth 3, object", """{"a":{"b":{"c":1}}}""" },
        { "depth 3, array", """{"a":[[1]]}""" },
        { "depth 3, object in array", """{"a":[{"b":1}]}""" },
        { "trailing data", """{"software":"a"}x""" },
        { "two objects", """{} {}""" },
        { "trailing comma", """{"a":1,}""" },
        { "comment", """{"a":1 /* c */}""" },
        { "array", """[{"software":"a"}]""" },
        { "string", "\"securechat\"" },
        { "number", "1" },
        { "null", "null" },
        { "true", "true" },
        { "empty", "" },
        { "whitespace only", "   " },
        { "unterminated", """{"software":"a" """ },
        { "single quotes", "{'a':1}" },
        { "NUL after the object", "{}\0" },
    };

    [Theory]
    [MemberData(nameof(RejectedPayloads))]
    public void Handshake_payload_that_breaks_a_rule_is_a_protocol_error(string rule, string json)
    {
        var error = Assert.Throws<ProtocolViolationException>(() => HandshakePayload.Decode(Utf8(json)));
        Assert.False(string.IsNullOrEmpty(error.Message), rule);
    }

    [Fact]
    public void Handshake_payload_size_limit_is_1_KiB_exactly()
    {
        // {"software":"…"} is 15 bytes around the value.
        byte[] largest = Utf8("{\"software\":\"" + new string('x', HandshakePayload.MaxBytes - 15) + "\"}");
        Assert.Equal(1024, largest.Length);
        Assert.Equal(JsonValueKind.Object, HandshakePayload.Decode(largest).ValueKind);

        byte[] tooLarge = Utf8("{\"software\":\"" + new string('x', HandshakePayload.MaxBytes - 14) + "\"}");
        Assert.Equal(1025, tooLarge.Length);
        Assert.Throws<ProtocolViolationException>(() => HandshakePayload.Decode(tooLarge));

        // Whitespace counts too: the limit is on the bytes, not on the value.
        Assert.Throws<ProtocolViolationException>(() => HandshakePayload.Decode(Utf8("{}" + new string(' ', 1023))));
    }

    [Fact]
    public void Handshake_payload_with_invalid_utf8_or_a_lone_surrogate_is_a_protocol_error()
    {
        Assert.Throws<ProtocolViolationException>(() => HandshakePayload.Decode([.. "{\"software\":\""u8, 0xC3, 0x28, .. "\"}"u8]));
        Assert.Throws<ProtocolViolationException>(() => HandshakePayload.Decode([.. "{\""u8, 0xFF, .. "\":1}"u8]));

        // Escapes that do not make valid Unicode: a lone surrogate, in a value and in a key.
        Assert.Throws<ProtocolViolationException>(() => HandshakePayload.Decode(Utf8("""{"software":"\ud800"}""")));
        Assert.Throws<ProtocolViolationException>(() => HandshakePayload.Decode(Utf8("""{"\udc00":1}""")));
    }

    [Theory]
    [InlineData("""{}""")]
    [InlineData("""{"software":"securechat/0.2.0"}""")]
    [InlineData("""{"software":"x","ephemeral":true,"unknown":{"a":1},"list":[1,"2",null]}""")]
    [InlineData("""{"a":{"b":1},"c":[1,"2",null]}""")]
    [InlineData(""" {"a":1} """)]
    [InlineData("""{"x":{"a":1},"y":{"a":1}}""")]
    public void Handshake_payload_within_the_rules_is_accepted(string json)
    {
        // The same key in two different objects is not a duplicate.
        Assert.Equal(JsonValueKind.Object, HandshakePayload.Decode(Utf8(json)).ValueKind);
    }

    [Fact]
    public void Handshake_payload_encode_refuses_more_than_1_KiB_and_decodes_back()
    {
        var value = new System.Text.Json.Nodes.JsonObject { ["software"] = "securechat/0.2.0", ["ephemeral"] = true };
        JsonElement decoded = HandshakePayload.Decode(HandshakePayload.Encode(value));
        Assert.Equal("securechat/0.2.0", decoded.GetProperty("software").GetString());
        Assert.Throws<ArgumentException>(() => HandshakePayload.Encode(new System.Text.Json.Nodes.JsonObject { ["software"] = new string('x', 2000) }));
    }

    [Fact]
    public void Mutated_handshake_payloads_decode_to_a_readable_object_or_are_protocol_errors()
    {
        byte[][] corpus =
        [
            Utf8("""{"software":"securechat/0.2.0"}"""),
            Utf8("""{"software":"securechat/0.2.0","ephemeral":true}"""),
            Utf8("""{"software":"x","v1_key":"BAAAAA==","v1_sig":"AAAA"}"""),
            Utf8("""{"a":{"b":[1,2,3]},"c":"d\u00e9"}"""),
        ];
        string[] splices = ["{", "}", "[", "]", "\"", ",", ":", "\"a\":1,", "\\u0000", "\\ud800", "1e999", "-0", "null", "{\"a\":{\"b\":{}}}"];
        var random = new Random(4242);
        int accepted = 0;
        for (int i = 0; i < 20000; i++)
        {
            byte[] input = (byte[])corpus[random.Next(corpus.Length)].Clone();
            for (int round = random.Next(1, 4); round > 0; round--)
            {
                switch (random.Next(5))
                {
                    case 0 when input.Length > 0:
                        input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                        break;
                    case 1 when input.Length > 0:
                        input[random.Next(input.Length)] = (byte)random.Next(256);
                        break;
                    case 2:
                        input = input[..random.Next(input.Length + 1)];
                        break;
                    case 3:
                        int at = random.Next(input.Length + 1);
                        input = [.. input[..at], .. Utf8(splices[random.Next(splices.Length)]), .. input[at..]];
                        break;
                    default:
                        input = [.. input, .. new byte[random.Next(1, 1100)]];
                        break;
                }
            }

            JsonElement element;
            try
            {
                element = HandshakePayload.Decode(input);
            }
            catch (ProtocolViolationException)
            {
                continue;
            }

            accepted++;
            Assert.Equal(JsonValueKind.Object, element.ValueKind);
            Assert.True(input.Length <= HandshakePayload.MaxBytes);
            ReadAll(element, depth: 1);
        }

        Assert.True(accepted > 100, $"only {accepted} mutated payloads were accepted: the corpus does not reach the readers");
    }

    /// <summary>Reads every string and name the way the session's readers do: nothing may throw, and nothing nests deeper than 2.</summary>
    private static void ReadAll(JsonElement element, int depth)
    {
        Assert.True(depth <= HandshakePayload.MaxDepth + 1);
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                Assert.True(depth <= HandshakePayload.MaxDepth);
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    Assert.True(names.Add(property.Name), "a duplicate key got through");
                    ReadAll(property.Value, depth + 1);
                }

                break;
            case JsonValueKind.Array:
                Assert.True(depth <= HandshakePayload.MaxDepth);
                foreach (JsonElement item in element.EnumerateArray())
                {
                    ReadAll(item, depth + 1);
                }

                break;
            case JsonValueKind.String:
                Assert.NotNull(element.GetString());
                break;
        }
    }

    [Fact]
    public void Random_hello_payloads_parse_only_as_SCHAT_version_and_mode()
    {
        var random = new Random(77);
        for (int i = 0; i < 20000; i++)
        {
            byte[] payload = new byte[random.Next(0, 10)];
            random.NextBytes(payload);
            if (random.Next(3) == 0 && payload.Length >= 5)
            {
                "SCHAT"u8.CopyTo(payload);
            }

            if (Hello.TryParse(payload, out byte version, out byte mode))
            {
                Assert.Equal(7, payload.Length);
                Assert.True(payload.AsSpan(0, 5).SequenceEqual("SCHAT"u8));
                Assert.Equal(payload[5], version);
                Assert.Equal(payload[6], mode);
            }
        }

        Assert.True(Hello.TryParse(Hello.Create(Hello.ModePsk), out byte v, out byte m));
        Assert.Equal((Hello.Version2, Hello.ModePsk), (v, m));
        Assert.True(Hello.IsVersion1([.. "SCHAT"u8, 0x01, 0x01]));
        Assert.False(Hello.IsVersion1([(byte)FrameKind.Hello, .. Hello.Create(Hello.ModeXX)]));
    }
}
