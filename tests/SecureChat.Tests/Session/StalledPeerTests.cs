using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

/// <summary>A peer that stops reading must not be able to hold a session, its lock or its keys forever.</summary>
public class StalledPeerTests
{
    [Fact]
    public async Task A_peer_that_stops_reading_ends_the_session_within_the_idle_timeout_and_keys_are_erased()
    {
        var options = new SessionOptions
        {
            KeyLogFile = null,
            PingInterval = TimeSpan.FromMilliseconds(200),
            IdleTimeout = TimeSpan.FromSeconds(1),
        };
        // The stalled side itself is patient (it would otherwise give up first and hang up).
        var patient = new SessionOptions { KeyLogFile = null, PingInterval = TimeSpan.FromMilliseconds(200), IdleTimeout = TimeSpan.FromSeconds(60) };
        using var listener = Loopback.Listen();
        await using var proxy = new TamperingProxy(listener.Port(), (_, frame) => [frame]);
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, options);
        await using SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, patient);
        await using SecureChatSession server = await accept.WaitAsync(Loopback.Timeout);

        proxy.StallServerToClient();
        string big = new('x', SecureChatSession.MaxTextBytes);
        var started = DateTime.UtcNow;
        Exception? error = null;
        try
        {
            // Far more than the loopback socket buffers hold: the writes must block, then give up.
            for (int i = 0; i < 2000; i++)
            {
                await server.SendTextAsync(big).AsTask().WaitAsync(Loopback.Timeout);
            }
        }
        catch (ConnectionLostException e)
        {
            error = e;
        }

        Assert.NotNull(error);
        Assert.Contains("stopped reading", error!.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ConnectionLostException>(() => server.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
        Assert.True(server.KeysErased);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "the stalled write was not bounded");

        // Closing a failed session returns at once.
        await server.CloseAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    }
}
