using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

using static SecureChat.Tests.Transfer.RawFilePeer;

namespace SecureChat.Tests.Transfer;

/// <summary>
/// Protocol v2 file messages (docs/PROTOCOL.md §4.1): the offer comes without the hash, the sender's
/// FILE_END carries it, and a resumed accept proves its .part prefix (FILE_ACCEPT's challenge and
/// prefix_mac, FILE_RESTART when it is another file's). A .part is resumed only for the peer that
/// left it (ResumeBindingTests covers other peers). Hostile values from either side change nothing they should not.
/// </summary>
public sealed class HashAtEndTests : IDisposable
{
    private const byte FileOffer = 0x10;
    private const byte FileAccept = 0x11;
    private const byte FileEnd = 0x14;
    private const byte FileRestart = 0x16;
    private const string Name = "notes.bin";

    private readonly string _root = Directory.CreateTempSubdirectory("securechat-hashatend-").FullName;
    private readonly string _downloads;
    private readonly string _source;
    private readonly byte[] _content;
    private readonly string _sha256;

    public HashAtEndTests()
    {
        _downloads = Directory.CreateDirectory(Path.Combine(_root, "downloads")).FullName;
        _content = new byte[300_000];
        new Random(11).NextBytes(_content);
        _sha256 = Convert.ToHexStringLower(SHA256.HashData(_content));
        _source = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "outbox")).FullName, Name);
        File.WriteAllBytes(_source, _content);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Part => Path.Combine(_downloads, Name + ".part");

    /// <summary>What an earlier, interrupted transfer from <paramref name="receiver"/>'s peer left: a .part and its .meta bound to that peer.</summary>
    private void LeavePart(SecureChatSession receiver, byte[] bytes)
    {
        File.WriteAllBytes(Part, bytes);
        File.WriteAllBytes(Part + ".meta", Json(new { size = _content.Length, sha256 = (string?)null, peer = receiver.PeerInfo.Fingerprint }));
    }

    private static string Hmac(string challengeHex, ReadOnlySpan<byte> prefix) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Convert.FromHexString(challengeHex), prefix));

    private static void ContainsWarning(List<SessionEvent> events, string text) =>
        Assert.Contains(events, e => e is PeerWarning w && w.Message.Contains(text, StringComparison.Ordinal));

    [Fact]
    public async Task The_offer_has_no_hash_and_both_sides_finish_with_the_sha256_of_the_file()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            FileOfferSent sent = await client.SendFileAsync(_source);
            Assert.Null(sent.Sha256);
            FileOffered offer = await UntilAsync<FileOffered>(server);
            Assert.Null(offer.Sha256);
            await server.AcceptFileAsync(offer.Id, _downloads);

            FileCompleted received = Assert.IsType<FileCompleted>(await OutcomeAsync(server));
            FileCompleted confirmed = Assert.IsType<FileCompleted>(await OutcomeAsync(client));
            Assert.Equal(_sha256, received.Sha256);
            Assert.Equal(_sha256, confirmed.Sha256);
            Assert.True(received.Verified && confirmed.Verified);
            Assert.Equal(_content, File.ReadAllBytes(received.Path));
        }
    }

    [Fact]
    public async Task A_part_of_the_same_file_from_the_same_peer_is_proven_by_its_prefix_mac_and_resumed()
    {
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            LeavePart(server, _content[..100_000]);
            await client.SendFileAsync(_source);
            await server.AcceptFileAsync((await UntilAsync<FileOffered>(server)).Id, _downloads);

            FileCompleted done = Assert.IsType<FileCompleted>(await OutcomeAsync(server));
            Assert.Equal(100_000, done.ResumedFrom);
            Assert.Equal(_content, File.ReadAllBytes(done.Path));
            Assert.Equal(100_000, Assert.IsType<FileCompleted>(await OutcomeAsync(client)).ResumedFrom);
            Assert.Empty(Directory.GetFiles(_downloads, "*.part*"));
        }
    }

    [Fact]
    public async Task A_part_of_another_file_with_the_same_name_and_size_fails_the_prefix_proof_and_the_file_comes_from_the_start()
    {
        byte[] other = new byte[_content.Length];
        new Random(99).NextBytes(other);
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            LeavePart(server, other[..100_000]);
            await client.SendFileAsync(_source);
            await server.AcceptFileAsync((await UntilAsync<FileOffered>(server)).Id, _downloads);

            var serverEvents = new List<SessionEvent>();
            FileCompleted done = Assert.IsType<FileCompleted>(await OutcomeAsync(server, serverEvents));
            Assert.Equal(0, done.ResumedFrom);
            Assert.Equal(Path.Combine(_downloads, Name), done.Path);
            Assert.Equal(_content, File.ReadAllBytes(done.Path));
            ContainsWarning(serverEvents, "not the start of the offered file");

            var clientEvents = new List<SessionEvent>();
            FileCompleted confirmed = Assert.IsType<FileCompleted>(await OutcomeAsync(client, clientEvents));
            Assert.Equal(0, confirmed.ResumedFrom);
            Assert.Equal(_sha256, confirmed.Sha256);
            ContainsWarning(clientEvents, "sending it from the start");
        }
    }

    [Fact]
    public async Task A_file_end_hash_that_does_not_match_the_data_fails_the_transfer_and_deletes_the_part()
    {
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            await SendAsync(peer, FileOffer, new { id = 1, name = Name, size = 1000, sha256 = (string?)null });
            await receiver.AcceptFileAsync((await UntilAsync<FileOffered>(receiver)).Id, _downloads);
            await DataAsync(peer, 1, _content.AsMemory(0, 1000));
            await SendAsync(peer, FileEnd, new { id = 1, sha256 = _sha256 }); // the hash of another file

            FileFailed failed = Assert.IsType<FileFailed>(await OutcomeAsync(receiver));
            Assert.Contains("does not match", failed.Reason, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(_downloads));
        }
    }

    [Fact]
    public async Task A_file_without_a_hash_in_its_offer_or_its_end_is_not_kept()
    {
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            await SendAsync(peer, FileOffer, new { id = 1, name = Name, size = 1000, sha256 = (string?)null });
            await receiver.AcceptFileAsync((await UntilAsync<FileOffered>(receiver)).Id, _downloads);
            await DataAsync(peer, 1, _content.AsMemory(0, 1000));
            await SendAsync(peer, FileEnd, new { id = 1 });

            FileFailed failed = Assert.IsType<FileFailed>(await OutcomeAsync(receiver));
            Assert.Contains("did not give the SHA-256", failed.Reason, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(_downloads));
        }
    }

    [Fact]
    public async Task A_file_end_hash_that_contradicts_the_offer_fails_even_when_the_data_matches_the_offer()
    {
        string offered = Convert.ToHexStringLower(SHA256.HashData(_content.AsSpan(0, 1000)));
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            await SendAsync(peer, FileOffer, new { id = 1, name = Name, size = 1000, sha256 = offered });
            await receiver.AcceptFileAsync((await UntilAsync<FileOffered>(receiver)).Id, _downloads);
            await DataAsync(peer, 1, _content.AsMemory(0, 1000));
            await SendAsync(peer, FileEnd, new { id = 1, sha256 = _sha256 });

            FileFailed failed = Assert.IsType<FileFailed>(await OutcomeAsync(receiver));
            Assert.Contains("differs from the one in its offer", failed.Reason, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(_downloads));
        }
    }

    [Fact]
    public async Task A_file_end_with_a_malformed_hash_is_ignored_and_a_valid_one_still_completes_the_file()
    {
        string sha = Convert.ToHexStringLower(SHA256.HashData(_content.AsSpan(0, 1000)));
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            await SendAsync(peer, FileOffer, new { id = 1, name = Name, size = 1000, sha256 = (string?)null });
            await receiver.AcceptFileAsync((await UntilAsync<FileOffered>(receiver)).Id, _downloads);
            await DataAsync(peer, 1, _content.AsMemory(0, 1000));
            await SendAsync(peer, FileEnd, new { id = 1, sha256 = sha[..63] });
            await SendAsync(peer, FileEnd, new { id = 1, sha256 = sha + "00" });
            await SendAsync(peer, FileEnd, new { id = 1, sha256 = sha.ToUpperInvariant() });

            var events = new List<SessionEvent>();
            FileCompleted done = Assert.IsType<FileCompleted>(await OutcomeAsync(receiver, events));
            Assert.Equal(sha, done.Sha256);
            Assert.Equal(2, events.Count(e => e is PeerWarning w && w.Message.Contains("\"sha256\" must be null or 64 hexadecimal digits", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task A_restart_for_a_transfer_that_did_not_resume_is_ignored()
    {
        string sha = Convert.ToHexStringLower(SHA256.HashData(_content.AsSpan(0, 1000)));
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            await SendAsync(peer, FileOffer, new { id = 1, name = Name, size = 1000, sha256 = (string?)null });
            await receiver.AcceptFileAsync((await UntilAsync<FileOffered>(receiver)).Id, _downloads);
            await SendAsync(peer, FileRestart, new { id = 1 });
            await SendAsync(peer, FileRestart, new { id = 77 });
            await DataAsync(peer, 1, _content.AsMemory(0, 1000));
            await SendAsync(peer, FileEnd, new { id = 1, sha256 = sha });

            var events = new List<SessionEvent>();
            FileCompleted done = Assert.IsType<FileCompleted>(await OutcomeAsync(receiver, events));
            Assert.Equal(_content[..1000], File.ReadAllBytes(done.Path));
            Assert.Equal(2, events.Count(e => e is PeerWarning w && w.Message.Contains("not a resumed transfer", StringComparison.Ordinal)));
        }
    }

    [Fact]
    public async Task A_restart_after_resumed_data_arrived_is_ignored_and_the_part_is_not_emptied()
    {
        var (peer, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (peer)
        await using (receiver)
        {
            LeavePart(receiver, _content[..100_000]);
            await SendAsync(peer, FileOffer, new { id = 1, name = Name, size = _content.Length, sha256 = (string?)null });
            await receiver.AcceptFileAsync((await UntilAsync<FileOffered>(receiver)).Id, _downloads);
            await DataAsync(peer, 1, _content.AsMemory(100_000, 50_000));
            await SendAsync(peer, FileRestart, new { id = 1 });
            await DataAsync(peer, 1, _content.AsMemory(150_000));
            await SendAsync(peer, FileEnd, new { id = 1, sha256 = _sha256 });

            var events = new List<SessionEvent>();
            FileCompleted done = Assert.IsType<FileCompleted>(await OutcomeAsync(receiver, events));
            Assert.Equal(100_000, done.ResumedFrom);
            Assert.Equal(_content, File.ReadAllBytes(done.Path));
            ContainsWarning(events, "not a resumed transfer");
        }
    }

    [Fact]
    public async Task The_sender_refuses_a_resumed_accept_without_a_valid_challenge_and_prefix_mac_and_restarts_on_a_wrong_one()
    {
        string challenge = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            FileOfferSent sent = await client.SendFileAsync(_source);
            await UntilAsync<FileOffered>(server); // the server answers by hand below

            string mac = Hmac(challenge, _content.AsSpan(0, 1000));
            object[] invalid =
            [
                new { id = sent.Id, offset = 1000 }, // no proof
                new { id = sent.Id, offset = 1000, prefix_sha256 = _sha256 }, // the old, unkeyed proof
                new { id = sent.Id, offset = 1000, prefix_mac = mac }, // no challenge
                new { id = sent.Id, offset = 1000, challenge }, // no MAC
                new { id = sent.Id, offset = 1000, challenge = challenge[..62], prefix_mac = mac }, // 31 bytes
                new { id = sent.Id, offset = 1000, challenge = challenge + "00", prefix_mac = mac }, // 33 bytes
                new { id = sent.Id, offset = 1000, challenge = "g" + challenge[1..], prefix_mac = mac }, // not hex
                new { id = sent.Id, offset = 1000, challenge, prefix_mac = mac[..63] },
                new { id = sent.Id, offset = 0, challenge, prefix_mac = mac }, // a proof with offset 0
                new { id = sent.Id, offset = 0, prefix_mac = mac },
            ];
            foreach (object body in invalid)
            {
                await SendAsync(server, FileAccept, body);
            }

            var events = new List<SessionEvent>();
            for (int i = 0; i < invalid.Length; i++)
            {
                events.Add(await UntilAsync<PeerWarning>(client));
            }

            Assert.All(events, e => Assert.Contains("FILE_ACCEPT", ((PeerWarning)e).Message, StringComparison.Ordinal));

            // A well-formed MAC of other bytes (or under another key): the sender restarts from byte 0.
            await SendAsync(server, FileAccept, new { id = sent.Id, offset = 1000, challenge, prefix_mac = Hmac(challenge, _content.AsSpan(1, 1000)) });
            Assert.Equal(1000, (await UntilAsync<FileAccepted>(client)).Offset);
            Assert.Contains("sending it from the start", (await UntilAsync<PeerWarning>(client)).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_sender_resumes_from_the_offset_when_the_prefix_mac_under_the_receivers_challenge_matches()
    {
        string challenge = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (client)
        await using (server)
        {
            FileOfferSent sent = await client.SendFileAsync(_source);
            await UntilAsync<FileOffered>(server);

            // Upper-case hex is accepted too.
            await SendAsync(server, FileAccept, new { id = sent.Id, offset = 1000, challenge = challenge.ToUpperInvariant(), prefix_mac = Hmac(challenge, _content.AsSpan(0, 1000)) });
            var events = new List<SessionEvent>();
            Assert.Equal(1000, (await UntilAsync<FileAccepted>(client, events)).Offset);
            await UntilAsync<FileProgress>(client, events); // the data goes out from byte 1000: no restart
            Assert.DoesNotContain(events, e => e is PeerWarning);
        }
    }
}
