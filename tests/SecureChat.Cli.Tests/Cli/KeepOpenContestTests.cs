using System.Net;
using System.Net.Sockets;
using SecureChat.Cli.Tests.Support;
using SecureChat.Session;

namespace SecureChat.Cli.Tests.Cli;

/// <summary>
/// A `listen --keep-open` server handshakes with several connections at once and keeps one chat at
/// a time: every connection either gets the chat or is told "busy" (an authenticated CLOSE after
/// its handshake, or a REFUSE); an idle handshake neither holds up another nor is cut off because
/// another won. Asserted by outcomes and events, never by timing.
/// </summary>
public class KeepOpenContestTests
{
    private const string ChatLine = "to the peer in the chat";

    private static SessionOptions Anonymous() => new() { KeyLogFile = null };

    /// <summary>True while the listener has neither answered nor closed the connection: its handshake is still waiting for the hello.</summary>
    private static bool Unanswered(Socket socket) => !socket.Poll(0, SelectMode.SelectRead);

    /// <summary>
    /// One connection's outcome: "chat" once the listener's line arrived, "closed busy" (handshake
    /// done, then the authenticated busy CLOSE), "refused busy" (REFUSE 4). The session, if any,
    /// is handed back open, so that the chat goes on until every other outcome is known.
    /// </summary>
    private static async Task<(string Outcome, SecureChatSession? Session)> OutcomeAsync(int port)
    {
        SecureChatSession session;
        try
        {
            session = await SecureChatSession.ConnectAsync("127.0.0.1", port, Anonymous());
        }
        catch (PeerRefusedException e) when (e.Code == RefusalCode.Busy)
        {
            return ("refused busy", null);
        }

        using var wait = new CancellationTokenSource(CliProcess.Timeout);
        SessionEvent first = await session.ReceiveAsync(wait.Token);
        string outcome = first switch
        {
            TextReceived { Text: ChatLine } => "chat",
            SessionClosed { ByPeer: true, Reason: { } reason } when reason.Contains("busy", StringComparison.Ordinal) => "closed busy",
            _ => $"unexpected: {first}",
        };
        return (outcome, session);
    }

    [Fact]
    public async Task Connections_handshaking_at_once_each_get_the_chat_or_are_told_busy()
    {
        using var serverHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--keep-open", "--handshake-timeout", "60");
        await using (listener)
        {
            // Four at once from one source: all within the per-source limit of handshake slots.
            Task<(string Outcome, SecureChatSession? Session)>[] connections = [.. Enumerable.Range(0, 4).Select(_ => Task.Run(() => OutcomeAsync(port)))];
            await listener.EventAsync("handshake");
            await listener.WriteLineAsync(ChatLine);
            (string Outcome, SecureChatSession? Session)[] outcomes = await Task.WhenAll(connections).WaitAsync(CliProcess.Timeout);
            try
            {
                Assert.Single(outcomes, o => o.Outcome == "chat");
                Assert.All(outcomes, o => Assert.Contains(o.Outcome, (string[])["chat", "closed busy", "refused busy"]));
            }
            finally
            {
                foreach (SecureChatSession? session in outcomes.Select(o => o.Session))
                {
                    if (session is not null)
                    {
                        await session.DisposeAsync();
                    }
                }
            }

            // One chat at a time, and the listener goes on: once that chat has ended and the
            // listener waits again (until then a newcomer is refused as busy), the next peer gets the next chat.
            await listener.EventAsync("closed");
            await listener.StderrContainsAsync("Waiting for the next peer");
            (string next, SecureChatSession? nextSession) = await NextChatAsync(listener, port);
            Assert.Equal("chat", next);
            await nextSession!.DisposeAsync();
        }
    }

    /// <summary>Connects and waits for the listener's line in the chat.</summary>
    private static async Task<(string Outcome, SecureChatSession? Session)> NextChatAsync(CliProcess listener, int port)
    {
        Task<(string Outcome, SecureChatSession? Session)> next = OutcomeAsync(port);
        await listener.EventAsync("handshake");
        await listener.WriteLineAsync(ChatLine);
        return await next.WaitAsync(CliProcess.Timeout);
    }

    [Fact]
    public async Task An_idle_handshake_holds_its_slot_while_another_peer_chats_and_a_newcomer_is_refused_busy()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--keep-open", "--handshake-timeout", "60");
        await using (listener)
        using (var idle = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await idle.ConnectAsync(IPAddress.Loopback, port);

            // The idle connection's handshake waits for its hello; a real peer's handshake completes meanwhile.
            await using CliProcess client = Launch.Connect(clientHome.Path, port);
            await client.EventAsync("handshake");
            await listener.EventAsync("handshake");
            Assert.True(Unanswered(idle), "the idle connection was answered or cut off when another peer won");

            // During the chat a newcomer is told busy, while the idle one still holds its slot.
            var busy = await Assert.ThrowsAsync<PeerRefusedException>(() =>
                SecureChatSession.ConnectAsync("127.0.0.1", port, Anonymous()).AsTask().WaitAsync(CliProcess.Timeout));
            Assert.Equal(RefusalCode.Busy, busy.Code);
            Assert.True(Unanswered(idle), "the idle connection lost its slot");

            // The chat itself is not disturbed by either.
            await client.WriteLineAsync("hello while others wait");
            Assert.Equal("hello while others wait", (await listener.EventAsync("received")).GetProperty("text").GetString());
            client.CloseInput();
            Assert.Equal(0, await client.ExitCodeAsync());
        }
    }
}
