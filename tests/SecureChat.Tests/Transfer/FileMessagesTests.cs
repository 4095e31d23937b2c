using System.Text;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

public class FileMessagesTests
{
    private static readonly string Sha = "0123456789abcdef" + new string('a', 48);

    /// <summary>Every parser, by message name, returning its record as an object.</summary>
    private static readonly Dictionary<string, Func<byte[], object>> Parsers = new()
    {
        ["FILE_OFFER"] = body => FileMessages.ParseOffer(body),
        ["FILE_ACCEPT"] = body => FileMessages.ParseAccept(body),
        ["FILE_REJECT"] = body => FileMessages.ParseReject(body),
        ["FILE_END"] = body => FileMessages.ParseEnd(body),
        ["FILE_CANCEL"] = body => FileMessages.ParseCancel(body),
        ["FILE_RESTART"] = body => FileMessages.ParseRestart(body),
    };

    /// <summary>One valid body of each message.</summary>
    private static IEnumerable<(string Message, byte[] Body)> ValidBodies() =>
    [
        ("FILE_OFFER", FileMessages.Encode(new FileOffer(9, "name \"ü\" 👋.txt", 42, Sha))),
        ("FILE_ACCEPT", FileMessages.Encode(new FileAccept(10, 1_000_000, Sha, Sha))),
        ("FILE_REJECT", FileMessages.Encode(new FileReject(11, "no thanks"))),
        ("FILE_END", FileMessages.Encode(new FileEnd(12, Sha))),
        ("FILE_CANCEL", FileMessages.Encode(new FileCancel(13, "disk full"))),
        ("FILE_RESTART", FileMessages.Encode(new FileRestart(14))),
    ];

