using SecureChat.Cli.Output;

namespace SecureChat.Cli.Tests.Output;

public class TextTableTests
{
    [Fact]
    public void Columns_line_up_by_display_width_and_the_last_is_not_padded()
    {
        var writer = new StringWriter { NewLine = "\n" };
        TextTable.Write(writer, ["Peer", "Fingerprint"], [["example.org:5555", "SHA256:abc"], ["例え.jp:5555", "x"]]);
        Assert.Equal(
            "\u001b[1mPeer              Fingerprint\u001b[0m\n"
            + "----------------  -----------\n"
            + "example.org:5555  SHA256:abc\n"
            + "例え.jp:5555      x\n",
            writer.ToString());
    }
}
