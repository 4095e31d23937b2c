using System.Text;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

public class SessionTests
{
    [Fact]
    public async Task Messages_flow_both_ways_and_both_sides_agree_on_identity_and_code()
    {
        using var clientId = IdentityKeyPair.Generate();
        using var serverId = IdentityKeyPair.Generate();
        var (client, server) = await Loopback.PairAsync(
            new SessionOptions { Identity = clientId, KeyLogFile = null },
            new SessionOptions { Identity = serverId, KeyLogFile = null });
        await using (client)
        await using (server)
        {
            Assert.Equal("Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256", client.ProtocolName);
            Assert.Equal(client.ProtocolName, server.ProtocolName);
            Assert.Equal(serverId.Fingerprint, client.PeerFingerprint);
            Assert.Equal(clientId.Fingerprint, server.PeerFingerprint);
            Assert.Equal(client.SessionCode, server.SessionCode);
            Assert.Matches(@"^\d{4} \d{4} \d{4}$", client.SessionCode);
            Assert.StartsWith("securechat/", server.PeerHandshakePayload.GetProperty("software").GetString());

            await client.SendTextAsync("hello, server");
            await server.SendTextAsync("héllo, clïent 👋");
            await client.SendTextAsync("second");

            Assert.Equal("hello, server", (await server.NextAsync<TextReceived>()).Text);
            Assert.Equal("second", (await server.NextAsync<TextReceived>()).Text);
            Assert.Equal("héllo, clïent 👋", (await client.NextAsync<TextReceived>()).Text);
        }
    }

    [Fact]
    public async Task Many_messages_each_with_its_own_key_arrive_in_order()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            Task sender = Task.Run(async () =>
            {
                for (int i = 0; i < 500; i++)
                {
                    await client.SendTextAsync($"message {i}");
                }
            });
            for (int i = 0; i < 500; i++)
            {
                Assert.Equal($"message {i}", (await server.NextAsync<TextReceived>()).Text);
            }

            await sender;
        }
    }

    [Fact]
    public async Task Largest_message_arrives_and_one_byte_more_is_refused_without_ending_the_session()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            string largest = new('x', SecureChatSession.MaxTextBytes);
            await client.SendTextAsync(largest);
            Assert.Equal(largest, (await server.NextAsync<TextReceived>()).Text);

            var error = await Assert.ThrowsAsync<ArgumentException>(() => client.SendTextAsync(largest + "y").AsTask());
            Assert.Contains("65,518", error.Message, StringComparison.Ordinal);

            await client.SendTextAsync("still here");
            Assert.Equal("still here", (await server.NextAsync<TextReceived>()).Text);
        }
    }

    [Fact]
    public async Task Close_is_authenticated_and_reported_as_a_clean_end_on_both_sides()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await client.SendTextAsync("bye soon");
        await client.CloseAsync("done");
        Assert.True(client.KeysErased);

        Assert.Equal("bye soon", (await server.NextAsync<TextReceived>()).Text);
        var closed = await server.NextAsync<SessionClosed>();
        Assert.True(closed.ByPeer);
        Assert.Equal("done", closed.Reason);
        Assert.True(server.KeysErased);

        // Later calls keep reporting the end; sending is refused.
        Assert.IsType<SessionClosed>(await server.ReceiveAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => server.SendTextAsync("x").AsTask());
        var local = await client.NextAsync<SessionClosed>();
        Assert.False(local.ByPeer);
        await server.DisposeAsync();
    }

    [Fact]
    public async Task Idle_peer_is_pinged_and_a_silent_one_times_out()
    {
        var fast = new SessionOptions { KeyLogFile = null, PingInterval = TimeSpan.FromMilliseconds(100), IdleTimeout = TimeSpan.FromMilliseconds(400) };
        var (client, server) = await Loopback.PairAsync(fast, fast);
        await using (client)
        await using (server)
        {
            // Both sides ping each other, so neither times out while idle.
            await Task.Delay(1200);
            await client.SendTextAsync("still alive");
            Assert.Equal("still alive", (await server.NextAsync<TextReceived>()).Text);
        }
    }

    [Fact]
    public async Task Texts_with_invalid_utf8_are_never_produced_and_control_characters_arrive_verbatim_for_the_caller_to_sanitise()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            string tricky = "\u001b[31mred\u001b[0m\r\n\u0007";
            await client.SendTextAsync(tricky);
            Assert.Equal(tricky, (await server.NextAsync<TextReceived>()).Text);
            Assert.Equal(Encoding.UTF8.GetByteCount(tricky), Encoding.UTF8.GetBytes(tricky).Length);
        }
    }
}
