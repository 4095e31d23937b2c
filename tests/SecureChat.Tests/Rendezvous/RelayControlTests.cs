using System.Text;
using SecureChat.Rendezvous;

namespace SecureChat.Tests.Rendezvous;

/// <summary>The relay's control frames (docs/RELAY.md): encode, parse, and what is refused.</summary>
public sealed class RelayControlTests
{
    public static TheoryData<RelayMessage> Messages() =>
    [
        new RelayAllocate(),
        new RelayClaim("17"),
        new RelayClaim("999999"),
        new RelayAllocated("17", 600),
        new RelayPaired(),
        new RelayError(RelayErrorCodes.UnknownNameplate, "nobody is waiting under 17"),
        new RelayRedirect("relay2.example:4747"),
    ];

    [Theory]
    [MemberData(nameof(Messages))]
    public void Every_message_round_trips(RelayMessage message)
    {
        byte[] frame = RelayControl.Encode(message);
        Assert.Equal(frame.Length - 2, (frame[0] << 8) | frame[1]);
        Assert.Equal(RelayControl.Kind, frame[2]);
        Assert.Equal(message, RelayControl.Parse(frame.AsSpan(2)));
    }

    [Fact]
    public void The_wire_form_is_the_documented_json()
    {
        Assert.Equal("{\"op\":\"claim\",\"nameplate\":\"17\"}", Encoding.UTF8.GetString(RelayControl.Encode(new RelayClaim("17")).AsSpan(3)));
        Assert.Equal("{\"status\":\"allocated\",\"nameplate\":\"17\",\"expires_in\":600}", Encoding.UTF8.GetString(RelayControl.Encode(new RelayAllocated("17", 600)).AsSpan(3)));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("017")]
    [InlineData("1234567")]
    [InlineData("12a")]
    [InlineData("")]
    [InlineData("١٧")]
    public void A_nameplate_is_one_to_six_digits_without_a_leading_zero(string nameplate)
    {
        Assert.False(RelayControl.IsValidNameplate(nameplate));
        Assert.Throws<ArgumentException>(() => RelayControl.Encode(new RelayClaim(nameplate)));
        byte[] body = [RelayControl.Kind, .. Encoding.UTF8.GetBytes($"{{\"op\":\"claim\",\"nameplate\":\"{nameplate}\"}}")];
        Assert.Throws<FormatException>(() => RelayControl.Parse(body));
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("{\"op\":\"dance\"}")]
    [InlineData("{\"op\":\"claim\",\"nameplate\":17}")]
    [InlineData("{\"op\":\"allocate\"} {}")]
    [InlineData("{\"status\":\"allocated\",\"nameplate\":\"17\"}")]
    [InlineData("{\"a\":{\"b\":{\"c\":1}}}")]
    [InlineData("not json")]
    public void Malformed_control_frames_are_format_errors(string json)
    {
        byte[] body = [RelayControl.Kind, .. Encoding.UTF8.GetBytes(json)];
        Assert.Throws<FormatException>(() => RelayControl.Parse(body));
    }

    [Fact]
    public void A_frame_over_1025_bytes_or_of_another_kind_is_refused()
    {
        byte[] big = [RelayControl.Kind, .. Encoding.UTF8.GetBytes("{\"op\":\"allocate\",\"x\":\"" + new string('a', 1010) + "\"}")];
        Assert.True(big.Length > RelayControl.MaxBodyLength);
        Assert.Throws<FormatException>(() => RelayControl.Parse(big));
        Assert.Throws<FormatException>(() => RelayControl.Parse([0x01, .. "{\"op\":\"allocate\"}"u8]));
        Assert.Throws<FormatException>(() => RelayControl.Parse([RelayControl.Kind, 0xff, 0xfe]));
    }
}
