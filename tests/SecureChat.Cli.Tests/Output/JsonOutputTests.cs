using System.Text.Json;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Tests.Output;

public class JsonOutputTests
{
    /// <summary>Bidi override, zero-width space, bidi isolate, BOM, line separator, and a C1 control.</summary>
    private const string Hostile = "a\u202Eb\u200Bc\u2066d\uFEFFe\u2028f\u0085g";

    private static readonly string[] Escapes = [@"\u202E", @"\u200B", @"\u2066", @"\uFEFF", @"\u2028", @"\u0085"];

    private static (JsonOutput Output, StringWriter Stdout) Create()
    {
        var stdout = new StringWriter();
        return (new JsonOutput(stdout, new StringWriter()), stdout);
    }

    private static void AssertEscaped(string line, string field, string expected)
    {
        foreach (char c in "\u202E\u200B\u2066\uFEFF\u2028\u0085")
        {
            Assert.DoesNotContain(c, line);
        }

        foreach (string escape in Escapes)
        {
            Assert.Contains(escape, line, StringComparison.OrdinalIgnoreCase);
        }

        using JsonDocument parsed = JsonDocument.Parse(line);
        Assert.Equal(expected, parsed.RootElement.GetProperty(field).GetString());
    }

    [Fact]
    public void Format_characters_in_received_text_are_escaped_and_decode_back()
    {
        (JsonOutput output, StringWriter stdout) = Create();
        output.Received(new TextReceived(Hostile, DateTimeOffset.UnixEpoch, null));
        AssertEscaped(stdout.ToString().TrimEnd('\n', '\r'), "text", Hostile);
    }

    [Fact]
    public void Format_characters_in_an_offered_file_name_are_escaped_and_decode_back()
    {
        (JsonOutput output, StringWriter stdout) = Create();
        string name = Hostile + "gpj.exe";
        output.FileOffered(new FileOffered(7, name, 10, new string('0', 64)));
        AssertEscaped(stdout.ToString().TrimEnd('\n', '\r'), "name", name);
    }

    [Fact]
    public void An_offer_whose_hash_comes_at_the_end_has_sha256_null()
    {
        (JsonOutput output, StringWriter stdout) = Create();
        output.FileOffered(new FileOffered(7, "a.bin", 10, null));
        using JsonDocument parsed = JsonDocument.Parse(stdout.ToString());
        Assert.Equal("file-offer", parsed.RootElement.GetProperty("event").GetString());
        Assert.Equal(JsonValueKind.Null, parsed.RootElement.GetProperty("sha256").ValueKind);
    }

    [Fact]
    public void Format_characters_in_failure_reasons_and_close_reasons_are_escaped()
    {
        (JsonOutput output, StringWriter stdout) = Create();
        output.FileFailed(3, TransferDirection.Incoming, Hostile);
        output.Closed(Hostile, keysErased: true, peerReason: null);
        output.Error(new Fault(ErrorCode.Io, 1, Hostile));
        string[] lines = stdout.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        AssertEscaped(lines[0], "reason", Hostile);
        AssertEscaped(lines[1], "reason", Hostile);
        AssertEscaped(lines[2], "message", Hostile);
    }

    [Fact]
    public void Letters_and_emoji_from_other_scripts_stay_readable()
    {
        (JsonOutput output, StringWriter stdout) = Create();
        const string text = "café 中文 😀 👍🏽 ❤️ 👩‍💻 \"q\" \\ <b>";
        output.Received(new TextReceived(text, DateTimeOffset.UnixEpoch, null));
        string line = stdout.ToString().TrimEnd('\n', '\r');
        // Joiners and variation selectors are invisible, so they are escaped like the format characters.
        Assert.Contains("café 中文 😀 👍🏽 ❤\\uFE0F 👩\\u200D💻", line, StringComparison.OrdinalIgnoreCase);
        using JsonDocument parsed = JsonDocument.Parse(line);
        Assert.Equal(text, parsed.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void Unpaired_surrogates_and_supplementary_format_characters_are_escaped()
    {
        (JsonOutput output, StringWriter stdout) = Create();
        output.Received(new TextReceived("x\uD800y\uDC00z\U000E0041w", DateTimeOffset.UnixEpoch, null));
        string line = stdout.ToString().TrimEnd('\n', '\r');
        Assert.DoesNotContain("\U000E0041", line, StringComparison.Ordinal);
        Assert.Contains(@"\uDB40\uDC41", line, StringComparison.OrdinalIgnoreCase);
        using JsonDocument parsed = JsonDocument.Parse(line);
        string decoded = parsed.RootElement.GetProperty("text").GetString()!;
        Assert.Equal("x\uFFFDy\uFFFDz\U000E0041w", decoded);
    }

    [Theory]
    [InlineData(0x034F)]
    [InlineData(0x115F)]
    [InlineData(0x1160)]
    [InlineData(0x3164)]
    [InlineData(0xFFA0)]
    [InlineData(0x17B4)]
    [InlineData(0x180B)]
    [InlineData(0xFE0F)]
    [InlineData(0xE0100)]
    [InlineData(0x2800)]
    [InlineData(0xFFFC)]
    public void Invisible_characters_that_are_not_format_characters_are_escaped_too(int codePoint)
    {
        (JsonOutput output, StringWriter stdout) = Create();
        string hidden = char.ConvertFromUtf32(codePoint);
        output.Received(new TextReceived("a" + hidden + "b", DateTimeOffset.UnixEpoch, null));
        string line = stdout.ToString().TrimEnd('\n', '\r');
        Assert.DoesNotContain(hidden, line, StringComparison.Ordinal);
        using JsonDocument parsed = JsonDocument.Parse(line);
        Assert.Equal("a" + hidden + "b", parsed.RootElement.GetProperty("text").GetString());
    }
}
