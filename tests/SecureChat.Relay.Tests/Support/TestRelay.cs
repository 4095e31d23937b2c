using System.Net;
using SecureChat.Relay.Nameplates;

namespace SecureChat.Relay.Tests.Support;

/// <summary>A relay on 127.0.0.1 with a free port, recording its events; disposed at the end of a test.</summary>
internal sealed class TestRelay : IAsyncDisposable
{
    private TestRelay(RelayServer server, EventRecorder events)
    {
        Server = server;
        Events = events;
    }

    public RelayServer Server { get; }

    public EventRecorder Events { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Server.LocalEndPoint.Port);

    /// <summary>Starts a relay; <paramref name="configure"/> changes the options (the end point is set here).</summary>
    public static TestRelay Start(Func<RelayOptions, RelayOptions>? configure = null, INameplateRegistry? registry = null, int openFileLimit = 20_000)
    {
        var options = new RelayOptions { EndPoint = new IPEndPoint(IPAddress.Loopback, 0) };
        options = configure?.Invoke(options) ?? options;
        var events = new EventRecorder();
        var server = new RelayServer(options, registry, events.Record, openFileLimit);
        server.Start();
        return new TestRelay(server, events);
    }

    /// <summary>A connected client.</summary>
    public Task<TestClient> ConnectAsync() => TestClient.ConnectAsync(EndPoint);

    /// <summary>A waiter that has its nameplate.</summary>
    public async Task<(TestClient Waiter, string Nameplate)> AllocateAsync()
    {
        TestClient waiter = await ConnectAsync();
        await waiter.SendAsync(new SecureChat.Rendezvous.RelayAllocate());
        var allocated = Assert.IsType<SecureChat.Rendezvous.RelayAllocated>(await waiter.ReadMessageAsync());
        return (waiter, allocated.Nameplate);
    }

    /// <summary>A waiter and a joiner after both got "paired".</summary>
    public async Task<(TestClient Waiter, TestClient Joiner, string Nameplate)> PairAsync()
    {
        (TestClient waiter, string nameplate) = await AllocateAsync();
        TestClient joiner = await ConnectAsync();
        await joiner.SendAsync(new SecureChat.Rendezvous.RelayClaim(nameplate));
        Assert.IsType<SecureChat.Rendezvous.RelayPaired>(await waiter.ReadMessageAsync());
        Assert.IsType<SecureChat.Rendezvous.RelayPaired>(await joiner.ReadMessageAsync());
        return (waiter, joiner, nameplate);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
