using System.Security.Cryptography;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

/// <summary>Transfers through the library's public API, in process: several at once, both ways, sharing the line with texts.</summary>
public class ConcurrentTransferTests
{
    private static string MakeFile(string directory, string name, int size, int seed)
    {
        byte[] bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        string path = Path.Combine(directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Collects a session's events until every expected completion has arrived.</summary>
    private static async Task<List<SessionEvent>> EventsUntilAsync(SecureChatSession session, Func<List<SessionEvent>, bool> done, Func<SessionEvent, Task>? react = null)
    {
        var events = new List<SessionEvent>();
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while (!done(events))
        {
            SessionEvent evt = await session.ReceiveAsync(timeout.Token);
            events.Add(evt);
            if (react is not null)
            {
                await react(evt);
            }
        }

        return events;
    }

    [Fact]
    public async Task Several_transfers_run_at_once_in_both_directions_and_all_arrive_intact()
    {
        string root = Directory.CreateTempSubdirectory("securechat-transfers-").FullName;
        try
        {
            string clientFiles = Directory.CreateDirectory(Path.Combine(root, "client")).FullName;
            string serverFiles = Directory.CreateDirectory(Path.Combine(root, "server")).FullName;
            string[] fromClient = [MakeFile(clientFiles, "a.bin", 3_000_000, 1), MakeFile(clientFiles, "b.bin", 65_514 * 3, 2), MakeFile(clientFiles, "empty.bin", 0, 3)];
            string[] fromServer = [MakeFile(serverFiles, "c.bin", 2_000_000, 4), MakeFile(serverFiles, "d.bin", 1, 5)];

            var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
            await using (client)
            await using (server)
            {
                var clientOffers = new List<FileOfferSent>();
                foreach (string path in fromClient)
                {
                    clientOffers.Add(await client.SendFileAsync(path));
                }

                var serverOffers = new List<FileOfferSent>();
                foreach (string path in fromServer)
                {
                    serverOffers.Add(await server.SendFileAsync(path));
                }

                Assert.All(clientOffers, o => Assert.Equal(1u, o.Id % 2));
                Assert.All(serverOffers, o => Assert.Equal(0u, o.Id % 2));
                await client.SendTextAsync("between the offers");

                static bool Finished(List<SessionEvent> events, int incoming, int outgoing) =>
                    events.OfType<FileCompleted>().Count(c => c.Direction == TransferDirection.Incoming) == incoming
                    && events.OfType<FileCompleted>().Count(c => c.Direction == TransferDirection.Outgoing) == outgoing;

                Task<List<SessionEvent>> serverSide = EventsUntilAsync(server, e => Finished(e, fromClient.Length, fromServer.Length),
                    async evt =>
                    {
                        if (evt is FileOffered offer)
                        {
                            await server.AcceptFileAsync(offer.Id, serverFiles);
                        }
                    });
                Task<List<SessionEvent>> clientSide = EventsUntilAsync(client, e => Finished(e, fromServer.Length, fromClient.Length),
                    async evt =>
                    {
                        if (evt is FileOffered offer)
                        {
                            await client.AcceptFileAsync(offer.Id, clientFiles);
                        }
                    });

                List<SessionEvent> serverEvents = await serverSide;
                List<SessionEvent> clientEvents = await clientSide;
                Assert.Contains(serverEvents, e => e is TextReceived { Text: "between the offers" });
                Assert.DoesNotContain(serverEvents, e => e is FileFailed or PeerWarning);
                Assert.DoesNotContain(clientEvents, e => e is FileFailed or PeerWarning);

                // Each file arrived intact, in the directory it was accepted into.
                foreach (FileCompleted done in serverEvents.OfType<FileCompleted>().Where(c => c.Direction == TransferDirection.Incoming))
                {
                    FileOfferSent sent = clientOffers.Single(o => o.Id == done.Id);
                    Assert.Equal(serverFiles, Path.GetDirectoryName(done.Path));
                    Assert.Equal(File.ReadAllBytes(sent.Path), File.ReadAllBytes(done.Path));
                    Assert.Null(sent.Sha256); // offered without it: it comes at the end
                    Assert.Equal(done.Sha256, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(sent.Path))));
                    Assert.Equal(done.Sha256, clientEvents.OfType<FileCompleted>().Single(c => c.Id == done.Id).Sha256);
                }

                foreach (FileCompleted done in clientEvents.OfType<FileCompleted>().Where(c => c.Direction == TransferDirection.Incoming))
                {
                    FileOfferSent sent = serverOffers.Single(o => o.Id == done.Id);
                    Assert.Equal(File.ReadAllBytes(sent.Path), File.ReadAllBytes(done.Path));
                }

                Assert.Empty(Directory.GetFiles(serverFiles, "*.part*"));
                Assert.Empty(Directory.GetFiles(clientFiles, "*.part*"));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Offers_that_cannot_be_sent_are_refused_before_anything_goes_out()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            var directory = await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendFileAsync(Path.GetTempPath()));
            Assert.Contains("is a directory", directory.Message, StringComparison.Ordinal);
            var missing = await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendFileAsync(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString())));
            Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<ArgumentException>(async () => await server.AcceptFileAsync(12, Path.GetTempPath()));
            await client.SendTextAsync("nothing else was sent");
            Assert.Equal("nothing else was sent", (await server.NextAsync<TextReceived>()).Text);
        }
    }
}