    private static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json.Replace("SHA", Sha, StringComparison.Ordinal));

    private static InvalidDataException Rejected(string message, byte[] body)
    {
        var error = Assert.Throws<InvalidDataException>(() => Parsers[message](body));
        Assert.StartsWith(message + ": ", error.Message, StringComparison.Ordinal);
        return error;
    }

    public static TheoryData<object> Records =>
    [
        new FileOffer(1, "report ü.pdf", 0, Sha),
        new FileOffer(uint.MaxValue, "a \"quoted\" \\ name\twith\u001b[31m control 👋", FileMessages.MaxSize, Sha),
        new FileOffer(7, new string('n', FileMessages.MaxNameBytes), 123_456_789_012, Sha),
        new FileAccept(1, 0),
        new FileOffer(8, "hashed while sent", 5, null),
        new FileAccept(uint.MaxValue, FileMessages.MaxSize, Sha, Sha),
        new FileReject(2, "no"),
        new FileReject(2, ""),
        new FileEnd(3),
        new FileEnd(uint.MaxValue, Sha),
        new FileRestart(6),
        new FileCancel(4, "disk full: \"/home\" </script> 👋"),
    ];

    [Theory]
    [MemberData(nameof(Records))]
    public void Every_message_round_trips(object record)
    {
        object parsed = record switch
        {
            FileOffer offer => FileMessages.ParseOffer(FileMessages.Encode(offer)),
            FileAccept accept => FileMessages.ParseAccept(FileMessages.Encode(accept)),
            FileReject reject => FileMessages.ParseReject(FileMessages.Encode(reject)),
            FileEnd end => FileMessages.ParseEnd(FileMessages.Encode(end)),
            FileCancel cancel => FileMessages.ParseCancel(FileMessages.Encode(cancel)),
            FileRestart restart => FileMessages.ParseRestart(FileMessages.Encode(restart)),
            _ => throw new InvalidOperationException("not a file message"),
        };
        Assert.Equal(record, parsed);
    }

    [Fact]
    public void Bodies_are_the_documented_json_objects()
    {
        Assert.Equal($"{{\"id\":5,\"name\":\"a.txt\",\"size\":10,\"sha256\":\"{Sha}\"}}", Encoding.UTF8.GetString(FileMessages.Encode(new FileOffer(5, "a.txt", 10, Sha))));
        Assert.Equal("{\"id\":5,\"name\":\"a.txt\",\"size\":10,\"sha256\":null}", Encoding.UTF8.GetString(FileMessages.Encode(new FileOffer(5, "a.txt", 10, null))));
        Assert.Equal("{\"id\":5,\"offset\":0}", Encoding.UTF8.GetString(FileMessages.Encode(new FileAccept(5, 0))));
        Assert.Equal($"{{\"id\":5,\"offset\":7,\"challenge\":\"{Sha}\",\"prefix_mac\":\"{Sha}\"}}", Encoding.UTF8.GetString(FileMessages.Encode(new FileAccept(5, 7, Sha, Sha))));
        Assert.Equal($"{{\"id\":5,\"sha256\":\"{Sha}\"}}", Encoding.UTF8.GetString(FileMessages.Encode(new FileEnd(5, Sha))));
        Assert.Equal("{\"id\":5}", Encoding.UTF8.GetString(FileMessages.Encode(new FileRestart(5))));
        Assert.Equal("{\"id\":5,\"reason\":\"r\"}", Encoding.UTF8.GetString(FileMessages.Encode(new FileReject(5, "r"))));
        Assert.Equal("{\"id\":5}", Encoding.UTF8.GetString(FileMessages.Encode(new FileEnd(5))));
        Assert.Equal("{\"id\":5,\"reason\":\"r\"}", Encoding.UTF8.GetString(FileMessages.Encode(new FileCancel(5, "r"))));
    }

    [Fact]
    public void Offer_hash_is_accepted_in_upper_case_and_returned_in_lower_case()
    {
        FileOffer offer = FileMessages.ParseOffer(Utf8($"{{\"id\":1,\"name\":\"x\",\"size\":0,\"sha256\":\"{Sha.ToUpperInvariant()}\"}}"));
        Assert.Equal(Sha, offer.Sha256Hex);
        string encoded = Encoding.UTF8.GetString(FileMessages.Encode(offer with { Sha256Hex = Sha.ToUpperInvariant() }));
        Assert.Contains(Sha, encoded, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_are_ignored_and_fields_may_come_in_any_order()
    {
        FileOffer offer = FileMessages.ParseOffer(Utf8("{\"extra\":[1,{\"a\":null}],\"sha256\":\"SHA\",\"size\":5,\"v\":2,\"name\":\"x\",\"id\":3}"));
        Assert.Equal(new FileOffer(3, "x", 5, Sha), offer);
        Assert.Equal(new FileEnd(4), FileMessages.ParseEnd(" {\"id\" : 4 , \"reason\":\"unused\"}\n"u8));
    }

    [Fact]
    public void Escaped_strings_are_unescaped()
    {
        FileOffer offer = FileMessages.ParseOffer(Utf8("{\"id\":1,\"n\\u0061me\":\"\\u00fc\\ud83d\\udc4b\\/x\",\"size\":0,\"sha256\":\"SHA\"}"));
        Assert.Equal("ü👋/x", offer.Name);
    }

    [Theory]
    // Not JSON, not an object.
    [InlineData("", "not JSON")]
    [InlineData("{\"id\":1", "not JSON")]
    [InlineData("{\"id\":1,}", "not JSON")]
    [InlineData("{\"id\":1} {}", "not JSON")]
    [InlineData("{\"id\":1 /* comment */}", "not JSON")]
    [InlineData("{'id':1}", "not JSON")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\",\"deep\":[[[[1]]]]}", "nests deeper")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("\"text\"", "not a JSON object")]
    [InlineData("42", "not a JSON object")]
    [InlineData("null", "not a JSON object")]
    // Duplicate fields, also when written differently.
    [InlineData("{\"id\":1,\"id\":2,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "more than once")]
    [InlineData("{\"id\":1,\"\\u0069d\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "more than once")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\",\"extra\":1,\"extra\":2}", "more than once")]
    [InlineData("{\"id\":1,\"\\ud800\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "field name is not valid Unicode")]
    // Missing fields.
    [InlineData("{\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" is missing")]
    [InlineData("{\"id\":1,\"size\":1,\"sha256\":\"SHA\"}", "\"name\" is missing")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"sha256\":\"SHA\"}", "\"size\" is missing")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1}", "\"sha256\" is missing")]
    [InlineData("{\"ID\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" is missing")]
    // Wrong JSON types.
    [InlineData("{\"id\":\"1\",\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":null,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":true,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":1,\"name\":5,\"size\":1,\"sha256\":\"SHA\"}", "\"name\" must be a string")]
    [InlineData("{\"id\":1,\"name\":[\"x\"],\"size\":1,\"sha256\":\"SHA\"}", "\"name\" must be a string")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":\"1\",\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":{},\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":5}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":[\"SHA\"]}", "\"sha256\" must be null or 64 hexadecimal digits")]
    // Out of range or not an integer.
    [InlineData("{\"id\":0,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":-1,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":4294967296,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":1.5,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":1.0,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":1e0,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":-1,\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":9007199254740992,\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":99999999999999999999999,\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":2.5,\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1e3,\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1E3,\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1e-3,\"sha256\":\"SHA\"}", "\"size\" must be an integer from 0 to 9007199254740991")]
    // The hash.
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"abc\"}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"\"}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA0\"}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"zzSHA\"}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\" SHA\"}", "\"sha256\" must be null or 64 hexadecimal digits")]
    // The name.
    [InlineData("{\"id\":1,\"name\":\"\",\"size\":1,\"sha256\":\"SHA\"}", "\"name\" must be 1 to 4096 bytes of UTF-8")]
    [InlineData("{\"id\":1,\"name\":\"\\ud800\",\"size\":1,\"sha256\":\"SHA\"}", "\"name\" is not valid Unicode")]
    [InlineData("{\"id\":1,\"name\":\"\\udc00x\",\"size\":1,\"sha256\":\"SHA\"}", "\"name\" is not valid Unicode")]
    public void Every_invalid_offer_is_a_clear_error(string json, string expected)
    {
        // "zzSHA" is a 64-character hash with two non-hex digits.
        byte[] body = Utf8(json.Replace("zzSHA", "zz" + Sha[2..], StringComparison.Ordinal));
        Assert.Contains(expected, Rejected("FILE_OFFER", body).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offer_name_may_be_4096_bytes_of_utf8_and_no_more()
    {
        string longest = new('ü', FileMessages.MaxNameBytes / 2);
        string offer(string name) => $"{{\"id\":1,\"name\":\"{name}\",\"size\":1,\"sha256\":\"SHA\"}}";
        Assert.Equal(longest, FileMessages.ParseOffer(Utf8(offer(longest))).Name);
        Assert.Contains("\"name\" must be 1 to 4096 bytes of UTF-8", Rejected("FILE_OFFER", Utf8(offer(longest + "x"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offer_with_invalid_utf8_in_the_name_is_a_clear_error()
    {
        byte[] body = [.. "{\"id\":1,\"name\":\"a"u8, 0xC3, 0x28, .. Utf8("\",\"size\":1,\"sha256\":\"SHA\"}")];
        Assert.Contains("\"name\"", Rejected("FILE_OFFER", body).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("FILE_ACCEPT", "{\"offset\":0}", "\"id\" is missing")]
    [InlineData("FILE_ACCEPT", "{\"id\":0,\"offset\":0}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("FILE_ACCEPT", "{\"id\":1}", "\"offset\" is missing")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":\"0\"}", "\"offset\" must be an integer from 0 to 9007199254740991")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":-3}", "\"offset\" must be an integer from 0 to 9007199254740991")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":0.5}", "\"offset\" must be an integer from 0 to 9007199254740991")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5e2}", "\"offset\" must be an integer from 0 to 9007199254740991")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":9007199254740992}", "\"offset\" must be an integer from 0 to 9007199254740991")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":0,\"offset\":5}", "more than once")]
    [InlineData("FILE_ACCEPT", "[]", "not a JSON object")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5}", "an offset above 0 needs \"challenge\" and \"prefix_mac\"")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":\"SHA\"}", "an offset above 0 needs \"challenge\" and \"prefix_mac\"")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"prefix_mac\":\"SHA\"}", "an offset above 0 needs \"challenge\" and \"prefix_mac\"")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":\"SHA\",\"prefix_mac\":null}", "an offset above 0 needs \"challenge\" and \"prefix_mac\"")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"prefix_sha256\":\"SHA\"}", "an offset above 0 needs \"challenge\" and \"prefix_mac\"")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":0,\"challenge\":\"SHA\"}", "an offset of 0 has no \"challenge\" or \"prefix_mac\"")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":0,\"prefix_mac\":\"SHA\"}", "an offset of 0 has no \"challenge\" or \"prefix_mac\"")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":\"SHA0\",\"prefix_mac\":\"SHA\"}", "\"challenge\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":\"abc\",\"prefix_mac\":\"SHA\"}", "\"challenge\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\",\"prefix_mac\":\"SHA\"}", "\"challenge\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":7,\"prefix_mac\":\"SHA\"}", "\"challenge\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":\"SHA\",\"prefix_mac\":\"SHA0\"}", "\"prefix_mac\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":\"SHA\",\"prefix_mac\":[]}", "\"prefix_mac\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_ACCEPT", "{\"id\":1,\"offset\":5,\"challenge\":\"SHA\",\"challenge\":\"SHA\",\"prefix_mac\":\"SHA\"}", "more than once")]
    [InlineData("FILE_REJECT", "{\"reason\":\"r\"}", "\"id\" is missing")]
    [InlineData("FILE_REJECT", "{\"id\":1}", "\"reason\" is missing")]
    [InlineData("FILE_REJECT", "{\"id\":1,\"reason\":null}", "\"reason\" must be a string")]
    [InlineData("FILE_REJECT", "{\"id\":1,\"reason\":\"\\udfff\"}", "\"reason\" is not valid Unicode")]
    [InlineData("FILE_REJECT", "{\"id\":4294967296,\"reason\":\"r\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("FILE_REJECT", "{\"id\":1,\"reason\":\"r\"", "not JSON")]
    [InlineData("FILE_END", "{}", "\"id\" is missing")]
    [InlineData("FILE_END", "{\"id\":null}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("FILE_END", "{\"id\":\"7\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("FILE_END", "{\"id\":7.0}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("FILE_END", "{\"id\":1,\"id\":1}", "more than once")]
    [InlineData("FILE_END", "true", "not a JSON object")]
    [InlineData("FILE_END", "{\"id\":1,\"sha256\":\"SHA0\"}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_END", "{\"id\":1,\"sha256\":\"\"}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_END", "{\"id\":1,\"sha256\":\"zzSHA\"}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_END", "{\"id\":1,\"sha256\":{}}", "\"sha256\" must be null or 64 hexadecimal digits")]
    [InlineData("FILE_RESTART", "{}", "\"id\" is missing")]
    [InlineData("FILE_RESTART", "{\"id\":0}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("FILE_RESTART", "{\"id\":1,\"id\":2}", "more than once")]
    [InlineData("FILE_CANCEL", "{\"reason\":\"r\"}", "\"id\" is missing")]
    [InlineData("FILE_CANCEL", "{\"id\":1}", "\"reason\" is missing")]
    [InlineData("FILE_CANCEL", "{\"id\":1,\"reason\":5}", "\"reason\" must be a string")]
    [InlineData("FILE_CANCEL", "{\"id\":-7,\"reason\":\"r\"}", "\"id\" must be an integer from 1 to 4294967295")]
    [InlineData("FILE_CANCEL", "{\"id\":1,\"reason\":\"r\",\"x\":[[[[]]]]}", "nests deeper")]
    public void Every_invalid_control_message_is_a_clear_error(string message, string json, string expected) =>
        Assert.Contains(expected, Rejected(message, Utf8(json)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("FILE_OFFER")]
    [InlineData("FILE_ACCEPT")]
    [InlineData("FILE_REJECT")]
    [InlineData("FILE_END")]
    [InlineData("FILE_CANCEL")]
    public void Bodies_over_8192_bytes_are_refused_before_parsing(string message)
    {
        // Valid JSON padded with white space: only the length is wrong.
        byte[] valid = ValidBodies().Single(b => b.Message == message).Body;
        byte[] longest = [.. valid, .. Enumerable.Repeat((byte)' ', FileMessages.MaxJsonBytes - valid.Length)];
        _ = Parsers[message](longest);
        Assert.Contains("8193 bytes; at most 8192", Rejected(message, [.. longest, (byte)' ']).Message, StringComparison.Ordinal);
        Assert.Contains("at most 8192", Rejected(message, new byte[100_000]).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_reasons_are_cut_to_1024_characters_not_refused()
    {
        string longReason = new('r', 5000);
        Assert.Equal(1024, FileMessages.ParseCancel(Utf8($"{{\"id\":1,\"reason\":\"{longReason}\"}}")).Reason.Length);
        Assert.Equal(1024, FileMessages.ParseReject(Utf8($"{{\"id\":1,\"reason\":\"{longReason}\"}}")).Reason.Length);
        Assert.Equal(new string('r', 1024), FileMessages.ParseReject(Utf8($"{{\"id\":1,\"reason\":\"{longReason[..1024]}\"}}")).Reason);
        Assert.Equal(new FileCancel(1, new string('r', 1024)), FileMessages.ParseCancel(FileMessages.Encode(new FileCancel(1, longReason))));
    }

    [Fact]
    public void Cutting_a_reason_never_splits_a_surrogate_pair()
    {
        string reason = new string('r', 1023) + "👋👋";
        string cut = FileMessages.ParseCancel(FileMessages.Encode(new FileCancel(1, reason))).Reason;
        Assert.Equal(new string('r', 1023), cut);
    }

    [Fact]
    public void Error_messages_never_quote_the_peer()
    {
        const string Marker = "PEERTEXT";
        string[] offers =
        [
            $"{{\"{Marker}\":1,\"{Marker}\":2}}",
            $"{{\"id\":\"{Marker}\",\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\"}}",
            $"{{\"id\":1,\"name\":\"{Marker}\",\"size\":\"{Marker}\",\"sha256\":\"SHA\"}}",
            $"{{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"{Marker}\"}}",
            $"{{\"id\":1,\"name\":\"{new string('x', 5000)}{Marker}\",\"size\":1,\"sha256\":\"SHA\"}}",
            $"{{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"SHA\",\"{Marker}\":[[[[1]]]]}}",
            $"{{\"{Marker}\" {Marker}",
            $"[\"{Marker}\"]",
            $"{{\"id\":1,\"name\":\"{Marker}\",\"size\":1,\"sha256\":\"SHA\"}}{Marker}",
        ];
        foreach (string json in offers)
        {
            Assert.DoesNotContain(Marker, Rejected("FILE_OFFER", Utf8(json)).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void File_data_carries_its_id_in_four_big_endian_bytes()
    {
        byte[] body = new byte[FileMessages.DataHeaderSize + 3];
        FileMessages.WriteDataHeader(body, 0x01020304);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 0, 0, 0 }, body);
        Assert.Equal(0x01020304u, FileMessages.ParseDataId(body));
        Assert.Equal(uint.MaxValue, FileMessages.ParseDataId([0xFF, 0xFF, 0xFF, 0xFF]));
        Assert.Equal(1u, FileMessages.ParseDataId([0, 0, 0, 1]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void File_data_shorter_than_its_id_is_a_clear_error(int length)
    {
        var error = Assert.Throws<InvalidDataException>(() => FileMessages.ParseDataId(new byte[length]));
        Assert.StartsWith("FILE_DATA: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("shorter than its 4-byte id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_data_with_id_zero_is_a_clear_error()
    {
        var error = Assert.Throws<InvalidDataException>(() => FileMessages.ParseDataId([0, 0, 0, 0, 9]));
        Assert.Equal("FILE_DATA: the id must be an integer from 1 to 4294967295", error.Message);
    }

    [Fact]
    public void Every_truncation_of_every_valid_message_is_an_InvalidDataException()
    {
        foreach ((string message, byte[] body) in ValidBodies())
        {
            _ = Parsers[message](body);
            for (int length = 0; length < body.Length; length++)
            {
                Rejected(message, body[..length]);
            }
        }
    }

    [Fact]
    public void Garbage_gives_InvalidDataException_and_nothing_else()
    {
        var random = new Random(1234);
        byte[][] valid = [.. ValidBodies().Select(b => b.Body)];
        for (int i = 0; i < 3000; i++)
        {
            byte[] garbage;
            switch (i % 3)
            {
                case 0:
                    garbage = new byte[random.Next(0, 300)];
                    random.NextBytes(garbage);
                    break;
                case 1:
                    // Random bytes inside an object reach deeper into the JSON reader.
                    garbage = new byte[random.Next(2, 300)];
                    random.NextBytes(garbage);
                    garbage[0] = (byte)'{';
                    garbage[^1] = (byte)'}';
                    break;
                default:
                    // A valid body with a few bytes changed: mostly invalid, sometimes still valid.
                    garbage = (byte[])valid[random.Next(valid.Length)].Clone();
                    for (int flips = random.Next(1, 4); flips > 0; flips--)
                    {
                        garbage[random.Next(garbage.Length)] = (byte)random.Next(256);
                    }

                    break;
            }

            foreach (Func<byte[], object> parse in Parsers.Values)
            {
                try
                {
                    _ = parse(garbage);
                }
                catch (InvalidDataException)
                {
                    // The only failure allowed.
                }
            }
        }
    }

    [Fact]
    public void Encoding_refuses_what_the_peer_would_refuse()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileOffer(0, "x", 1, Sha)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileOffer(1, "x", -1, Sha)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileOffer(1, "x", FileMessages.MaxSize + 1, Sha)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileOffer(1, "", 1, Sha)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileOffer(1, new string('x', 4097), 1, Sha)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileOffer(1, "x", 1, "abc")));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileOffer(1, "x", 1, "g" + Sha[1..])));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileAccept(1, -1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileAccept(0, 0)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileAccept(1, 5)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileAccept(1, 5, Sha)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileAccept(1, 5, null, Sha)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileAccept(1, 0, Sha, Sha)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileAccept(1, 5, "abc", Sha)));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileAccept(1, 5, Sha, "abc")));
        Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileEnd(1, Sha + "0")));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileRestart(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileReject(0, "r")));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileEnd(0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.Encode(new FileCancel(0, "r")));
        Assert.Throws<ArgumentOutOfRangeException>(() => FileMessages.WriteDataHeader(new byte[4], 0));
        Assert.Throws<ArgumentException>(() => FileMessages.WriteDataHeader(new byte[3], 1));
    }

    [Fact]
    public void A_name_within_4096_bytes_that_escapes_past_8192_is_refused_when_encoding()
    {
        // 2048 × "ü" is 4096 bytes of UTF-8, but 12288 bytes as \u00FC escapes.
        var error = Assert.Throws<ArgumentException>(() => FileMessages.Encode(new FileOffer(1, new string('ü', 2048), 1, Sha)));
        Assert.Contains("at most 8192", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Offer_may_carry_a_null_hash_when_it_comes_with_file_end()
    {
        Assert.Null(FileMessages.ParseOffer(Utf8("{\"id\":1,\"name\":\"x\",\"size\":3,\"sha256\":null}")).Sha256Hex);
        Assert.Equal(Sha, FileMessages.ParseEnd(Utf8($"{{\"id\":1,\"sha256\":\"{Sha.ToUpperInvariant()}\"}}")).Sha256Hex);
        Assert.Null(FileMessages.ParseEnd(Utf8("{\"id\":1,\"sha256\":null}")).Sha256Hex);
        Assert.Null(FileMessages.ParseEnd(Utf8("{\"id\":1}")).Sha256Hex);
    }

    [Fact]
    public void A_hash_in_a_message_that_has_no_such_field_is_an_ignored_unknown_field()
    {
        // "sha256" and "prefix_sha256" mean nothing in FILE_ACCEPT, "prefix_sha256" nothing in FILE_OFFER or FILE_END.
        Assert.Equal(new FileAccept(1, 0), FileMessages.ParseAccept(Utf8("{\"id\":1,\"offset\":0,\"sha256\":\"SHA\"}")));
        Assert.Equal(new FileAccept(1, 0), FileMessages.ParseAccept(Utf8("{\"id\":1,\"offset\":0,\"prefix_sha256\":\"SHA\"}"))); // the old, unkeyed proof
        Assert.Equal(new FileOffer(1, "x", 3, null), FileMessages.ParseOffer(Utf8("{\"id\":1,\"name\":\"x\",\"size\":3,\"sha256\":null,\"prefix_sha256\":\"SHA\"}")));
        Assert.Equal(new FileEnd(1), FileMessages.ParseEnd(Utf8("{\"id\":1,\"prefix_sha256\":\"SHA\"}")));
        Assert.Equal(new FileRestart(1), FileMessages.ParseRestart(Utf8("{\"id\":1,\"sha256\":\"SHA\"}")));
    }
}
