using SecureChat.Framing;
using SecureChat.Transfer;

namespace SecureChat.Tests.Framing;

public class TransportMessageTests
{
    private static (TransportMessageStatus Status, MessageType Type, byte[] Body) Parse(ReadOnlySpan<byte> plaintext)
    {
        TransportMessageStatus status = TransportMessage.TryParse(plaintext, out MessageType type, out ReadOnlySpan<byte> body);
        return (status, type, body.ToArray());
    }

    [Fact]
    public void Type_and_body_are_split_whole()
    {
        byte[] plaintext = [0x01, (byte)'h', (byte)'i'];
        var (status, type, body) = Parse(plaintext);
        Assert.Equal(TransportMessageStatus.Complete, status);
        Assert.Equal(MessageType.Text, type);
        Assert.Equal("hi"u8.ToArray(), body);
    }

    [Fact]
    public void Every_prefix_fed_byte_by_byte_parses_to_the_same_type_and_a_prefix_of_the_body()
    {
        byte[] plaintext = new byte[1 + 300];
        plaintext[0] = (byte)FileMessageType.Data;
        for (int i = 1; i < plaintext.Length; i++)
        {
            plaintext[i] = (byte)i;
        }

        Assert.Equal(TransportMessageStatus.MissingType, Parse([]).Status);
        for (int length = 1; length <= plaintext.Length; length++)
        {
            var (status, type, body) = Parse(plaintext.AsSpan(0, length));
            Assert.Equal(TransportMessageStatus.Complete, status);
            Assert.Equal(FileMessageType.Data, type);
            Assert.Equal(plaintext.AsSpan(1, length - 1).ToArray(), body);
        }
    }

    [Fact]
    public void A_plaintext_without_a_type_byte_is_a_typed_error()
    {
        Assert.Equal(TransportMessageStatus.MissingType, Parse([]).Status);
    }

    [Fact]
    public void The_largest_body_parses_and_one_more_byte_is_too_long()
    {
        byte[] largest = new byte[1 + TransportLimits.MaxBodyLength];
        largest[0] = (byte)MessageType.Text;
        Assert.Equal(TransportMessageStatus.Complete, Parse(largest).Status);
        Assert.Equal(TransportMessageStatus.TooLong, Parse(new byte[largest.Length + 1]).Status);
    }

    [Fact]
    public void An_unknown_type_is_parsed_not_rejected()
    {
        var (status, type, body) = Parse([0x7F]);
        Assert.Equal(TransportMessageStatus.Complete, status);
        Assert.Equal((MessageType)0x7F, type);
        Assert.Empty(body);
    }

    [Fact]
    public void Write_then_parse_round_trips()
    {
        byte[] buffer = new byte[16];
        int length = TransportMessage.Write(MessageType.Close, "bye"u8, buffer);
        var (status, type, body) = Parse(buffer.AsSpan(0, length));
        Assert.Equal(TransportMessageStatus.Complete, status);
        Assert.Equal(MessageType.Close, type);
        Assert.Equal("bye"u8.ToArray(), body);
    }
}
