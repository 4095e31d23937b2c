using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

using static SecureChat.Tests.Transfer.RawFilePeer;

namespace SecureChat.Tests.Transfer;

/// <summary>
/// A resumable .part is bound to the authenticated peer that left it (docs/PROTOCOL.md §4.1,
/// "Resume"). From the review of the v2 file messages: a .part left by ANOTHER transfer (another
/// peer, another session) was claimed by a hostile sender offering the same name and size with
/// "sha256": null; the receiver then sent that .part's length and plain SHA-256 (the old
/// prefix_sha256), so the sender could (a) forge a whole-file hash by SHA-256 length extension and
/// get a spliced file stored as verified, (b) empty and delete it, (c) learn its length and hash.
/// Now the .meta records the sender's fingerprint, a .part is resumed only for that same peer (a
/// .meta without one never), and the prefix proof is an HMAC under a fresh random challenge.
/// </summary>
public sealed class ResumeBindingTests : IDisposable
{
    private const byte FileOffer = 0x10;
    private const byte FileEnd = 0x14;
    private const byte FileCancel = 0x15;
    private const byte FileRestart = 0x16;
    private const string Name = "report.pdf";
    private const int Size = 300_000;
    private const int PartLength = 100_000;

    private readonly string _root = Directory.CreateTempSubdirectory("securechat-resume-binding-").FullName;
    private readonly byte[] _victimFile = new byte[Size]; // what an earlier, honest peer was sending

    public ResumeBindingTests() => new Random(5).NextBytes(_victimFile);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Who the victim's .meta says sent its .part: nobody (a .meta from before the binding), or another peer.</summary>
    public enum MetaPeer
    {
        Missing,
        AnotherPeer,
    }

    private string Part => Path.Combine(_root, Name + ".part");

    private static SessionOptions Options(IdentityKeyPair identity) => new() { Identity = identity, KeyLogFile = null };

    private byte[] VictimMeta(MetaPeer peer)
    {
        string sha256 = Convert.ToHexStringLower(SHA256.HashData(_victimFile));
        return peer == MetaPeer.Missing
            ? Json(new { size = Size, sha256 })
            : Json(new { size = Size, sha256, peer = Fingerprint.Of(RandomNumberGenerator.GetBytes(32)) });
    }

    /// <summary>The .part an interrupted transfer of another peer left, with the hash its offer carried; returns its .meta's bytes.</summary>
    private byte[] LeaveVictimPart(MetaPeer peer)
    {
        byte[] meta = VictimMeta(peer);
        File.WriteAllBytes(Part, _victimFile[..PartLength]);
        File.WriteAllBytes(Part + ".meta", meta);
        return meta;
    }

    private void AssertVictimPartUntouched(byte[] meta)
    {
        Assert.True(File.Exists(Part), "the other transfer's .part is gone");
        Assert.Equal(_victimFile[..PartLength], File.ReadAllBytes(Part));
        Assert.Equal(meta, File.ReadAllBytes(Part + ".meta"));
    }

    private static async Task<FileOffered> OfferedAsync(SecureChatSession receiver) => await UntilAsync<FileOffered>(receiver);

    [Theory]
    [InlineData(MetaPeer.Missing)]
    [InlineData(MetaPeer.AnotherPeer)]
    public async Task A_hostile_sender_cannot_get_a_file_with_someone_elses_unknown_prefix_stored_as_verified(MetaPeer metaPeer)
    {
        byte[] meta = LeaveVictimPart(metaPeer);
        var (attacker, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (attacker)
        await using (receiver)
        {
            // The attacker knows only the name and size; "sha256": null matches the .meta's hash.
            await SendAsync(attacker, FileOffer, new { id = 1, name = Name, size = Size, sha256 = (string?)null });
            await receiver.AcceptFileAsync((await OfferedAsync(receiver)).Id, _root);

            // What the old FILE_ACCEPT told the attacker: offset = 100,000 and prefix_sha256 = SHA-256
            // of the victim's bytes (the test computes the same value). The attacker bets on it.
            byte[] prefixSha256 = SHA256.HashData(_victimFile.AsSpan(0, PartLength));

            // SHA-256 length extension: glue padding, then anything the attacker likes.
            byte[] glue = Sha256Extend.Padding(PartLength);
            byte[] tail = new byte[Size - PartLength - glue.Length];
            "ATTACKER CONTROLLED CONTENT"u8.CopyTo(tail);
            byte[] forged = Sha256Extend.Extend(prefixSha256, PartLength + glue.Length, tail);

            await DataAsync(attacker, 1, glue.Concat(tail).ToArray());
            await SendAsync(attacker, FileEnd, new { id = 1, sha256 = Convert.ToHexStringLower(forged) });

            SessionEvent outcome = await OutcomeAsync(receiver);
            if (outcome is FileCompleted done)
            {
                byte[] stored = File.ReadAllBytes(done.Path);
                Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(stored)), done.Sha256); // the splice really hashes to it
                Assert.Fail($"spliced file stored as verified={done.Verified}: the victim's first {PartLength:N0} bytes + the attacker's tail, at {done.Path}");
            }

            // Not resumed: the data counted from byte 0 and fell short of the offered size.
            Assert.Contains($"after {Size - PartLength:N0} of {Size:N0} bytes", Assert.IsType<FileFailed>(outcome).Reason, StringComparison.Ordinal);
        }

