using System.Text;
using SecureChat.Identity;

namespace SecureChat.Tests.Session;

public class EnvironmentBytesTests
{
    private static readonly byte[] Block = Encoding.UTF8.GetBytes(
        "SECURECHAT_PASSPHRASE_OLD=old\0XSECURECHAT_PASSPHRASE=x\0NOEQUALS\0SECURECHAT_PASSPHRASE=right one\0" +
        "SECURECHAT_PASSPHRASE=second\0EMPTY=\0A=b=c\0LAST=no terminator");

    private static string? Find(byte[] block, string name) =>
        EnvironmentBytes.TryFind(block, Encoding.UTF8.GetBytes(name), out Range value) ? Encoding.UTF8.GetString(block.AsSpan()[value]) : null;

    [Theory]
    [InlineData("SECURECHAT_PASSPHRASE", "right one")] // the first exact name, as getenv; not the longer name nor the prefixed one
    [InlineData("SECURECHAT_PASSPHRASE_OLD", "old")]
    [InlineData("XSECURECHAT_PASSPHRASE", "x")]
    [InlineData("EMPTY", "")]
    [InlineData("A", "b=c")]
    [InlineData("LAST", "no terminator")]
    [InlineData("SECURECHAT_PASSPHRAS", null)] // a prefix of a name is not that name
    [InlineData("NOEQUALS", null)]
    [InlineData("MISSING", null)]
    [InlineData("PASSPHRASE", null)]
    public void Environment_block_lookup_matches_whole_names_only(string name, string? expected)
    {
        Assert.Equal(expected, Find(Block, name));
    }

    [Fact]
    public void Empty_block_and_block_of_empty_entries_find_nothing()
    {
        Assert.Null(Find([], "A"));
        Assert.Null(Find([0, 0, 0], "A"));
        Assert.Equal("1", Find([0, (byte)'A', (byte)'=', (byte)'1', 0], "A"));
    }

    [Fact]
    public void A_passphrase_from_the_process_environment_is_read_as_bytes_and_an_unset_one_is_null()
    {
        // The test host starts with PATH set; the bytes read must be exactly its value.
        string path = Environment.GetEnvironmentVariable("PATH")!;
        using Passphrase? fromEnvironment = Passphrase.FromEnvironment("PATH", verbatim: true);
        using var expected = Passphrase.FromUtf8Verbatim(Encoding.UTF8.GetBytes(path));
        Assert.NotNull(fromEnvironment);
        Assert.True(fromEnvironment.HasSameBytesAs(expected));
        using var other = Passphrase.FromUtf8Verbatim(Encoding.UTF8.GetBytes(path + "x"));
        Assert.False(fromEnvironment.HasSameBytesAs(other));

        Assert.Null(Passphrase.FromEnvironment("SECURECHAT_TEST_SURELY_UNSET_VARIABLE"));
    }
}
