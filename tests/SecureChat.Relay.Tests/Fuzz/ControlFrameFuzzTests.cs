using System.Buffers.Binary;
using System.Net;
using System.Text;
using SecureChat.Relay.Control;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Tests.Fuzz;

/// <summary>
/// Random and mutated first frames (seeded, so a failure repeats): the relay never crashes, answers
/// an invalid frame with bad-request or by closing, and keeps serving everyone else.
/// </summary>
public sealed class ControlFrameFuzzTests
{
    private static readonly string[] Seeds =
    [
        "{\"op\":\"allocate\"}",
        "{\"op\":\"claim\",\"nameplate\":\"17\"}",
        "{\"op\":\"claim\",\"nameplate\":\"999999\",\"extra\":[1,2]}",
        "{\"status\":\"paired\"}",
    ];

    [Fact]
    public void The_pure_parser_only_ever_throws_a_bad_request()
    {
        var random = new Random(1313);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] body = MutatedBody(random);
            try
            {
                RelayMessage message = ControlFrameReader.Parse(body);
                Assert.True(message is RelayAllocate or RelayClaim);
            }
            catch (RelayRequestException e)
            {
                Assert.Equal(RelayErrorCodes.BadRequest, e.Code);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Fuzzed_first_frames_get_bad_request_or_a_close_and_the_relay_keeps_serving(int seed)
    {
        await using var relay = TestRelay.Start(o => o with { Exempt = [IPNetwork.Parse("127.0.0.0/8")] });
        (TestClient waiter, TestClient joiner, _) = await relay.PairAsync();
        using var w = waiter;
        using var j = joiner;
        var random = new Random(seed);

        for (int i = 0; i < 120; i++)
        {
            byte[] bytes = random.Next(4) == 0 ? RandomBytes(random) : Framed(random, MutatedBody(random));
            bool valid = IsValidRequest(bytes);
            using TestClient client = await relay.ConnectAsync();
            await client.SendRawAsync(bytes);
            client.ShutdownSend();

            RelayMessage? answer = await client.ReadMessageOrEndAsync();
            if (!valid)
            {
                Assert.True(answer is null or RelayError { Code: RelayErrorCodes.BadRequest }, $"case {i}: {Convert.ToHexString(bytes)} got {answer}");
            }
            else
            {
                Assert.False(answer is RelayError { Code: RelayErrorCodes.BadRequest }, $"case {i}: a valid request was refused: {Convert.ToHexString(bytes)}");
            }
        }

        // The pair made before the fuzz still forwards, and a new pair still forms.
        await joiner.SendRawAsync([1, 2, 3]);
        Assert.Equal([1, 2, 3], await waiter.ReadExactlyAsync(3));
        (TestClient w2, TestClient j2, _) = await relay.PairAsync();
        using var a = w2;
        using var b = j2;
        await w2.SendRawAsync([5]);
        Assert.Equal([5], await j2.ReadExactlyAsync(1));
    }

    /// <summary>A request the relay must accept: N in 1..1025, all of it sent, and a valid allocate or claim.</summary>
    private static bool IsValidRequest(byte[] bytes)
    {
        if (bytes.Length < 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        if (length is 0 or > RelayControl.MaxBodyLength || bytes.Length < 2 + length)
        {
            return false;
        }

        try
        {
            ControlFrameReader.Parse(bytes.AsSpan(2, length));
            return true;
        }
        catch (RelayRequestException)
        {
            return false;
        }
    }

    private static byte[] MutatedBody(Random random)
    {
        byte[] body = [RelayControl.Kind, .. Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)])];
        switch (random.Next(5))
        {
            case 0:
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    body[random.Next(body.Length)] ^= (byte)(1 << random.Next(8));
                }

                return body;
            case 1:
                return body[..random.Next(body.Length + 1)];
            case 2:
                byte[] junk = new byte[random.Next(1, 1100)];
                random.NextBytes(junk);
                return [.. body, .. junk];
            case 3:
                body[random.Next(body.Length)] = (byte)random.Next(256);
                return body;
            default:
                byte[] noise = new byte[random.Next(0, 64)];
                random.NextBytes(noise);
                return [RelayControl.Kind, .. noise];
        }
    }

    private static byte[] Framed(Random random, byte[] body)
    {
        int length = random.Next(8) == 0 ? random.Next(0, 65536) : body.Length;
        byte[] frame = [(byte)(length >> 8), (byte)length, .. body];
        return random.Next(6) == 0 ? frame[..random.Next(frame.Length + 1)] : frame;
    }

    private static byte[] RandomBytes(Random random)
    {
        byte[] bytes = new byte[random.Next(0, 2000)];
        random.NextBytes(bytes);
        return bytes;
    }
}
