using System.Text.Json;
using SecureChat.Cli.Commands;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Tests.Output;

/// <summary>How each peer status is shown: the words for people and the JSON "peer_status" values (README, "JSON events").</summary>
public class PeerTrustOutputTests
{
    private const string Phrase = "recorded by an older version, not confirmed: compare the session code";

    [Theory]
    [InlineData(PeerTrust.New, "new")]
    [InlineData(PeerTrust.Known, "known")]
    [InlineData(PeerTrust.Ephemeral, "ephemeral")]
    [InlineData(PeerTrust.Unverified, "unverified")]
    [InlineData(PeerTrust.OlderVersionUnconfirmed, "older-version-unconfirmed")]
    [InlineData(PeerTrust.Code, "code")]
    public void Json_handshake_event_names_every_peer_status(PeerTrust trust, string expected)
    {
        var stdout = new StringWriter();
        new JsonOutput(stdout, new StringWriter()).Handshake(new FakeSession(trust), remembered: false);
        using JsonDocument line = JsonDocument.Parse(stdout.ToString());
        Assert.Equal("handshake", line.RootElement.GetProperty("event").GetString());
        Assert.Equal(expected, line.RootElement.GetProperty("peer_status").GetString());
    }

    [Fact]
    public void Every_peer_trust_value_has_a_json_name()
    {
        foreach (PeerTrust trust in Enum.GetValues<PeerTrust>())
        {
            Assert.Matches("^[a-z-]+$", JsonOutput.PeerStatusName(trust));
        }
    }

    [Fact]
    public void Human_handshake_says_older_version_unconfirmed_in_those_words_and_asks_to_compare_the_code()
    {
        Assert.Equal(Phrase, HumanOutput.OlderVersionUnconfirmed);
        var stdout = new StringWriter();
        new HumanOutput(stdout, new StringWriter(), color: false).Handshake(new FakeSession(PeerTrust.OlderVersionUnconfirmed), remembered: false);
        string shown = stdout.ToString();
        Assert.Contains($"Peer fingerprint: {FakeSession.Peer}  NOT CONFIRMED ({Phrase})", shown, StringComparison.Ordinal);
        Assert.Contains("it must be the same on both screens", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("now remembered", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_warning_for_an_older_version_pin_names_both_keys_and_how_to_move_on()
    {
        string warning = ConnectCommand.OlderVersionWarning(new PeerAddress("server", 5555), "SHA256:old", "SHA256:new");
        Assert.Contains($"The key remembered for server:5555 (SHA256:old) was {Phrase}", warning, StringComparison.Ordinal);
        Assert.Contains("SHA256:new", warning, StringComparison.Ordinal);
        Assert.Contains("nothing was remembered", warning, StringComparison.Ordinal);
        Assert.Contains("securechat peers forget server:5555", warning, StringComparison.Ordinal);
    }

    private sealed class FakeSession(PeerTrust trust) : IAuthenticatedSession
    {
        public const string Peer = "SHA256:peerpeerpeerpeerpeerpeerpeerpeerpeerpeerpee";

        public bool IsInitiator => true;

        public string ProtocolName => "Noise_test";

        public bool KeysErased => false;

        public string LocalFingerprint => "SHA256:selfselfselfselfselfselfselfselfselfselfsel";

        public string PeerFingerprint => Peer;

        public string SessionCode => "1234 5678 9012";

        public JsonElement PeerHandshakePayload => default;

        public PeerTrust PeerTrust => trust;

        public ValueTask<SentText> SendTextAsync(string text, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public ValueTask CloseAsync(string? reason = null, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
