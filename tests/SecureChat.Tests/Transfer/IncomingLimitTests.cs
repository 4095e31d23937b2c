using System.Buffers.Binary;
using System.Text.Json;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

/// <summary>
/// What an authenticated but hostile peer cannot make the receiver hold: more than
/// MaxActiveIncomingTransfers files (and descriptors) at once, files beyond the size limit or the
/// free space, or .part files left behind by transfers it starts and cancels.
/// </summary>
public sealed class IncomingLimitTests : IDisposable
{
    private const byte FileOffer = 0x10;
    private const byte FileData = 0x13;
    private const byte FileCancel = 0x15;
    private static readonly string AnySha256 = new('a', 64);

    private readonly string _downloads = Directory.CreateTempSubdirectory("securechat-limits-").FullName;

    public void Dispose() => Directory.Delete(_downloads, recursive: true);

    private static Task OfferAsync(SecureChatSession peer, uint id, long size, string name = "flood.bin") =>
        peer.SendRawForTestsAsync(FileOffer, JsonSerializer.SerializeToUtf8Bytes(new { id, name, size, sha256 = AnySha256 })).AsTask();

    private static Task CancelAsync(SecureChatSession peer, uint id) =>
        peer.SendRawForTestsAsync(FileCancel, JsonSerializer.SerializeToUtf8Bytes(new { id, reason = "changed my mind" })).AsTask();

    private static Task DataAsync(SecureChatSession peer, uint id, int length)
    {
        byte[] body = new byte[4 + length];
        BinaryPrimitives.WriteUInt32BigEndian(body, id);
        return peer.SendRawForTestsAsync(FileData, body).AsTask();
    }

