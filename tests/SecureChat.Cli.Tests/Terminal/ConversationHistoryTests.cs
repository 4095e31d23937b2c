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

    private readonly FakeConsole _console = new();
    private readonly TerminalInput _input;
    private readonly JsonOutput _output = new(new StringWriter(), new StringWriter());

    public ConversationHistoryTests() => _input = new TerminalInput(_console);

    public void Dispose() => _input.Dispose();

    /// <summary>A session that records what is sent and ends when the test says the peer left.</summary>
    private sealed class RecordingSession : IChatSession
    {
        private readonly Channel<SessionEvent> _events = Channel.CreateUnbounded<SessionEvent>();
        private readonly Channel<string> _sent = Channel.CreateUnbounded<string>();

        public bool IsInitiator => false;

        public string ProtocolName => "recording";

        public bool KeysErased { get; private set; }

        public ValueTask<SentText> SendTextAsync(string text, CancellationToken cancellationToken = default)
        {
            _sent.Writer.TryWrite(text);
            return ValueTask.FromResult(new SentText(DateTimeOffset.Now, null));
        }

        public ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken = default) => _events.Reader.ReadAsync(cancellationToken);

        public ValueTask CloseAsync(string? reason = null, CancellationToken cancellationToken = default)
        {
            _events.Writer.TryWrite(new SessionClosed(ByPeer: false, reason));
            return ValueTask.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            KeysErased = true;
            return ValueTask.CompletedTask;
        }

        public void PeerLeaves() => _events.Writer.TryWrite(new SessionClosed(ByPeer: true, Reason: null));

        public async Task<string> NextSentAsync() => await _sent.Reader.ReadAsync().AsTask().WaitAsync(Timeout);
    }

    [Fact]
    public async Task Up_and_Enter_in_the_next_chat_does_not_resend_the_previous_peers_line()
    {
        var alice = new RecordingSession();
        Task<ConversationEnd> first = new Conversation(alice, _input, _output, "alice").RunAsync(CancellationToken.None);
        _console.Feed([.. TestKeys.Text("for alice only"), TestKeys.Enter]);
        Assert.Equal("for alice only", await alice.NextSentAsync());
        alice.PeerLeaves();
        await first.WaitAsync(Timeout);

        var bob = new RecordingSession();
        Task<ConversationEnd> second = new Conversation(bob, _input, _output, "bob").RunAsync(CancellationToken.None);
        _console.Feed(TestKeys.Up, TestKeys.Enter); // an empty history gives an empty line, which sends nothing
        _console.Feed([.. TestKeys.Text("hello bob"), TestKeys.Enter]);
        Assert.Equal("hello bob", await bob.NextSentAsync());
        bob.PeerLeaves();
        await second.WaitAsync(Timeout);
    }
}
