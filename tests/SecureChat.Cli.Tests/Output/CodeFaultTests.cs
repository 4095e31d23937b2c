using System.Text.Json;
using SecureChat.Cli.Output;
using SecureChat.Rendezvous;

namespace SecureChat.Cli.Tests.Output;

/// <summary>What code mode says and exits with: used-up codes (one code, one attempt) and relay failures.</summary>
public class CodeFaultTests
{
    private static Fault Spent(SecureChatException error, bool initiator)
    {
        error.PassphraseAttemptSpent = true;
        return Fault.From(error, "the peer", duringHandshake: true, initiator, code: true);
    }

    [Fact]
    public void A_listener_that_met_a_wrong_code_says_so_in_those_words_with_exit_3()
    {
        Fault fault = Spent(new AuthenticationFailedException(AuthenticationFailure.WrongPassphrase, "msg3 did not decrypt"), initiator: false);
        Assert.Equal("Someone tried a wrong code — this code is used up; start again.", fault.Message);
        Assert.Equal(3, fault.ExitCode);
    }

    [Fact]
    public void A_joiner_whose_attempt_failed_after_message_3_is_told_the_code_is_used_up_whatever_the_failure()
    {
        Fault wrong = Spent(new AuthenticationFailedException(AuthenticationFailure.WrongPassphrase, "refused"), initiator: true);
        Assert.Contains("the code does not match", wrong.Message, StringComparison.Ordinal);
        Assert.EndsWith(Faults.CodeUsedUp, wrong.Message, StringComparison.Ordinal);
        Assert.Equal(3, wrong.ExitCode);

        Fault other = Spent(new ConnectionLostException("cut"), initiator: true);
        Assert.EndsWith(Faults.CodeUsedUp, other.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("passphrase", other.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Before_message_3_nothing_is_said_about_the_code()
    {
        Fault fault = Fault.From(new ConnectionLostException("cut"), "the peer", duringHandshake: true, initiator: true, code: true);
        Assert.DoesNotContain("used up", fault.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RelayFailure.Unreachable, 5, "io")]
    [InlineData(RelayFailure.Refused, 5, "io")]
    [InlineData(RelayFailure.UnknownNameplate, 5, "io")]
    [InlineData(RelayFailure.Closed, 5, "io")]
    [InlineData(RelayFailure.RedirectRefused, 5, "io")]
    [InlineData(RelayFailure.Timeout, 5, "timeout")]
    [InlineData(RelayFailure.ProtocolViolation, 4, "protocol")]
    public void Relay_failures_map_to_exit_codes(RelayFailure reason, int exitCode, string code)
    {
        Fault fault = Faults.FromRelay(new RelayException(reason, "What happened.", "busy", "the relay's \u001b[2Jwords"));
        Assert.Equal(exitCode, fault.ExitCode);
        Assert.Equal(code, fault.Code);
        Assert.DoesNotContain("\u001b", fault.Message, StringComparison.Ordinal); // the relay's words are sanitised
    }

    [Fact]
    public void The_listening_event_of_a_relay_listener_carries_relay_nameplate_code_and_command()
    {
        var stdout = new StringWriter();
        new JsonOutput(stdout, new StringWriter()).ListeningWithCode(new CodeListening("relay.example:4747", "17", null, 0, [], "17-bluebird-caravan", "securechat connect --relay relay.example:4747", TimeSpan.FromSeconds(600)));
        using JsonDocument line = JsonDocument.Parse(stdout.ToString());
        JsonElement e = line.RootElement;
        Assert.Equal("listening", e.GetProperty("event").GetString());
        Assert.Equal("relay.example:4747", e.GetProperty("relay").GetString());
        Assert.Equal("17", e.GetProperty("nameplate").GetString());
        Assert.Equal("17-bluebird-caravan", e.GetProperty("code").GetString());
        Assert.Equal(600, e.GetProperty("expires_in").GetInt32());
        Assert.False(e.TryGetProperty("port", out _));
    }

    [Fact]
    public void A_person_sees_the_code_and_the_exact_command_for_the_peer()
    {
        var stdout = new StringWriter();
        new HumanOutput(stdout, new StringWriter(), color: false).ListeningWithCode(new CodeListening(null, null, "0.0.0.0", 5555, ["192.0.2.2"], "bluebird-caravan", "securechat connect 192.0.2.2:5555 --code", null));
        string text = stdout.ToString();
        Assert.Contains("Your code: bluebird-caravan", text, StringComparison.Ordinal);
        Assert.Contains("securechat connect 192.0.2.2:5555 --code", text, StringComparison.Ordinal);
        Assert.Contains("works once", text, StringComparison.Ordinal);
    }
}
