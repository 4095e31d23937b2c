using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Files;

/// <summary>
/// What a hostile or unlucky transfer cannot do: names from the peer, corrupted .part files,
/// rejected offers, impossible fields. The hostile sender is v2_peer.py, the independent
/// Python implementation of the protocol, sending hand-made file messages.
/// </summary>
public class TransferSafetyTests
{
    private const int FileOffer = 0x10;
    private const int FileAccept = 0x11;
    private const int FileData = 0x13;
    private const int FileEnd = 0x14;
    private const int FileCancel = 0x15;

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    private static byte[] Data(uint id, byte[] bytes)
    {
        byte[] body = new byte[4 + bytes.Length];
        BinaryPrimitives.WriteUInt32BigEndian(body, id);
        bytes.CopyTo(body, 4);
        return body;
    }

    private static async Task<JsonElement> FileMessageAsync(SeedPeer peer, int type)
    {
        while (true)
        {
            JsonElement message = await peer.EventAsync("file-message");
            if (message.GetProperty("type").GetInt32() == type)
            {
                return message;
            }
        }
    }

    public static TheoryData<string> HostileNames =>
    [
        "../../x",
        "..\\..\\evil.txt",
        "/etc/passwd",
        "\u001b[31mred\u001b[0m.txt\u001b]0;title\u0007",
        ".bashrc",
        "-rf",
        new string('n', 300) + ".txt",
        "\u202Etxt.exe",
    ];

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task A_hostile_name_from_the_peer_becomes_a_safe_name_inside_the_download_dir(string name)
    {
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        byte[] content = Encoding.UTF8.GetBytes("content of a file with a hostile name\n");
        string sha = Convert.ToHexStringLower(SHA256.HashData(content));
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--accept-files", downloads, "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await peer.SendTypeAsync(FileOffer, Json(new { id = 1, name, size = content.Length, sha256 = sha }));
            string shown = (await listener.EventAsync("file-offer")).GetProperty("name").GetString()!;
            await FileMessageAsync(peer, FileAccept);
            await peer.SendTypeAsync(FileData, Data(1, content));
            await peer.SendTypeAsync(FileEnd, Json(new { id = 1 }));

            JsonElement done = await listener.EventAsync("file-done");
            string path = done.GetProperty("path").GetString()!;
            Assert.Equal(downloads, Path.GetDirectoryName(path));
            string saved = Path.GetFileName(path);
            Assert.Equal(shown, saved);
            Assert.DoesNotContain(saved, c => char.IsControl(c) || c is '/' or '\\' or '\u202E');
            Assert.False(saved.StartsWith('.') || saved.StartsWith('-'), saved);
            Assert.InRange(Encoding.UTF8.GetByteCount(saved), 1, 200);
            Assert.Equal(content, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFileSystemEntries(home.Path), e => Path.GetFileName(e) == "downloads");
            Assert.Equal([saved], Directory.GetFileSystemEntries(downloads).Select(Path.GetFileName));

            // The sender hears that its file arrived intact.
            await FileMessageAsync(peer, FileEnd);
        }
    }

    [Fact]
    public async Task An_existing_file_is_never_overwritten()
    {
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        File.WriteAllText(Path.Combine(downloads, "notes.txt"), "mine");
        byte[] content = "theirs"u8.ToArray();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--accept-files", downloads, "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await peer.SendTypeAsync(FileOffer, Json(new { id = 1, name = "notes.txt", size = content.Length, sha256 = Convert.ToHexStringLower(SHA256.HashData(content)) }));
            await FileMessageAsync(peer, FileAccept);
            await peer.SendTypeAsync(FileData, Data(1, content));
            await peer.SendTypeAsync(FileEnd, Json(new { id = 1 }));
            Assert.Equal(Path.Combine(downloads, "notes (1).txt"), (await listener.EventAsync("file-done")).GetProperty("path").GetString());
            Assert.Equal("mine", File.ReadAllText(Path.Combine(downloads, "notes.txt")));
            Assert.Equal("theirs", File.ReadAllText(Path.Combine(downloads, "notes (1).txt")));
        }
    }

    [Fact]
    public async Task Invalid_file_messages_are_reported_and_the_chat_goes_on()
    {
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--accept-files", downloads, "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await peer.SendTypeAsync(FileOffer, "{\"id\": \"one\"}"u8.ToArray());
            await peer.SendTypeAsync(FileOffer, Json(new { id = 1, name = "x", size = -5, sha256 = new string('0', 64) }));
            await peer.SendTypeAsync(FileOffer, Json(new { id = 2, name = "x", size = 5, sha256 = new string('0', 64) })); // an id the listener chooses
            await peer.SendTypeAsync(FileOffer, "not json"u8.ToArray());
            await peer.SendTypeAsync(FileData, [1, 2]);
            await peer.SendTypeAsync(FileData, Data(99, [1, 2, 3]));
            await peer.SendTypeAsync(FileEnd, Json(new { id = 77 }));
            await peer.SendTypeAsync(FileAccept, Json(new { id = 2, offset = 1 }));
            await peer.SendAsync("still talking");
            Assert.Equal("still talking", (await listener.EventAsync("received")).GetProperty("text").GetString());
            await listener.StderrContainsAsync("invalid file-transfer message");
            Assert.Empty(Directory.GetFileSystemEntries(downloads));
            Assert.DoesNotContain("\"file-offer\"", listener.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_corrupted_part_file_fails_the_prefix_proof_and_the_file_arrives_whole_from_the_start()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        string downloads = Directory.CreateDirectory(serverHome.File("downloads")).FullName;
        string source = clientHome.File("report.bin");
        string sha = TestFiles.Create(source, 3_000_000, seed: 7);

        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--accept-files", downloads);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");

            // An earlier attempt from this same peer left a .part whose bytes were damaged since.
            string peer = (await listener.EventAsync("handshake")).GetProperty("peer_fingerprint").GetString()!;
            byte[] damaged = File.ReadAllBytes(source)[..1_000_000];
            damaged[12345] ^= 0xFF;
            File.WriteAllBytes(Path.Combine(downloads, "report.bin.part"), damaged);
            File.WriteAllText(Path.Combine(downloads, "report.bin.part.meta"), $"{{\"size\":3000000,\"sha256\":\"{sha}\",\"peer\":\"{peer}\"}}");
            await client.WriteLineAsync("/send " + source);

            // The sender's check of the .part's prefix MAC fails: FILE_RESTART, and all of it comes again.
            JsonElement done = await listener.EventAsync("file-done");
            Assert.Equal(0, done.GetProperty("resumed_from").GetInt64());
            Assert.Equal(sha, done.GetProperty("sha256").GetString());
            Assert.Equal(sha, TestFiles.Sha256(done.GetProperty("path").GetString()!));
            Assert.Equal(["report.bin"], Directory.GetFileSystemEntries(downloads).Select(Path.GetFileName));
        }
    }

    [Fact]
    public async Task A_file_end_hash_that_does_not_match_is_answered_with_file_cancel_and_the_part_is_deleted()
    {
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        byte[] content = "the bytes that really arrive\n"u8.ToArray();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--accept-files", downloads, "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await peer.SendTypeAsync(FileOffer, Json(new { id = 1, name = "claimed.txt", size = content.Length, sha256 = (string?)null }));
            Assert.Equal(JsonValueKind.Null, (await listener.EventAsync("file-offer")).GetProperty("sha256").ValueKind);
            await FileMessageAsync(peer, FileAccept);
            await peer.SendTypeAsync(FileData, Data(1, content));
            await peer.SendTypeAsync(FileEnd, Json(new { id = 1, sha256 = new string('0', 64) }));

            Assert.Contains("SHA-256", (await listener.EventAsync("file-failed")).GetProperty("reason").GetString(), StringComparison.Ordinal);
            await FileMessageAsync(peer, FileCancel);
            Assert.Empty(Directory.GetFileSystemEntries(downloads));
        }
    }

    [Fact]
    public async Task A_rejected_offer_leaves_nothing_behind_and_the_sender_is_told()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        string downloads = Directory.CreateDirectory(serverHome.File("downloads")).FullName;
        string source = clientHome.File("unwanted.txt");
        File.WriteAllText(source, "no thanks");
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--download-dir", downloads);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");
            await client.WriteLineAsync("/send " + source);
            Assert.Equal("unwanted.txt", (await listener.EventAsync("file-offer")).GetProperty("name").GetString());
            await listener.WriteLineAsync("/reject");
            Assert.Contains("rejected", (await client.EventAsync("file-failed")).GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(downloads));
        }
    }

    [Fact]
    public async Task An_accepted_offer_goes_to_the_download_dir()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        string downloads = Directory.CreateDirectory(serverHome.File("downloads")).FullName;
        string source = clientHome.File("wanted.txt");
        File.WriteAllText(source, "yes please");
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--download-dir", downloads);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");
            await client.WriteLineAsync("/send " + source);
            uint id = (await listener.EventAsync("file-offer")).GetProperty("id").GetUInt32();
            await listener.WriteLineAsync($"/accept {id}");
            string path = (await listener.EventAsync("file-done")).GetProperty("path").GetString()!;
            Assert.Equal(Path.Combine(downloads, "wanted.txt"), path);
            Assert.Equal("yes please", File.ReadAllText(path));
        }
    }

    [Fact]
    public async Task The_sender_refuses_directories_and_missing_files_with_a_clear_message()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        var (listener, port) = await Launch.ListenAsync(serverHome.Path);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");
            await client.WriteLineAsync("/send " + clientHome.Path);
            Assert.Contains("is a directory", (await client.EventAsync("error")).GetProperty("message").GetString(), StringComparison.Ordinal);
            await client.WriteLineAsync("/send " + clientHome.File("missing.txt"));
            Assert.Contains("does not exist", (await client.EventAsync("error")).GetProperty("message").GetString(), StringComparison.Ordinal);
            await client.WriteLineAsync("/accept");
            Assert.Contains("No file offer", (await client.EventAsync("error")).GetProperty("message").GetString(), StringComparison.Ordinal);
            await client.WriteLineAsync("still here");
            Assert.Equal("still here", (await listener.EventAsync("received")).GetProperty("text").GetString());
        }
    }
}
