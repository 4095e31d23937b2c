using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

/// <summary>A man in the middle rewrites the client's transport frames; the server must notice every time.</summary>
public class TamperingTests
{
    private const int Second = TamperingProxy.FirstTransportFrame + 1;

    public static TheoryData<string> Attacks => ["replay", "reorder", "drop", "bitflip", "truncate-tag"];

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Tampered_transport_frame_is_rejected_and_session_closes(string attack)
    {
        byte[]? held = null;
        IEnumerable<byte[]> Rewrite(int index, byte[] frame)
        {
            switch (attack)
            {
                case "replay" when index == Second:
                    return [frame, frame];
                case "reorder" when index == Second:
                    held = frame;
                    return [];
                case "reorder" when index == Second + 1:
                    return [frame, held!];
                case "drop" when index == Second:
                    return [];
                case "bitflip" when index == Second:
                    frame[frame.Length / 2] ^= 0x01;
                    return [frame];
                case "truncate-tag" when index == Second:
                    return [frame[..^1]];
                default:
                    return [frame];
            }
        }

        using var listener = Loopback.Listen();
        await using var proxy = new TamperingProxy(listener.Port(), Rewrite);
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options());
        await using SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Loopback.Options());
        await using SecureChatSession server = await accept.WaitAsync(Loopback.Timeout);

        await client.SendTextAsync("first");
        await client.SendTextAsync("second");
        await client.SendTextAsync("third");
        await client.SendTextAsync("fourth");

        Assert.Equal("first", (await server.NextAsync<TextReceived>()).Text);
        if (attack == "replay")
        {
            // The genuine copy is accepted once; the replayed copy is what fails.
            Assert.Equal("second", (await server.NextAsync<TextReceived>()).Text);
        }

        var error = await Assert.ThrowsAsync<IntegrityException>(() => server.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
        Assert.Contains("failed authentication", error.Message, StringComparison.Ordinal);
        Assert.True(server.KeysErased);

        // The fault is sticky.
        await Assert.ThrowsAsync<IntegrityException>(() => server.ReceiveAsync().AsTask());
        await Assert.ThrowsAsync<IntegrityException>(() => server.SendTextAsync("x").AsTask());

        // The server told the client, with an authenticated CLOSE, why it ended.
        var closed = await client.NextAsync<SessionClosed>();
        Assert.True(closed.ByPeer);
        Assert.Contains("integrity", closed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cut_connection_without_close_is_connection_lost_not_a_clean_end()
    {
        // The proxy forwards the handshake, then swallows everything and hangs up on the server.
        using var listener = Loopback.Listen();
        await using var proxy = new TamperingProxy(listener.Port(), (index, frame) => index >= TamperingProxy.FirstTransportFrame ? [] : [frame]);
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options());
        SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Loopback.Options());
        await using SecureChatSession server = await accept.WaitAsync(Loopback.Timeout);

        // The client's CLOSE never reaches the server; its connection just ends.
        await client.CloseAsync();
        var error = await Assert.ThrowsAsync<ConnectionLostException>(() => server.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
        Assert.Contains("without an authenticated goodbye", error.Message, StringComparison.Ordinal);
        Assert.True(server.KeysErased);
    }

    [Fact]
    public async Task A_forged_refusal_in_an_XX_session_is_tampering_not_a_wrong_passphrase()
    {
        // Server-to-client frame 0 is msg2; frame 1 is the first transport frame.
        using var listener = Loopback.Listen();
        byte[] forged = [.. "SCERR"u8, 5, .. "authentication failed"u8];
        await using var proxy = new TamperingProxy(listener.Port(), (_, frame) => [frame], (index, frame) => index == 1 ? [forged] : [frame]);
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Loopback.Options());
        await using SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Loopback.Options());
        await using SecureChatSession server = await accept.WaitAsync(Loopback.Timeout);
        await server.SendTextAsync("replaced on the way");
        await Assert.ThrowsAsync<IntegrityException>(() => client.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
    }
}
