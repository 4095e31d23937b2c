using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

/// <summary>
/// A side's message can reach the peer, and the peer's reaction come back, before that side's
/// send has returned (the socket took the frame; the continuation has not run yet on a loaded
/// machine). The receiver confirms a file (its FILE_END) as soon as it has checked it; the sender
/// may close as soon as it has the confirmation. Neither reaction may be lost or misjudged, nor a
/// transfer's last event, whether the application is behind or the session ends meanwhile.
/// </summary>
public class ConfirmationRaceTests
{
    [Fact]
    public async Task A_confirmation_that_arrives_before_the_senders_last_write_returns_still_completes_the_transfer()
    {
        using var files = new Files(1000);
        var (client, server, late) = await PairAsync(lateSide: Side.Server);
        await using (client)
        await using (server)
        {
            // From now on each of the sender's writes reaches the peer at once but returns late.
            late.Delay = TimeSpan.FromMilliseconds(400);
            FileOfferSent offer = await server.SendFileAsync(files.Source);
            FileOffered offered = await client.NextAsync<FileOffered>();
            await client.AcceptFileAsync(offered.Id, files.Downloads);

            FileCompleted received = await NextOfAsync<FileCompleted>(client);
            Assert.Equal(File.ReadAllBytes(files.Source), File.ReadAllBytes(received.Path));

            // The sender hears the confirmation, and no "not sent in full" warning comes first.
            var seen = new List<SessionEvent>();
            FileCompleted sent = await NextOfAsync<FileCompleted>(server, seen);
            Assert.Equal(offer.Id, sent.Id);
            Assert.Equal(TransferDirection.Outgoing, sent.Direction);
            Assert.Equal(received.Sha256, sent.Sha256);
            Assert.DoesNotContain(seen, e => e is PeerWarning or FileFailed);
        }
    }

    [Fact]
    public async Task A_sender_that_closes_on_the_confirmation_before_the_receivers_write_returns_does_not_cost_the_receiver_its_event()
    {
        using var files = new Files(2_000_000);
        var (client, server, late) = await PairAsync(lateSide: Side.Client);
        await using (client)
        await using (server)
        {
            await server.SendFileAsync(files.Source);
            FileOffered offered = await client.NextAsync<FileOffered>();
            await client.AcceptFileAsync(offered.Id, files.Downloads);

            // From now on (its confirmation) the receiver's writes reach the sender at once but return late.
            late.Delay = TimeSpan.FromMilliseconds(400);
            await NextOfAsync<FileCompleted>(server);
            await server.CloseAsync(); // the sender's application is done once its file is confirmed

            var seen = new List<SessionEvent>();
            await NextOfAsync<SessionClosed>(client, seen);
            FileCompleted done = Assert.Single(seen.OfType<FileCompleted>());
            Assert.Equal(TransferDirection.Incoming, done.Direction);
            Assert.Equal(File.ReadAllBytes(files.Source), File.ReadAllBytes(done.Path));
        }
    }

    [Fact]
    public async Task A_receiver_that_closes_on_its_file_done_event_has_sent_its_confirmation_first()
    {
        using var files = new Files(1000);
        var (client, server, _) = await PairAsync(lateSide: Side.Server);
        await using (client)
        await using (server)
        {
            // The receiver's application is 64 events behind when its file completes: it then
            // reads them all at once, reaches file-done, and closes at once.
            await server.SendFileAsync(files.Source);
            await SendTextsAsync(server, 64);

            FileOffered offered = await NextOfAsync<FileOffered>(client);
            await client.AcceptFileAsync(offered.Id, files.Downloads);
            for (DateTime deadline = DateTime.UtcNow + Loopback.Timeout; !File.Exists(Path.Combine(files.Downloads, "file.bin")); await Task.Delay(10))
            {
                Assert.True(DateTime.UtcNow < deadline, "the file was never stored");
            }

            await NextOfAsync<FileCompleted>(client);
            await client.CloseAsync();

            // The sender heard the confirmation before the CLOSE: its file completed, not failed.
            var seen = new List<SessionEvent>();
            await NextOfAsync<SessionClosed>(server, seen);
            Assert.Contains(seen, e => e is FileCompleted { Direction: TransferDirection.Outgoing });
            Assert.DoesNotContain(seen, e => e is FileFailed);
        }
    }