    /// <summary>Reads and drops the peer side's events (warnings about answers to offers it never made), so it keeps reading.</summary>
    private static async Task DrainAsync(SecureChatSession session)
    {
        try
        {
            while (true)
            {
                await session.ReceiveAsync();
            }
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException or OperationCanceledException or System.Threading.Channels.ChannelClosedException)
        {
            // The session ended.
        }
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;

    private string[] PartFiles() => Directory.GetFiles(_downloads, "*.part*");

    [Fact]
    public async Task A_flood_of_accepted_offers_holds_at_most_four_open_and_cancelled_ones_leave_no_part_files()
    {
        const int offers = 3000;
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            _ = DrainAsync(peer);
            int before = OpenDescriptors();
            Task flood = Task.Run(async () =>
            {
                for (uint i = 0; i < offers; i++)
                {
                    await OfferAsync(peer, (2 * i) + 1, 1000);
                }
            });

            var accepted = new List<uint>();
            int refused = 0;
            int warnings = 0;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                // Until the flood is over and the receiver has been quiet for a moment.
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
                if (flood.IsCompleted)
                {
                    quiet.CancelAfter(TimeSpan.FromSeconds(2));
                }

                SessionEvent evt;
                try
                {
                    evt = await receiver.ReceiveAsync(quiet.Token);
                }
                catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
                {
                    break;
                }

                switch (evt)
                {
                    case FileOffered offer:
                        try
                        {
                            await receiver.AcceptFileAsync(offer.Id, _downloads);
                            accepted.Add(offer.Id);
                        }
                        catch (TransferLimitException e)
                        {
                            Assert.Equal(TransferLimit.TooManyTransfers, e.Limit);
                            Assert.Equal(4, e.Allowed);
                            Assert.Contains("4 files are already being received", e.Message, StringComparison.Ordinal);
                            await receiver.RejectFileAsync(offer.Id, e.PeerReason);
                            refused++;
                        }

                        break;
                    case PeerWarning warning when warning.Message.Contains("files at once", StringComparison.Ordinal):
                        warnings++; // more than 64 offers were waiting: refused by the session itself, one warning per burst
                        break;
                }
            }

            await flood;
            Assert.True(warnings < offers / 10, $"{warnings} warnings for refused offers: one per burst, not one per offer");
            int during = OpenDescriptors();
            Assert.Equal(4, accepted.Count);
            Assert.True(refused > 0);
            Assert.Equal(4, PartFiles().Count(p => p.EndsWith(".part", StringComparison.Ordinal)));

            // Other tests run in this process at the same time: allow for their descriptors, not for 3,000.
            Assert.True(during - before < 100, $"{during - before} more descriptors are open");

            foreach (uint id in accepted)
            {
                await CancelAsync(peer, id);
            }

            for (int failed = 0; failed < accepted.Count;)
            {
                if (await receiver.ReceiveAsync(timeout.Token) is FileFailed f)
                {
                    Assert.Contains(f.Id, accepted);
                    failed++;
                }
            }

            // Nothing arrived for them: nothing to resume, nothing kept.
            await WaitUntilAsync(() => PartFiles().Length == 0);
            Assert.Empty(PartFiles());

            // The slots are free again.
            await OfferAsync(peer, 2 * offers + 1, 10);
            FileOffered last = await NextOfferAsync(receiver, timeout.Token);
            await receiver.AcceptFileAsync(last.Id, _downloads);
        }
    }

    [Fact]
    public async Task An_offer_larger_than_MaxIncomingFileSize_is_refused_and_stays_waiting()
    {
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), new SessionOptions
        {
            KeyLogFile = null,
            MaxIncomingFileSize = 1000,
        });
        await using (peer)
        await using (receiver)
        {
            _ = DrainAsync(peer);
            await OfferAsync(peer, 1, 1001);
            FileOffered tooLarge = await receiver.NextAsync<FileOffered>();
            TransferLimitException e = await Assert.ThrowsAsync<TransferLimitException>(async () => await receiver.AcceptFileAsync(tooLarge.Id, _downloads));
            Assert.Equal(TransferLimit.FileTooLarge, e.Limit);
            Assert.Equal(1000, e.Allowed);
            Assert.Contains("1,001 bytes", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(_downloads, e.PeerReason, StringComparison.Ordinal);
            Assert.Empty(PartFiles());
            await receiver.RejectFileAsync(tooLarge.Id, e.PeerReason); // still waiting for an answer

            await OfferAsync(peer, 3, 1000);
            FileOffered atTheLimit = await receiver.NextAsync<FileOffered>();
            await receiver.AcceptFileAsync(atTheLimit.Id, _downloads);
            Assert.Single(PartFiles(), p => p.EndsWith(".part", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task By_default_an_offer_larger_than_the_free_space_is_refused()
    {
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            _ = DrainAsync(peer);
            long free = new DriveInfo(_downloads).AvailableFreeSpace;
            await OfferAsync(peer, 1, free);
            FileOffered offer = await receiver.NextAsync<FileOffered>();
            TransferLimitException e = await Assert.ThrowsAsync<TransferLimitException>(async () => await receiver.AcceptFileAsync(offer.Id, _downloads));
            Assert.Equal(TransferLimit.NotEnoughSpace, e.Limit);
            Assert.True(e.Allowed < free - (60L << 20), $"{e.Allowed:N0} of {free:N0} bytes allowed");
            Assert.DoesNotContain(_downloads, e.PeerReason, StringComparison.Ordinal);
            Assert.Empty(PartFiles());
            await receiver.RejectFileAsync(offer.Id, e.PeerReason);

            // A small one still fits.
            await OfferAsync(peer, 3, 1000);
            FileOffered small = await receiver.NextAsync<FileOffered>();
            await receiver.AcceptFileAsync(small.Id, _downloads);
        }
    }

    [Fact]
    public async Task Files_arriving_at_once_cannot_each_count_the_same_free_space()
    {
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            _ = DrainAsync(peer);
            long share = (new DriveInfo(_downloads).AvailableFreeSpace - SecureChat.Transfer.TransferManager.FreeSpaceMargin) * 6 / 10;
            await OfferAsync(peer, 1, share, "first.bin");
            await OfferAsync(peer, 3, share, "second.bin");
            FileOffered first = await receiver.NextAsync<FileOffered>();
            FileOffered second = await receiver.NextAsync<FileOffered>();

            // Each fits in the free space alone; together they do not.
            await receiver.AcceptFileAsync(first.Id, _downloads);
            TransferLimitException e = await Assert.ThrowsAsync<TransferLimitException>(async () => await receiver.AcceptFileAsync(second.Id, _downloads));
            Assert.Equal(TransferLimit.NotEnoughSpace, e.Limit);

            // Once the first one stops, its promise is released.
            await CancelAsync(peer, first.Id);
            Assert.Equal(first.Id, (await receiver.NextAsync<FileFailed>()).Id);
            await receiver.AcceptFileAsync(second.Id, _downloads);
        }
    }

    [Fact]
    public async Task At_most_eight_part_files_with_data_are_kept_from_cancelled_transfers()
    {
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            _ = DrainAsync(peer);
            for (uint n = 0; n < 10; n++)
            {
                uint id = (2 * n) + 1;
                await OfferAsync(peer, id, 1000, $"file{n}.bin");
                FileOffered offer = await receiver.NextAsync<FileOffered>();
                await receiver.AcceptFileAsync(offer.Id, _downloads);
                await DataAsync(peer, id, 100);
                string part = Path.Combine(_downloads, $"file{n}.bin.part");
                await WaitUntilAsync(() => new FileInfo(part).Length == 100);
                await CancelAsync(peer, id);
                Assert.IsType<FileFailed>(await NextOfTypeAsync<FileFailed>(receiver));
            }

            await WaitUntilAsync(() => PartFiles().Length == 16);
            string[] kept = [.. PartFiles().Where(p => p.EndsWith(".part", StringComparison.Ordinal)).Select(p => Path.GetFileName(p)).Order()];
            Assert.Equal([.. Enumerable.Range(0, 8).Select(n => $"file{n}.bin.part")], kept);
        }
    }

    private static async Task<FileOffered> NextOfferAsync(SecureChatSession session, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (await session.ReceiveAsync(cancellationToken) is FileOffered offer)
            {
                return offer;
            }
        }
    }

    private static async Task<T> NextOfTypeAsync<T>(SecureChatSession session)
        where T : SessionEvent
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while (true)
        {
            if (await session.ReceiveAsync(timeout.Token) is T evt)
            {
                return evt;
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }
    }
}