        AssertVictimPartUntouched(meta);
    }

    [Theory]
    [InlineData(MetaPeer.Missing)]
    [InlineData(MetaPeer.AnotherPeer)]
    public async Task A_hostile_sender_cannot_empty_and_delete_a_part_another_transfer_left(MetaPeer metaPeer)
    {
        byte[] meta = LeaveVictimPart(metaPeer);
        var (attacker, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (attacker)
        await using (receiver)
        {
            await SendAsync(attacker, FileOffer, new { id = 1, name = Name, size = Size, sha256 = (string?)null });
            await receiver.AcceptFileAsync((await OfferedAsync(receiver)).Id, _root);
            await SendAsync(attacker, FileRestart, new { id = 1 });
            await SendAsync(attacker, FileCancel, new { id = 1, reason = "bye" });
            var events = new List<SessionEvent>();
            Assert.IsType<FileFailed>(await OutcomeAsync(receiver, events));
            Assert.Contains(events, e => e is PeerWarning w && w.Message.Contains("not a resumed transfer", StringComparison.Ordinal));
        }

        AssertVictimPartUntouched(meta);
        Assert.Equal([Name + ".part", Name + ".part.meta"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(MetaPeer.Missing)]
    [InlineData(MetaPeer.AnotherPeer)]
    public async Task Another_peers_offer_of_the_same_name_and_size_is_received_whole_under_another_part_and_the_old_part_is_left_alone(MetaPeer metaPeer)
    {
        byte[] meta = LeaveVictimPart(metaPeer);
        byte[] own = new byte[Size];
        new Random(6).NextBytes(own);
        string source = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "outbox")).FullName, Name);
        File.WriteAllBytes(source, own);
        string downloads = _root;
        var (sender, receiver) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
        await using (sender)
        await using (receiver)
        {
            await sender.SendFileAsync(source);
            await receiver.AcceptFileAsync((await OfferedAsync(receiver)).Id, downloads);

            FileCompleted done = Assert.IsType<FileCompleted>(await OutcomeAsync(receiver));
            Assert.Equal(0, done.ResumedFrom);
            Assert.Equal(Path.Combine(downloads, Name), done.Path); // the .part had another name; the final name was free
            Assert.Equal(own, File.ReadAllBytes(done.Path));
            Assert.Equal(0, Assert.IsType<FileCompleted>(await OutcomeAsync(sender)).ResumedFrom);
        }

        AssertVictimPartUntouched(meta);
    }

    [Fact]
    public async Task A_part_is_resumed_in_a_later_session_by_the_peer_that_left_it_and_by_no_other()
    {
        using IdentityKeyPair honest = IdentityKeyPair.Generate();
        using IdentityKeyPair other = IdentityKeyPair.Generate();
        using IdentityKeyPair receiverKey = IdentityKeyPair.Generate();
        string source = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "outbox")).FullName, Name);
        File.WriteAllBytes(source, _victimFile);

        // Session 1: the honest peer's transfer stops after 100,000 bytes; the .part is kept, bound to it.
        var (first, receiver1) = await Loopback.PairAsync(Options(honest), Options(receiverKey));
        await using (first)
        await using (receiver1)
        {
            await SendAsync(first, FileOffer, new { id = 1, name = Name, size = Size, sha256 = (string?)null });
            await receiver1.AcceptFileAsync((await OfferedAsync(receiver1)).Id, _root);
            await DataAsync(first, 1, _victimFile.AsMemory(0, PartLength));
            await SendAsync(first, FileCancel, new { id = 1, reason = "interrupted" });
            Assert.IsType<FileFailed>(await OutcomeAsync(receiver1));
        }

        using (JsonDocument meta = JsonDocument.Parse(File.ReadAllBytes(Part + ".meta")))
        {
            Assert.Equal(honest.Fingerprint, meta.RootElement.GetProperty("peer").GetString());
        }

        Assert.Equal(_victimFile[..PartLength], File.ReadAllBytes(Part));

        // Session 2: another identity offers the same name and size (and the very same bytes): not resumed.
        var (stranger, receiver2) = await Loopback.PairAsync(Options(other), Options(receiverKey));
        await using (stranger)
        await using (receiver2)
        {
            await stranger.SendFileAsync(source);
            await receiver2.AcceptFileAsync((await OfferedAsync(receiver2)).Id, _root);
            FileCompleted done = Assert.IsType<FileCompleted>(await OutcomeAsync(receiver2));
            Assert.Equal(0, done.ResumedFrom);
            File.Delete(done.Path);
        }

        Assert.Equal(_victimFile[..PartLength], File.ReadAllBytes(Part));

        // Session 3: the honest peer again: it resumes from its own .part.
        var (again, receiver3) = await Loopback.PairAsync(Options(honest), Options(receiverKey));
        await using (again)
        await using (receiver3)
        {
            await again.SendFileAsync(source);
            await receiver3.AcceptFileAsync((await OfferedAsync(receiver3)).Id, _root);
            FileCompleted done = Assert.IsType<FileCompleted>(await OutcomeAsync(receiver3));
            Assert.Equal(PartLength, done.ResumedFrom);
            Assert.Equal(_victimFile, File.ReadAllBytes(done.Path));
            Assert.Equal(PartLength, Assert.IsType<FileCompleted>(await OutcomeAsync(again)).ResumedFrom);
        }

        Assert.Empty(Directory.GetFiles(_root, "*.part*"));
    }
}

