using System.Net.Sockets;
using System.Text;
using SecureChat.Rendezvous;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Trust;

namespace SecureChat.Tests.Rendezvous;

/// <summary>The relay client against a fake relay that speaks the protocol of issue 13: pairing, every error, redirects, and a relay that breaks the rules.</summary>
public sealed class RelayClientTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static PeerAddress At(FakeRelay relay) => new("127.0.0.1", relay.Port);

    [Fact]
    public async Task Waiter_and_joiner_are_paired_and_bytes_pass_both_ways()
    {
        await using var relay = FakeRelay.Start();
        using RelayAllocation allocation = await RelayClient.AllocateAsync(At(relay));
        Assert.Equal("17", allocation.Nameplate);
        Assert.Equal(TimeSpan.FromSeconds(600), allocation.ExpiresIn);
        Task<Stream> waiting = allocation.WaitForPeerAsync();
        await using Stream joiner = await RelayClient.ClaimAsync(At(relay), "17").WaitAsync(Timeout);
        await using Stream waiter = await waiting.WaitAsync(Timeout);

        await joiner.WriteAsync("hello"u8.ToArray());
        byte[] received = new byte[5];
        await waiter.ReadExactlyAsync(received).AsTask().WaitAsync(Timeout);
        Assert.Equal("hello", Encoding.ASCII.GetString(received));
        await waiter.WriteAsync("back"u8.ToArray());
        byte[] back = new byte[4];
        await joiner.ReadExactlyAsync(back).AsTask().WaitAsync(Timeout);
        Assert.Equal("back", Encoding.ASCII.GetString(back));
    }

    [Fact]
    public async Task A_code_session_runs_through_the_relay_with_the_nameplate_as_channel()
    {
        await using var relay = FakeRelay.Start();
        using RelayAllocation allocation = await RelayClient.AllocateAsync(At(relay));
        using Code listenerCode = Code.Generate(allocation.Nameplate);
        Assert.True(Code.TryParse(listenerCode.ToDisplayString().ToUpperInvariant().Replace('-', ' '), withNameplate: true, out Code? joinerCode, out _));
        using (joinerCode)
        {
            Task<SecureChatSession> responder = Task.Run(async () => await SecureChatSession.AcceptAsync(
                await allocation.WaitForPeerAsync(),
                new SessionOptions { Passphrase = listenerCode.Passphrase, PakeChannel = listenerCode.PakeChannel }));
            Stream stream = await RelayClient.ClaimAsync(At(relay), joinerCode.Nameplate!);
            await using SecureChatSession initiator = await SecureChatSession.ConnectAsync(stream, new SessionOptions { Passphrase = joinerCode.Passphrase, PakeChannel = joinerCode.PakeChannel }).AsTask().WaitAsync(Timeout);
            await using SecureChatSession accepted = await responder.WaitAsync(Timeout);
            Assert.Equal(initiator.SessionCode, accepted.SessionCode);
        }
    }

    [Fact]
    public async Task A_wrong_code_fails_authentication_and_spends_the_attempt_on_both_sides()
    {
        await using var relay = FakeRelay.Start();
        using RelayAllocation allocation = await RelayClient.AllocateAsync(At(relay));
        using Code listenerCode = Code.Generate(allocation.Nameplate);
        Assert.True(Code.TryParse(listenerCode.ToDisplayString() == "17-aardvark-adroitness" ? "17-absurd-adroitness" : "17-aardvark-adroitness", true, out Code? wrong, out _));
        using (wrong)
        {
            Task<SecureChatSession> responder = Task.Run(async () => await SecureChatSession.AcceptAsync(
                await allocation.WaitForPeerAsync(),
                new SessionOptions { Passphrase = listenerCode.Passphrase, PakeChannel = listenerCode.PakeChannel }));
            Stream stream = await RelayClient.ClaimAsync(At(relay), "17");
            SecureChatException joinerError = await Assert.ThrowsAnyAsync<SecureChatException>(() => SecureChatSession.ConnectAsync(stream, new SessionOptions { Passphrase = wrong.Passphrase, PakeChannel = "17" }).AsTask().WaitAsync(Timeout));
            AuthenticationFailedException listenerError = await Assert.ThrowsAsync<AuthenticationFailedException>(() => responder.WaitAsync(Timeout));
            Assert.True(joinerError.PassphraseAttemptSpent);
            Assert.True(listenerError.PassphraseAttemptSpent);
            Assert.Equal(AuthenticationFailure.WrongPassphrase, listenerError.Reason);
        }
    }

    [Fact]
    public async Task The_same_words_under_another_nameplate_do_not_authenticate()
    {
        // The nameplate is the CPace channel: a relay that pairs a joiner of nameplate 18 with the
        // waiter of 17 (or re-labels the code) makes the handshake fail, it does not go through.
        using Code waiter = Code.Generate("17");
        string words = waiter.ToDisplayString()[3..];
        Assert.True(Code.TryParse("18-" + words, withNameplate: true, out Code? joiner, out _));
        using (joiner)
        {
            await Assert.ThrowsAnyAsync<SecureChatException>(() => Loopback.PairAsync(
                new SessionOptions { Passphrase = joiner.Passphrase, PakeChannel = joiner.PakeChannel },
                new SessionOptions { Passphrase = waiter.Passphrase, PakeChannel = waiter.PakeChannel }));
        }

        Assert.True(Code.TryParse(waiter.ToDisplayString(), withNameplate: true, out Code? copy, out _));
        using (copy)
        {
            await Assert.ThrowsAnyAsync<SecureChatException>(() => Loopback.PairAsync(
                new SessionOptions { Passphrase = copy.Passphrase, PakeChannel = "18" },
                new SessionOptions { Passphrase = waiter.Passphrase, PakeChannel = "17" }));
        }
    }

    [Fact]
    public async Task A_claim_of_a_nameplate_nobody_waits_under_says_someone_may_have_used_the_code()
    {
        await using var relay = FakeRelay.Start();
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(At(relay), "17"));
        Assert.Equal(RelayFailure.UnknownNameplate, e.Reason);
        Assert.Contains("nobody is waiting under 17 — if you just got this code, someone else may have used it", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RelayErrorCodes.Busy, RelayFailure.Refused)]
    [InlineData(RelayErrorCodes.RateLimited, RelayFailure.Refused)]
    [InlineData(RelayErrorCodes.BadRequest, RelayFailure.Refused)]
    [InlineData(RelayErrorCodes.Impatient, RelayFailure.Refused)]
    [InlineData(RelayErrorCodes.Timeout, RelayFailure.Timeout)]
    [InlineData(RelayErrorCodes.UnknownNameplate, RelayFailure.UnknownNameplate)]
    [InlineData("something-new", RelayFailure.Refused)]
    public async Task Every_relay_error_becomes_a_typed_exception_for_claims_and_allocations(string code, RelayFailure reason)
    {
        await using var relay = FakeRelay.Start();
        relay.ClaimAnswer = _ => FakeRelay.Frame(new RelayError(code, "\u001b[31mred"));
        relay.AllocateAnswer = () => FakeRelay.Frame(new RelayError(code, "x"));
        RelayException claim = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(At(relay), "17"));
        Assert.Equal(reason, claim.Reason);
        Assert.Equal(code, claim.RelayCode);
        Assert.Equal("\u001b[31mred", claim.RelayMessageText);
        Assert.DoesNotContain("\u001b", claim.Message, StringComparison.Ordinal);
        RelayException allocate = await Assert.ThrowsAsync<RelayException>(() => RelayClient.AllocateAsync(At(relay)));
        Assert.Equal(code, allocate.RelayCode);
    }

    [Fact]
    public async Task A_redirect_is_followed_once_and_the_claim_is_made_again_there()
    {
        await using var target = FakeRelay.Start();
        await using var first = FakeRelay.Start();
        first.ClaimAnswer = _ => FakeRelay.Frame(new RelayRedirect(target.Address));
        using RelayAllocation allocation = await RelayClient.AllocateAsync(At(target));
        Task<Stream> waiting = allocation.WaitForPeerAsync();
        await using Stream joiner = await RelayClient.ClaimAsync(At(first), allocation.Nameplate).WaitAsync(Timeout);
        await using Stream waiter = await waiting.WaitAsync(Timeout);
        Assert.Equal(1, first.Claims);
        Assert.Equal(1, target.Claims);
    }

    [Fact]
    public async Task A_second_redirect_is_not_followed()
    {
        await using var third = FakeRelay.Start();
        await using var second = FakeRelay.Start();
        await using var first = FakeRelay.Start();
        first.ClaimAnswer = _ => FakeRelay.Frame(new RelayRedirect(second.Address));
        second.ClaimAnswer = _ => FakeRelay.Frame(new RelayRedirect(third.Address));
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(At(first), "17"));
        Assert.Equal(RelayFailure.RedirectRefused, e.Reason);
        Assert.Equal(1, second.Claims);
        Assert.Equal(0, third.Claims);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("[::ffff:192.168.0.1]")]
    [InlineData("[fd00::1]")]
    [InlineData("localhost")]
    public async Task A_public_relay_may_not_redirect_to_a_non_public_address(string host)
    {
        await using var target = FakeRelay.Start();
        await using var first = FakeRelay.Start();
        first.ClaimAnswer = _ => FakeRelay.Frame(new RelayRedirect($"{host}:{target.Port}"));
        var options = new RelayClientOptions { TreatFirstRelayAsPublic = true, ConnectTimeout = TimeSpan.FromSeconds(5) };
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(At(first), "17", options));
        Assert.Equal(RelayFailure.RedirectRefused, e.Reason);
        Assert.Equal(0, target.Claims);
    }

    [Theory]
    [InlineData("not an address at all")]
    [InlineData("[::1")]
    public async Task A_redirect_to_something_that_is_not_host_port_is_refused(string address)
    {
        await using var first = FakeRelay.Start();
        first.ClaimAnswer = _ => FakeRelay.Frame(new RelayRedirect(address));
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(At(first), "17"));
        Assert.Equal(RelayFailure.RedirectRefused, e.Reason);
    }

    public static TheoryData<byte[]> Garbage() =>
    [
        [0x00, 0x05, 0x02, 1, 2, 3, 4], // a handshake frame, not a control frame
        [0xff, 0xff, 0x10], // longer than a control frame may be
        [0x00, 0x00], // empty
        [0x00, 0x03, 0x10, (byte)'{', (byte)'}'], // no status
        [0x00, 0x03, 0x10, (byte)'[', (byte)']'], // not an object
        [.. FakeRelay.Frame(new RelayAllocated("17", 600))], // an answer for the other side
    ];

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task A_relay_that_breaks_the_protocol_is_a_protocol_violation(byte[] answer)
    {
        await using var relay = FakeRelay.Start();
        relay.ClaimAnswer = _ => answer;
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(At(relay), "17"));
        Assert.Equal(RelayFailure.ProtocolViolation, e.Reason);
    }

    [Fact]
    public async Task An_absurd_expiry_from_the_relay_is_capped()
    {
        await using var relay = FakeRelay.Start();
        relay.AllocateAnswer = () => FakeRelay.Frame(new RelayAllocated("17", int.MaxValue));
        using RelayAllocation allocation = await RelayClient.AllocateAsync(At(relay));
        Assert.Equal(RelayAllocation.MaxExpiresIn, allocation.ExpiresIn);
    }

    [Fact]
    public async Task An_allocation_answered_with_a_redirect_is_a_protocol_violation()
    {
        await using var relay = FakeRelay.Start();
        relay.AllocateAnswer = () => FakeRelay.Frame(new RelayRedirect("127.0.0.1:1"));
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.AllocateAsync(At(relay)));
        Assert.Equal(RelayFailure.ProtocolViolation, e.Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_bytes_after_paired_stay_in_the_stream_for_the_session_whole_or_byte_by_byte(bool trickle)
    {
        await using var relay = FakeRelay.Start();
        relay.Trickle = trickle;
        relay.ClaimAnswer = _ => [.. FakeRelay.Frame(new RelayPaired()), .. "\u0000\u0003\u0001abc"u8.ToArray()];
        await using Stream stream = await RelayClient.ClaimAsync(At(relay), "17").WaitAsync(Timeout);
        byte[] next = new byte[6];
        await stream.ReadExactlyAsync(next).AsTask().WaitAsync(Timeout);
        Assert.Equal(new byte[] { 0, 3, 1, (byte)'a', (byte)'b', (byte)'c' }, next);
    }

    [Theory]
    [InlineData(RelayErrorCodes.UnknownNameplate, RelayFailure.UnknownNameplate)]
    [InlineData(RelayErrorCodes.Busy, RelayFailure.Refused)]
    public async Task An_error_sent_byte_by_byte_is_read_whole(string code, RelayFailure reason)
    {
        await using var relay = FakeRelay.Start();
        relay.Trickle = true;
        relay.ClaimAnswer = _ => FakeRelay.Frame(new RelayError(code, "slowly"));
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(At(relay), "17"));
        Assert.Equal(reason, e.Reason);
        Assert.Equal("slowly", e.RelayMessageText);
    }

    [Fact]
    public async Task A_relay_that_hangs_up_without_answering_is_closed()
    {
        await using var relay = FakeRelay.Start();
        relay.ClaimAnswer = _ => [];
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(At(relay), "17"));
        Assert.Equal(RelayFailure.Closed, e.Reason);
    }

    [Fact]
    public async Task A_silent_relay_times_out()
    {
        using var silent = Loopback.Listen();
        var options = new RelayClientOptions { AnswerTimeout = TimeSpan.FromMilliseconds(300) };
        Task<Socket> accepted = silent.AcceptSocketAsync();
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.ClaimAsync(new PeerAddress("127.0.0.1", silent.Port()), "17", options));
        Assert.Equal(RelayFailure.Timeout, e.Reason);
        (await accepted).Dispose();
    }

    [Fact]
    public async Task Nothing_listening_is_unreachable()
    {
        int port;
        using (var closed = Loopback.Listen())
        {
            port = closed.Port();
        }

        RelayException e = await Assert.ThrowsAsync<RelayException>(() => RelayClient.AllocateAsync(new PeerAddress("127.0.0.1", port)));
        Assert.Equal(RelayFailure.Unreachable, e.Reason);
    }

    [Fact]
    public async Task The_waiter_learns_when_the_relay_ends_the_wait()
    {
        await using var relay = FakeRelay.Start();
        relay.Pair = (_, _) => Task.CompletedTask;
        using RelayAllocation allocation = await RelayClient.AllocateAsync(At(relay));
        await relay.DisposeAsync();
        RelayException e = await Assert.ThrowsAsync<RelayException>(() => allocation.WaitForPeerAsync().WaitAsync(Timeout));
        Assert.Equal(RelayFailure.Closed, e.Reason);
    }

    [Fact]
    public async Task A_bad_nameplate_is_the_caller_s_mistake()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => RelayClient.ClaimAsync(new PeerAddress("127.0.0.1", 1), "017"));
    }
}
