using System.Net.Sockets;
using SecureChat.Identity;
using SecureChat.Relay.Tests.Support;
using SecureChat.Rendezvous;
using SecureChat.Session;

namespace SecureChat.Relay.Tests.Session;

/// <summary>A real protocol v2 session (CPace over the code, the nameplate as channel) through the relay, byte for byte.</summary>
public sealed class RelayedSessionTests
{
    [Fact]
    public async Task A_v2_session_with_a_code_runs_through_the_relay_and_its_bytes_are_counted()
    {
        await using var relay = TestRelay.Start();
        (TestClient waiter, string nameplate) = await relay.AllocateAsync();
        using var w = waiter;
        using TestClient joiner = await relay.ConnectAsync();
        await joiner.SendAsync(new RelayClaim(nameplate));
        Assert.IsType<RelayPaired>(await waiter.ReadMessageAsync());
        Assert.IsType<RelayPaired>(await joiner.ReadMessageAsync());

        using var listenerCode = Passphrase.FromChars($"{nameplate}-aardvark-adroitness");
        using var joinerCode = Passphrase.FromChars($"{nameplate}-aardvark-adroitness");
        using var stop = new CancellationTokenSource(TestClient.Guard);
        Task<SecureChatSession> accept = SecureChatSession.AcceptAsync(new NetworkStream(waiter.Socket), Options(listenerCode, nameplate), stop.Token).AsTask();
        SecureChatSession client = await SecureChatSession.ConnectAsync(new NetworkStream(joiner.Socket), Options(joinerCode, nameplate), stop.Token);
        SecureChatSession server = await accept;
        await using (client)
        await using (server)
        {
            Assert.Equal(client.SessionCode, server.SessionCode);
            await client.SendTextAsync("through the relay");
            Assert.Equal("through the relay", Assert.IsType<TextReceived>(await server.ReceiveAsync(stop.Token)).Text);
            await server.SendTextAsync("and back");
            Assert.Equal("and back", Assert.IsType<TextReceived>(await client.ReceiveAsync(stop.Token)).Text);
        }

        PairClosed closed = await relay.Events.WaitForAsync<PairClosed>();
        Assert.True(closed.BytesToWaiter > 1_184 && closed.BytesToJoiner > 1_088, "the handshake's ML-KEM messages crossed the relay");
    }

    private static SessionOptions Options(Passphrase code, string nameplate) => new()
    {
        Passphrase = code,
        PakeChannel = nameplate,
        KeyLogFile = null,
    };
}