/// <summary>
/// TEST-ONLY ATTACK TOOL: plain SHA-256 that can start from a published digest (SHA-256 length
/// extension), so the tests above can play a hostile sender that forges the hash of "someone else's
/// unknown prefix ‖ its own bytes". It is a reimplementation of a primitive and exists for that
/// attack only: the product never uses it (and must not: primitives come from
/// System.Security.Cryptography or libsodium).
/// </summary>
internal static class Sha256Extend
{
    private static readonly uint[] K =
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    /// <summary>The padding SHA-256 appends to a message of <paramref name="length"/> bytes.</summary>
    public static byte[] Padding(long length)
    {
        int pad = (int)(64 - ((length + 9) % 64)) % 64;
        byte[] p = new byte[1 + pad + 8];
        p[0] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(p.AsSpan(1 + pad), (ulong)length * 8);
        return p;
    }

    /// <summary>SHA-256(m ‖ Padding(|m|) ‖ tail) from SHA-256(m) alone; <paramref name="processed"/> = |m| + |padding|.</summary>
    public static byte[] Extend(byte[] digest, long processed, byte[] tail)
    {
        uint[] h = new uint[8];
        for (int i = 0; i < 8; i++)
        {
            h[i] = BinaryPrimitives.ReadUInt32BigEndian(digest.AsSpan(i * 4));
        }

        byte[] message = tail.Concat(Padding(processed + tail.Length)).ToArray();
        for (int block = 0; block < message.Length; block += 64)
        {
            Compress(h, message.AsSpan(block, 64));
        }

        byte[] result = new byte[32];
        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(i * 4), h[i]);
        }

        return result;
    }

    private static void Compress(uint[] h, ReadOnlySpan<byte> block)
    {
        Span<uint> w = stackalloc uint[64];
        for (int i = 0; i < 16; i++)
        {
            w[i] = BinaryPrimitives.ReadUInt32BigEndian(block[(i * 4)..]);
        }

        for (int i = 16; i < 64; i++)
        {
            uint s0 = uint.RotateRight(w[i - 15], 7) ^ uint.RotateRight(w[i - 15], 18) ^ (w[i - 15] >> 3);
            uint s1 = uint.RotateRight(w[i - 2], 17) ^ uint.RotateRight(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }

        uint a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; i++)
        {
            uint bigS1 = uint.RotateRight(e, 6) ^ uint.RotateRight(e, 11) ^ uint.RotateRight(e, 25);
            uint ch = (e & f) ^ (~e & g);
            uint t1 = hh + bigS1 + ch + K[i] + w[i];
            uint bigS0 = uint.RotateRight(a, 2) ^ uint.RotateRight(a, 13) ^ uint.RotateRight(a, 22);
            uint maj = (a & b) ^ (a & c) ^ (b & c);
            uint t2 = bigS0 + maj;
            hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }

        h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
}
