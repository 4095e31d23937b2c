using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;
using Xunit.Abstractions;

namespace SecureChat.Tests.Fuzz;

/// <summary>
/// The authenticated but hostile peer: well-encrypted transport messages whose type and body are
/// mutated (texts, PINGs, every file-transfer message, unknown types), each followed by a sentinel
/// text. The receiving session must deliver exactly what was sent or end with a
/// <see cref="SecureChatException"/>; never another exception, never a hang. Cheap per input, so a
/// long run reaches millions: SECURECHAT_FUZZ_PLAINTEXT=1000000 (docs/PERFORMANCE.md).
/// </summary>
public class PlaintextFuzzTests(ITestOutputHelper log)
{
    private static int Inputs =>
        int.TryParse(Environment.GetEnvironmentVariable("SECURECHAT_FUZZ_PLAINTEXT"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 5000;

    private static readonly (byte Type, byte[] Body)[] Corpus =
    [
        (0x01, "hello, this is a text"u8.ToArray()),
        (0x03, [1, 2, 3, 4, 5, 6, 7, 8]),
        (0x04, [8, 7, 6, 5, 4, 3, 2, 1]),
        (0x10, "{\"id\":1,\"name\":\"report.pdf\",\"size\":1234,\"sha256\":\"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"}"u8.ToArray()),
        (0x11, "{\"id\":2,\"offset\":0}"u8.ToArray()),
        (0x12, "{\"id\":2,\"reason\":\"no\"}"u8.ToArray()),
        (0x13, [0, 0, 0, 1, 10, 20, 30, 40]),
        (0x14, "{\"id\":1}"u8.ToArray()),
        (0x15, "{\"id\":1,\"reason\":\"stop\"}"u8.ToArray()),
        (0x7F, [1, 2, 3]),
    ];

    private static (byte Type, byte[] Body) Mutate(Random random)
    {
        var (type, original) = Corpus[random.Next(Corpus.Length)];
        byte[] body = (byte[])original.Clone();
        for (int round = random.Next(1, 4); round > 0; round--)
        {
            switch (random.Next(7))
            {
                case 0 when body.Length > 0:
                    body[random.Next(body.Length)] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when body.Length > 0:
                    body[random.Next(body.Length)] = (byte)random.Next(256);
                    break;
                case 2:
                    body = body[..random.Next(body.Length + 1)];
                    break;
                case 3:
                    byte[] tail = new byte[random.Next(1, 40)];
                    random.NextBytes(tail);
                    body = [.. body, .. tail];
                    break;
                case 4 when body.Length > 0:
                    // JSON-ish splices: digits, quotes, braces, huge numbers.
                    string[] tokens = ["-1", "1e9", "4294967296", "9007199254740993", "\"", "{", "}", "null", "[]", "\\ud800", "0.5", "\"id\":3,"];
                    int at = random.Next(body.Length);
                    body = [.. body[..at], .. Encoding.UTF8.GetBytes(tokens[random.Next(tokens.Length)]), .. body[at..]];
                    break;
                case 5:
                    type = (byte)(random.Next(2) == 0 ? random.Next(0x10, 0x16) : random.Next(256));
                    break;
                default:
                    break;
            }
        }

        if (type == 0x02)
        {
            type = 0x01; // CLOSE would end the conversation on purpose: not a fault to find
        }

        return (type, body);
    }

    [Fact]
    public async Task Hostile_authenticated_messages_never_crash_hang_or_forge_a_text()
    {
        var random = new Random(4321);
        var outcomes = new Dictionary<string, int>();
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        try
        {
            for (int i = 0; i < Inputs; i++)
            {
                var (type, body) = Mutate(random);
                string sentinel = "sentinel " + i.ToString(CultureInfo.InvariantCulture);
                string outcome;
                try
                {
                    await client.SendRawForTestsAsync(type, body);
                    await client.SendTextAsync(sentinel);
                    outcome = await ReadUntilSentinelAsync(server, type, body, sentinel);
                }
                catch (SecureChatException e)
                {
                    outcome = "ended:" + e.GetType().Name;
                }
                catch (InvalidOperationException)
                {
                    outcome = "ended:closed"; // the client's session was closed by the server's fault
                }

                outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
                if (outcome.StartsWith("ended:", StringComparison.Ordinal))
                {
                    await client.DisposeAsync();
                    await server.DisposeAsync();
                    (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
                }
            }
        }
        finally
        {
            await client.DisposeAsync();
            await server.DisposeAsync();
        }

        log.WriteLine($"{Inputs} inputs: " + string.Join(", ", outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}")));
        Assert.Contains(outcomes.Keys, k => k.StartsWith("ended:", StringComparison.Ordinal));
        Assert.Contains("delivered", outcomes.Keys);
    }

    /// <summary>Events until the sentinel text; a text before it must be exactly the fuzzed TEXT body.</summary>
    private static async Task<string> ReadUntilSentinelAsync(SecureChatSession server, byte type, byte[] body, string sentinel)
    {
        string outcome = "ignored";
        while (true)
        {
            SessionEvent evt = await server.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout);
            switch (evt)
            {
                case TextReceived { Text: var text } when text == sentinel:
                    return outcome;
                case TextReceived { Text: var text }:
                    Assert.Equal(0x01, type);
                    Assert.Equal(body, Encoding.UTF8.GetBytes(text));
                    outcome = "delivered";
                    break;
                case PeerWarning:
                    outcome = "warned";
                    break;
                case FileOffered offer:
                    Assert.Equal(0x10, type);
                    Assert.False(string.IsNullOrEmpty(offer.Name));
                    outcome = "offer";
                    break;
                case SessionClosed:
                    return "ended:closed";
                default:
                    outcome = evt.GetType().Name;
                    break;
            }
        }
    }
}
