using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Files;

/// <summary>
/// /accept and /reject without an ID answer only when exactly one offer waits: otherwise a peer
/// could slip a new offer in just before Enter and have it accepted instead of the one the user read.
/// </summary>
public class AcceptWithoutIdTests
{
    [Fact]
    public async Task Accept_without_an_id_needs_exactly_one_offer_waiting()
    {
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--download-dir", downloads, "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await TransferLimitTests.OfferAsync(peer, 1, 10, "first.txt");
            await TransferLimitTests.OfferAsync(peer, 3, 10, "slipped-in.txt");
            await listener.EventAsync("file-offer");
            await listener.EventAsync("file-offer");

            await listener.WriteLineAsync("/accept");
            string message = (await listener.EventAsync("error")).GetProperty("message").GetString()!;
            Assert.Contains("Several offers are waiting (1, 3)", message, StringComparison.Ordinal);
            Assert.Contains("/accept 3", message, StringComparison.Ordinal);
            await listener.WriteLineAsync("/reject");
            Assert.Contains("/reject", (await listener.EventAsync("error")).GetProperty("message").GetString()!, StringComparison.Ordinal);

            // Nothing was answered so far: the first answer the peer gets is the one asked for by ID.
            await listener.WriteLineAsync("/accept 1");
            Assert.Equal((TransferLimitTests.FileAccept, 1u), await IdOfAsync(peer));

            // One offer left: no ID needed.
            await listener.WriteLineAsync("/reject");
            Assert.Equal((TransferLimitTests.FileReject, 3u), await IdOfAsync(peer));
        }
    }

    private static async Task<(int Type, uint Id)> IdOfAsync(SeedPeer peer)
    {
        var (type, id, _) = await TransferLimitTests.AnswerAsync(peer);
        return (type, id);
    }
}