    [Fact]
    public async Task A_receiver_64_events_behind_still_gets_its_file_done_when_the_sender_closes_on_the_confirmation()
    {
        using var files = new Files(1000);
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            await server.SendFileAsync(files.Source);
            await SendTextsAsync(server, 64);

            FileOffered offered = await NextOfAsync<FileOffered>(client);
            await Task.Delay(500); // the 64 texts arrive: the receiver's queue is full
            await client.AcceptFileAsync(offered.Id, files.Downloads);

            // The sender's application closes as soon as its file is confirmed. The receiver's
            // application reads on once the sender is done, or after 3 s.
            Task senderDone = Task.Run(async () =>
            {
                await NextOfAsync<FileCompleted>(server);
                await server.CloseAsync();
            });
            await Task.WhenAny(senderDone, Task.Delay(3000));

            var seen = new List<SessionEvent>();
            await NextOfAsync<SessionClosed>(client, seen);
            Assert.True(File.Exists(Path.Combine(files.Downloads, "file.bin")), "the file was not stored");
            Assert.Contains(seen, e => e is FileCompleted { Direction: TransferDirection.Incoming });
            await senderDone.WaitAsync(Loopback.Timeout);
        }
    }

    [Fact]
    public async Task Cancelling_from_an_event_loop_whose_queue_is_full_returns_tells_the_peer_and_reports_it_later()
    {
        using var files = new Files(4 << 20);
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            var (offer, offered) = await AcceptedBehindAFullQueueAsync(server, client, files);

            // A cancelled token stops nothing.
            using (var cancelled = new CancellationTokenSource())
            {
                await cancelled.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.CancelFileAsync(offered.Id, "never", cancelled.Token).AsTask());
            }

            // The receiver's application cancels without reading its events first: the call returns.
            await client.CancelFileAsync(offered.Id, "changed my mind").AsTask().WaitAsync(Loopback.Timeout);

            var sender = new List<SessionEvent>();
            FileFailed told = await NextOfAsync<FileFailed>(server, sender);
            Assert.Equal(offer.Id, told.Id);
            Assert.Contains("changed my mind", told.Reason, StringComparison.Ordinal);

            var receiver = new List<SessionEvent>();
            FileFailed reported = await NextOfAsync<FileFailed>(client, receiver);
            Assert.Equal(TransferDirection.Incoming, reported.Direction);
            Assert.StartsWith("cancelled here", reported.Reason, StringComparison.Ordinal);
            Assert.DoesNotContain(receiver, e => e is FileFailed or FileCompleted);
        }
    }

    [Fact]
    public async Task A_transfer_cut_off_by_a_close_is_reported_even_when_the_applications_queue_was_full()
    {
        using var files = new Files(4 << 20);
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            var (_, offered) = await AcceptedBehindAFullQueueAsync(server, client, files);

            // The receiver's application closes without reading: the end cuts the transfer off.
            await client.CloseAsync().AsTask().WaitAsync(Loopback.Timeout);
            var seen = new List<SessionEvent>();
            await NextOfAsync<SessionClosed>(client, seen);
            FileFailed cut = Assert.Single(seen.OfType<FileFailed>());
            Assert.Equal(offered.Id, cut.Id);
            Assert.Equal(TransferDirection.Incoming, cut.Direction);
            Assert.True(seen.IndexOf(cut) >= 64, "the queue was not full when the session ended"); // texts (and progress) filled it
        }
    }

    [Fact]
    public async Task Nothing_follows_the_end_once_the_application_has_been_told()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            await client.CloseAsync();
            Assert.IsType<SessionClosed>(await client.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));

            // A feature's task that reports only now (its transfer finished as the session ended).
            ((ISessionLink)client).PublishAtEnd(new PeerWarning("too late"));
            Assert.IsType<SessionClosed>(await client.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
        }
    }

    private enum Side
    {
        Client,
        Server,
    }

    /// <summary>A connected pair whose <paramref name="lateSide"/> writes through a <see cref="LateReturnStream"/> (no delay yet).</summary>
    private static async Task<(SecureChatSession Client, SecureChatSession Server, LateReturnStream Late)> PairAsync(Side lateSide)
    {
        LateReturnStream? late = null;
        Stream Late(Stream stream) => late = new LateReturnStream(stream);
        var (client, server) = lateSide == Side.Client ? await Loopback.PairOverAsync(Late) : await Loopback.PairOverAsync(null, Late);
        return (client, server, late!);
    }

    /// <summary>Sends <paramref name="count"/> texts, "text 0" on.</summary>
    private static async Task SendTextsAsync(SecureChatSession sender, int count)
    {
        for (int i = 0; i < count; i++)
        {
            await sender.SendTextAsync($"text {i}");
        }
    }

    /// <summary>
    /// The sender offers the file with 80 texts behind the offer, so the data will be behind them,
    /// and the receiver accepts it: 64 texts fill the receiver's queue, its reader waits with the
    /// 65th, and no byte of the file is read until the receiver's application reads its events.
    /// </summary>
    private static async Task<(FileOfferSent Offer, FileOffered Offered)> AcceptedBehindAFullQueueAsync(SecureChatSession sender, SecureChatSession receiver, Files files)
    {
        FileOfferSent offer = await sender.SendFileAsync(files.Source);
        await SendTextsAsync(sender, 80);

        FileOffered offered = await NextOfAsync<FileOffered>(receiver);
        await receiver.AcceptFileAsync(offered.Id, files.Downloads);
        await NextOfAsync<FileAccepted>(sender);
        await Task.Delay(500); // the texts have arrived: the queue is full
        return (offer, offered);
    }

    private static async Task<T> NextOfAsync<T>(SecureChatSession session, List<SessionEvent>? seen = null)
        where T : SessionEvent
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while (true)
        {
            SessionEvent evt = await session.ReceiveAsync(timeout.Token);
            if (evt is T wanted)
            {
                return wanted;
            }

            seen?.Add(evt);
        }
    }

    /// <summary>A file to send and a download directory, deleted afterwards.</summary>
    private sealed class Files : IDisposable
    {
        private readonly string _root = Directory.CreateTempSubdirectory("securechat-confirm-").FullName;

        public Files(int size)
        {
            Source = Path.Combine(_root, "file.bin");
            File.WriteAllBytes(Source, [.. Enumerable.Range(0, size).Select(i => (byte)(i * 7))]);
            Downloads = Directory.CreateDirectory(Path.Combine(_root, "in")).FullName;
        }

        public string Source { get; }

        public string Downloads { get; }

        public void Dispose() => Directory.Delete(_root, recursive: true);
    }
}
