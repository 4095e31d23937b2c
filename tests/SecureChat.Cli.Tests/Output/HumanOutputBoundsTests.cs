using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Tests.Output;

/// <summary>What the human output remembers about transfers stays bounded whatever the peer offers.</summary>
public class HumanOutputBoundsTests
{
    [Fact]
    public void Offers_that_never_finish_do_not_grow_the_name_table_without_bound()
    {
        var output = new HumanOutput(TextWriter.Null, TextWriter.Null, color: false);
        for (uint id = 1; id < 200_001; id += 2)
        {
            // Half end with an event (cancelled by the peer), half with none (refused here).
            output.FileOffered(new FileOffered(id, new string('n', 200), 1, new string('a', 64)));
            if (id % 4 == 1)
            {
                output.FileFailed(id, TransferDirection.Incoming, "the sender cancelled: x");
            }
        }

        Assert.InRange(output.NamesHeld, 0, 256);
    }
}
