using System.Text;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

public class FileMessagesTests
{
    private static readonly string Sha = new('a', 64);

    [Fact]
    public void Every_message_round_trips()
    {
        Assert.Equal(new FileOffer(7, "report ü.pdf", 123_456_789_012, Sha), FileMessages.ParseOffer(FileMessages.Encode(new FileOffer(7, "report ü.pdf", 123_456_789_012, Sha))));
        Assert.Equal(new FileAccept(uint.MaxValue, FileMessages.MaxSize), FileMessages.ParseAccept(FileMessages.Encode(new FileAccept(uint.MaxValue, FileMessages.MaxSize))));
        Assert.Equal(new FileReject(2, "no"), FileMessages.ParseReject(FileMessages.Encode(new FileReject(2, "no"))));
        Assert.Equal(new FileEnd(3), FileMessages.ParseEnd(FileMessages.Encode(new FileEnd(3))));
        Assert.Equal(new FileCancel(4, "disk full"), FileMessages.ParseCancel(FileMessages.Encode(new FileCancel(4, "disk full"))));
    }

    [Fact]
    public void Offer_hash_is_returned_in_lower_case_and_unknown_fields_are_ignored()
    {
        FileOffer offer = FileMessages.ParseOffer(Encoding.UTF8.GetBytes($"{{\"id\":1,\"name\":\"x\",\"size\":0,\"sha256\":\"{new string('F', 64)}\",\"extra\":[1,2]}}"));
        Assert.Equal(new string('f', 64), offer.Sha256Hex);
    }

    [Theory]
    [InlineData("{\"id\":0,\"name\":\"x\",\"size\":1,\"sha256\":\"S\"}", "\"id\"")]
    [InlineData("{\"id\":4294967296,\"name\":\"x\",\"size\":1,\"sha256\":\"S\"}", "\"id\"")]
    [InlineData("{\"id\":1.5,\"name\":\"x\",\"size\":1,\"sha256\":\"S\"}", "\"id\"")]
    [InlineData("{\"id\":\"1\",\"name\":\"x\",\"size\":1,\"sha256\":\"S\"}", "\"id\"")]
    [InlineData("{\"name\":\"x\",\"size\":1,\"sha256\":\"S\"}", "\"id\" is missing")]
    [InlineData("{\"id\":1,\"name\":\"\",\"size\":1,\"sha256\":\"S\"}", "\"name\"")]
    [InlineData("{\"id\":1,\"name\":5,\"size\":1,\"sha256\":\"S\"}", "\"name\"")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":-1,\"sha256\":\"S\"}", "\"size\"")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":9007199254740992,\"sha256\":\"S\"}", "\"size\"")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1e3,\"sha256\":\"S\"}", "\"size\"")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"abc\"}", "\"sha256\"")]
    [InlineData("{\"id\":1,\"name\":\"x\",\"size\":1,\"sha256\":\"" + "zz" + "S\"}", "\"sha256\"")]
    [InlineData("{\"id\":1,\"id\":2,\"name\":\"x\",\"size\":1,\"sha256\":\"S\"}", "twice")]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("{\"id\":1", "not JSON")]
    [InlineData("{\"id\":1,\"name\":\"\\ud800\",\"size\":1,\"sha256\":\"S\"}", "Unicode")]
    public void Every_invalid_offer_field_is_a_clear_error(string json, string expected)
    {
        byte[] body = Encoding.UTF8.GetBytes(json.Replace("\"S\"", $"\"{Sha}\"", StringComparison.Ordinal).Replace("zzS", "zz" + Sha[2..], StringComparison.Ordinal));
        var error = Assert.Throws<InvalidDataException>(() => FileMessages.ParseOffer(body));
        Assert.StartsWith("FILE_OFFER:", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_messages_validate_their_fields_too()
    {
        Assert.Contains("\"offset\"", Assert.Throws<InvalidDataException>(() => FileMessages.ParseAccept("{\"id\":1,\"offset\":-3}"u8)).Message, StringComparison.Ordinal);
        Assert.Contains("\"reason\" is missing", Assert.Throws<InvalidDataException>(() => FileMessages.ParseReject("{\"id\":1}"u8)).Message, StringComparison.Ordinal);
        Assert.Contains("\"id\"", Assert.Throws<InvalidDataException>(() => FileMessages.ParseEnd("{\"id\":null}"u8)).Message, StringComparison.Ordinal);
        Assert.Contains("8192", Assert.Throws<InvalidDataException>(() => FileMessages.ParseCancel(new byte[8193])).Message, StringComparison.Ordinal);
        Assert.Equal(1024, FileMessages.ParseCancel(Encoding.UTF8.GetBytes($"{{\"id\":1,\"reason\":\"{new string('r', 5000)}\"}}")).Reason.Length);
    }

    [Fact]
    public void File_data_carries_its_id_in_four_big_endian_bytes()
    {
        byte[] body = new byte[FileMessages.DataHeaderSize + 3];
        FileMessages.WriteDataHeader(body, 0x01020304);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, body[..4]);
        Assert.Equal(0x01020304u, FileMessages.ParseDataId(body));
        Assert.Throws<InvalidDataException>(() => FileMessages.ParseDataId(new byte[3]));
        Assert.Throws<InvalidDataException>(() => FileMessages.ParseDataId(new byte[4]));
    }

    [Fact]
    public void Garbage_and_every_truncation_give_InvalidDataException_and_nothing_else()
    {
        byte[] valid = FileMessages.Encode(new FileOffer(9, "name.txt", 42, Sha));
        for (int length = 0; length < valid.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => FileMessages.ParseOffer(valid.AsSpan(0, length)));
        }

        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            byte[] garbage = new byte[random.Next(0, 300)];
            random.NextBytes(garbage);
            if (i % 2 == 0 && garbage.Length > 2)
            {
                garbage[0] = (byte)'{'; // reach deeper into the JSON reader
            }

            foreach (Func<byte[], object> parse in new Func<byte[], object>[] { b => FileMessages.ParseOffer(b), b => FileMessages.ParseAccept(b), b => FileMessages.ParseReject(b), b => FileMessages.ParseEnd(b), b => FileMessages.ParseCancel(b) })
            {
                try
                {
                    parse(garbage);
                }
                catch (InvalidDataException)
                {
                    // The only failure allowed.
                }
            }
        }
    }
}
