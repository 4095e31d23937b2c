using System.Threading.Channels;
using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;
using SecureChat.Cli.Terminal;
using SecureChat.Session;

namespace SecureChat.Cli.Tests.Terminal;

/// <summary>
/// listen --keep-open serves one peer after another with the same line editor: Up+Enter in the
/// second chat must not recall (and resend) a line typed to the first peer.
/// </summary>
public sealed class ConversationHistoryTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly FakeConsole console = new();
    private readonly TerminalInput input;
    private readonly JsonOutput output = new(new StringWriter(), new StringWriter());

    public ConversationHistoryTests() => input = new TerminalInput(console);

    public void Dispose() => input.Dispose();

    /// <summary>A session that records what is sent and ends when the test says the peer left.</summary>
    private sealed class RecordingSession : IChatSession
    {
        private readonly Channel<SessionEvent> events = Channel.CreateUnbounded<SessionEvent>();
        private readonly Channel<string> sent = Channel.CreateUnbounded<string>();

        public bool IsInitiator => false;

        public string ProtocolName => "recording";

        public bool KeysErased { get; private set; }

        public ValueTask<SentText> SendTextAsync(string text, CancellationToken cancellationToken = default)
        {
            sent.Writer.TryWrite(text);
            return ValueTask.FromResult(new SentText(DateTimeOffset.Now, null));
        }

        public ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken = default) => events.Reader.ReadAsync(cancellationToken);

        public ValueTask CloseAsync(string? reason = null, CancellationToken cancellationToken = default)
        {
            events.Writer.TryWrite(new SessionClosed(ByPeer: false, reason));
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            KeysErased = true;
            return ValueTask.CompletedTask;
        }

        public void PeerLeaves() => events.Writer.TryWrite(new SessionClosed(ByPeer: true, Reason: null));

        public async Task<string> NextSentAsync() => await sent.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public async Task Up_and_Enter_in_the_next_chat_does_not_resend_the_previous_peers_line()
    {
        var alice = new RecordingSession();
        Task<ConversationEnd> first = new Conversation(alice, input, output, "alice").RunAsync(CancellationToken.None);
        console.Feed([.. TestKeys.Text("for alice only"), TestKeys.Enter]);
        Assert.Equal("for alice only", await alice.NextSentAsync());
        alice.PeerLeaves();
        await first.WaitAsync(Timeout);

        var bob = new RecordingSession();
        Task<ConversationEnd> second = new Conversation(bob, input, output, "bob").RunAsync(CancellationToken.None);
        console.Feed(TestKeys.Up, TestKeys.Enter); // an empty history gives an empty line, which sends nothing
        console.Feed([.. TestKeys.Text("hello bob"), TestKeys.Enter]);
        Assert.Equal("hello bob", await bob.NextSentAsync());
        bob.PeerLeaves();
        await second.WaitAsync(Timeout);
    }
}
