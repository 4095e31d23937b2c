using System.Security.Cryptography;
using System.Text.Json;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

/// <summary>
/// What another local user can plant in the download directory before the peer offers a file:
/// NAME.part and NAME.part.meta as links, hard links or oversized files. None of them is followed,
/// truncated or resumed; the file still arrives intact under a free name.
/// </summary>
public sealed class PartFileSafetyTests : IDisposable
{
    private const string Name = "notes.txt";
    private readonly string _root = Directory.CreateTempSubdirectory("securechat-partfile-").FullName;
    private readonly string _downloads;
    private readonly string _outbox;
    private readonly byte[] _content;
    private readonly string _sha256;

    /// <summary>The sending peer's identity: the planted .meta files name it, so only the planting decides.</summary>
    private readonly IdentityKeyPair _sender = IdentityKeyPair.Generate();

    public PartFileSafetyTests()
    {
        _downloads = Directory.CreateDirectory(Path.Combine(_root, "downloads")).FullName;
        _outbox = Directory.CreateDirectory(Path.Combine(_root, "outbox")).FullName;
        _content = new byte[200_000];
        new Random(7).NextBytes(_content);
        _sha256 = Convert.ToHexStringLower(SHA256.HashData(_content));
        File.WriteAllBytes(Path.Combine(_outbox, Name), _content);
    }

    public void Dispose()
    {
        _sender.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private string Part => Path.Combine(_downloads, Name + ".part");

    private string Meta => Part + ".meta";

    private void WriteMatchingMeta(string path) =>
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(new { size = _content.Length, sha256 = _sha256, peer = _sender.Fingerprint }));

    /// <summary>The peer offers notes.txt, the receiver accepts it into the download directory; returns the receiver's final event.</summary>
    private async Task<SessionEvent> SendAndAcceptAsync()
    {
        var (client, server) = await Loopback.PairAsync(new SessionOptions { Identity = _sender, KeyLogFile = null }, Loopback.Options());
        await using (client)
        await using (server)
        {
            await client.SendFileAsync(Path.Combine(_outbox, Name));
            FileOffered offer = await server.NextAsync<FileOffered>();
            await server.AcceptFileAsync(offer.Id, _downloads);
            using var timeout = new CancellationTokenSource(Loopback.Timeout);
            while (true)
            {
                SessionEvent evt = await server.ReceiveAsync(timeout.Token);
                if (evt is FileCompleted or FileFailed)
                {
                    return evt;
                }
            }
        }
    }

    private void AssertArrivedIntact(SessionEvent result)
    {
        FileCompleted done = Assert.IsType<FileCompleted>(result);
        Assert.Equal(_downloads, Path.GetDirectoryName(done.Path));
        Assert.Equal(_content, File.ReadAllBytes(done.Path));
        Assert.Equal(0, done.ResumedFrom);
    }

    [Fact]
    public async Task A_planted_part_symlink_is_not_followed_and_its_target_is_unchanged()
    {
        string victim = Path.Combine(_root, "authorized_keys");
        byte[] victimBytes = "ssh-ed25519 AAAAC3Nza the-owner@host\n"u8.ToArray();
        File.WriteAllBytes(victim, victimBytes);
        File.CreateSymbolicLink(Part, victim);
        WriteMatchingMeta(Meta);

        AssertArrivedIntact(await SendAndAcceptAsync());

        Assert.Equal(victimBytes, File.ReadAllBytes(victim));
        Assert.Equal(victim, new FileInfo(Part).LinkTarget);
    }

    [Fact]
    public async Task A_planted_meta_symlink_is_not_trusted_and_the_part_beside_it_is_not_resumed()
    {
        byte[] planted = new byte[1000];
        new Random(8).NextBytes(planted);
        File.WriteAllBytes(Part, planted);
        string elsewhere = Path.Combine(_root, "meta-elsewhere");
        WriteMatchingMeta(elsewhere);
        File.CreateSymbolicLink(Meta, elsewhere);

        AssertArrivedIntact(await SendAndAcceptAsync());

        Assert.Equal(planted, File.ReadAllBytes(Part));
        Assert.Equal(elsewhere, new FileInfo(Meta).LinkTarget);
    }

    [Fact]
    public async Task A_part_longer_than_its_meta_records_is_neither_resumed_nor_truncated()
    {
        byte[] planted = new byte[_content.Length + 10];
        _content.CopyTo(planted, 0);
        File.WriteAllBytes(Part, planted);
        WriteMatchingMeta(Meta);

        AssertArrivedIntact(await SendAndAcceptAsync());

        Assert.Equal(planted, File.ReadAllBytes(Part));
    }

    [Fact]
    public async Task A_hard_linked_part_is_not_resumed_and_the_other_name_is_unchanged()
    {
        string victim = Path.Combine(_root, "victim");
        byte[] victimBytes = new byte[1000];
        File.WriteAllBytes(victim, victimBytes);
        Assert.Equal(0, Link(victim, Part));
        WriteMatchingMeta(Meta);

        AssertArrivedIntact(await SendAndAcceptAsync());

        Assert.Equal(victimBytes, File.ReadAllBytes(victim));
    }

    [Fact]
    public async Task A_genuine_part_from_an_earlier_attempt_is_still_resumed()
    {
        File.WriteAllBytes(Part, _content[..70_000]);
        WriteMatchingMeta(Meta);

        FileCompleted done = Assert.IsType<FileCompleted>(await SendAndAcceptAsync());

        Assert.Equal(70_000, done.ResumedFrom);
        Assert.Equal(Path.Combine(_downloads, Name), done.Path);
        Assert.Equal(_content, File.ReadAllBytes(done.Path));
        Assert.False(File.Exists(Part) || File.Exists(Meta));
    }

    [Fact]
    public async Task New_part_and_meta_files_are_created_readable_by_the_owner_only()
    {
        var (client, server) = await Loopback.PairAsync(new SessionOptions { Identity = _sender, KeyLogFile = null }, Loopback.Options());
        await using (client)
        await using (server)
        {
            // An offer whose data never comes: the .part and .meta stay while it waits.
            await client.SendRawForTestsAsync(0x10, JsonSerializer.SerializeToUtf8Bytes(new { id = 1, name = Name, size = 5000, sha256 = _sha256 }));
            FileOffered offer = await server.NextAsync<FileOffered>();
            await server.AcceptFileAsync(offer.Id, _downloads);

            Assert.True(File.Exists(Part) && File.Exists(Meta));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Part));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Meta));
            }
        }
    }

    /// <summary>A second name for <paramref name="existing"/> (ln, as .NET has no hard-link API).</summary>
    private static int Link(string existing, string created)
    {
        using var ln = System.Diagnostics.Process.Start("ln", [existing, created]);
        ln.WaitForExit();
        return ln.ExitCode;
    }
}
