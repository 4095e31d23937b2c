using System.Text;
using Microsoft.Extensions.Time.Testing;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Control;

/// <summary>What the relay answers to a first frame it cannot accept, and the first-frame deadline.</summary>
public sealed class BadRequestTests
{
    public static TheoryData<string, byte[]> BadFirstFrames() => new()
    {
        { "N over 1,025", [0x04, 0x02, RelayControl.Kind, .. new byte[1025]] },
        { "N = 65,535", [0xFF, 0xFF, RelayControl.Kind] },
        { "N = 0", [0, 0] },
        { "not JSON", Frame(RelayControl.Kind, "garbage") },
        { "unknown op", Frame(RelayControl.Kind, "{\"op\":\"dance\"}") },
        { "claim without nameplate", Frame(RelayControl.Kind, "{\"op\":\"claim\"}") },
        { "nameplate with a leading zero", Frame(RelayControl.Kind, "{\"op\":\"claim\",\"nameplate\":\"017\"}") },
        { "nameplate as a number", Frame(RelayControl.Kind, "{\"op\":\"claim\",\"nameplate\":17}") },
        { "a status, not an op", Frame(RelayControl.Kind, "{\"status\":\"paired\"}") },
        { "a v2 HELLO instead of a control frame", [0, 8, 0x01, .. "SCHAT"u8, 2, 1] },
        { "invalid UTF-8", Frame(RelayControl.Kind, "{\"op\":\"\u00ff\"}", latin1: true) },
        { "two JSON objects", Frame(RelayControl.Kind, "{\"op\":\"allocate\"}{}") },
        { "the stream ends inside the frame", [0, 20, RelayControl.Kind, .. "{\"op\""u8] },
    };

    [Theory]
    [MemberData(nameof(BadFirstFrames))]
    public async Task A_bad_first_frame_gets_bad_request_then_the_end_of_the_stream(string what, byte[] bytes)
    {
        await using var relay = TestRelay.Start();
        using TestClient client = await relay.ConnectAsync();
        await client.SendRawAsync(bytes);
        if (what.Contains("ends inside", StringComparison.Ordinal))
        {
            client.ShutdownSend();
        }

        Assert.Equal(RelayErrorCodes.BadRequest, await client.ReadErrorCodeAsync());
        Assert.Null(await client.ReadMessageOrEndAsync());
    }

    [Fact]
    public async Task A_frame_of_exactly_1025_bytes_is_read_whole_before_it_is_judged()
    {
        await using var relay = TestRelay.Start();
        using TestClient client = await relay.ConnectAsync();
        string json = "{\"op\":\"allocate\",\"pad\":\"" + new string('x', 1024 - 26) + "\"}";
        Assert.Equal(1024, Encoding.UTF8.GetByteCount(json));

        await client.SendRawAsync(Frame(RelayControl.Kind, json));

        Assert.IsType<RelayAllocated>(await client.ReadMessageAsync());
    }

    [Fact]
    public async Task A_client_that_closes_without_a_byte_gets_nothing()
    {
        await using var relay = TestRelay.Start();
        using TestClient client = await relay.ConnectAsync();
        client.ShutdownSend();

        Assert.Null(await client.ReadMessageOrEndAsync());
    }

    [Fact]
    public async Task No_first_frame_within_the_deadline_is_a_timeout()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        using TestClient client = await relay.ConnectAsync();
        await Eventually.HoldsAsync(() => relay.Server.AwaitingFirstFrame == 1, "the relay accepted the connection");

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(RelayErrorCodes.Timeout, await client.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task The_deadline_is_absolute_not_per_byte()
    {
        var time = new FakeTimeProvider();
        await using var relay = TestRelay.Start(o => o with { TimeProvider = time });
        using TestClient client = await relay.ConnectAsync();
        await Eventually.HoldsAsync(() => relay.Server.AwaitingFirstFrame == 1, "the relay accepted the connection");
        byte[] frame = RelayControl.Encode(new RelayAllocate());

        // A byte every 5 s: the relay stops waiting 10 s after the connection, not after the last byte.
        await client.SendRawAsync(frame[..1]);
        time.Advance(TimeSpan.FromSeconds(5));
        await client.SendRawAsync(frame[1..3]);
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(RelayErrorCodes.Timeout, await client.ReadErrorCodeAsync());
    }

    [Fact]
    public async Task After_an_error_the_relay_reads_and_discards_what_the_client_still_sends()
    {
        await using var relay = TestRelay.Start();
        using TestClient client = await relay.ConnectAsync();
        await client.SendRawAsync([.. Frame(RelayControl.Kind, "{\"op\":\"dance\"}"), .. new byte[200_000]]);

        // Without the drain, unread bytes would turn the close into a reset and the error could be lost.
        Assert.Equal(RelayErrorCodes.BadRequest, await client.ReadErrorCodeAsync());
        Assert.Null(await client.ReadMessageOrEndAsync());
    }

    private static byte[] Frame(byte kind, string json, bool latin1 = false)
    {
        byte[] body = latin1 ? Encoding.Latin1.GetBytes(json) : Encoding.UTF8.GetBytes(json);
        return [(byte)((body.Length + 1) >> 8), (byte)(body.Length + 1), kind, .. body];
    }
}
