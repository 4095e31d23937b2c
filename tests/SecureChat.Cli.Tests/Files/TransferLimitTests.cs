using System.Text.Json;
using SecureChat.Cli.Commands;
using SecureChat.Cli.Output;
using SecureChat.Cli.Tests.Support;
using SecureChat.Transfer;

namespace SecureChat.Cli.Tests.Files;

/// <summary>
/// The limits on incoming files as the user meets them: --accept-files refuses what is beyond them
/// (and tells the peer why), a typed /accept says why and what to do, --max-file-size, and a
/// status area that stays a few rows high.
/// The hostile sender is v2_peer.py.
/// </summary>
public class TransferLimitTests
{
    private const int FileOffer = 0x10;
    internal const int FileAccept = 0x11;
    internal const int FileReject = 0x12;
    private const int FileCancel = 0x15;
    private static readonly string AnySha256 = new('a', 64);

    private static byte[] Json(object value) => JsonSerializer.SerializeToUtf8Bytes(value);

    internal static Task OfferAsync(SeedPeer peer, uint id, long size, string name = "flood.bin") =>
        peer.SendTypeAsync(FileOffer, Json(new { id, name, size, sha256 = AnySha256 }));

    /// <summary>The next FILE_ACCEPT or FILE_REJECT from the listener: (type, id, reason).</summary>
    internal static async Task<(int Type, uint Id, string? Reason)> AnswerAsync(SeedPeer peer)
    {
        while (true)
        {
            JsonElement message = await peer.EventAsync("file-message");
            int type = message.GetProperty("type").GetInt32();
            if (type is FileAccept or FileReject)
            {
                using JsonDocument body = JsonDocument.Parse(Convert.FromHexString(message.GetProperty("body_hex").GetString()!));
                string? reason = body.RootElement.TryGetProperty("reason", out JsonElement r) ? r.GetString() : null;
                return (type, body.RootElement.GetProperty("id").GetUInt32(), reason);
            }
        }
    }

    private static async Task<(int Type, uint Id)> IdOfAsync(SeedPeer peer)
    {
        var (type, id, _) = await AnswerAsync(peer);
        return (type, id);
    }

    private static int OpenDescriptors(CliProcess process) => Directory.GetFiles($"/proc/{process.Id}/fd").Length;

    /// <summary>The process's descriptors open on a .part or .part.meta file.</summary>
    private static int OpenPartFiles(CliProcess process) =>
        Directory.GetFiles($"/proc/{process.Id}/fd").Count(fd => new FileInfo(fd).LinkTarget?.Contains(".part", StringComparison.Ordinal) == true);

    [Fact]
    public async Task A_flood_of_offers_to_accept_files_keeps_four_open_and_cancelled_ones_leave_no_part_files()
    {
        const int offers = 3000;
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--accept-files", downloads, "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await listener.EventAsync("handshake");
            int before = OpenDescriptors(listener);
            for (uint i = 0; i < offers; i++)
            {
                await OfferAsync(peer, (2 * i) + 1, 1000);
            }

            var accepted = new List<uint>();
            var reasons = new HashSet<string>();
            for (int answered = 0; answered < offers; answered++)
            {
                var (type, id, reason) = await AnswerAsync(peer);
                if (type == FileAccept)
                {
                    accepted.Add(id);
                }
                else
                {
                    reasons.Add(reason!);
                }
            }

            Assert.Equal(4, accepted.Count);
            Assert.Contains("too many transfers at once (at most 4): offer it again later", reasons);
            Assert.Equal(4, OpenPartFiles(listener));
            Assert.True(OpenDescriptors(listener) - before < 20, $"{OpenDescriptors(listener) - before} more descriptors are open");
            Assert.Equal(4, Directory.GetFiles(downloads, "*.part").Length);

            foreach (uint id in accepted)
            {
                await peer.SendTypeAsync(FileCancel, Json(new { id, reason = "never mind" }));
            }

            for (int i = 0; i < accepted.Count; i++)
            {
                await listener.EventAsync("file-failed");
            }

            for (int i = 0; i < 100 && Directory.GetFileSystemEntries(downloads).Length > 0; i++)
            {
                await Task.Delay(50);
            }

            Assert.Empty(Directory.GetFileSystemEntries(downloads));
            Assert.Equal(0, OpenPartFiles(listener));
        }
    }

    [Fact]
    public async Task Accept_files_refuses_an_offer_over_max_file_size_and_the_peer_hears_why()
    {
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--accept-files", downloads, "--max-file-size", "1K", "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await OfferAsync(peer, 1, 1025);
            var (type, id, reason) = await AnswerAsync(peer);
            Assert.Equal((FileReject, 1u), (type, id));
            Assert.Equal("the file is larger than the receiver accepts (at most 1,024 bytes)", reason);
            await listener.StderrContainsAsync("larger than --max-file-size");

            await OfferAsync(peer, 3, 1024);
            Assert.Equal((FileAccept, 3u), await IdOfAsync(peer));
        }
    }

    [Fact]
    public async Task Accept_files_refuses_an_offer_larger_than_the_free_space_by_default()
    {
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--accept-files", downloads, "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await OfferAsync(peer, 1, new DriveInfo(downloads).AvailableFreeSpace);
            var (type, _, reason) = await AnswerAsync(peer);
            Assert.Equal(FileReject, type);
            Assert.Equal("the receiver does not have enough free space for the file", reason);
            Assert.Empty(Directory.GetFileSystemEntries(downloads));
        }
    }

    [Fact]
    public async Task A_typed_accept_over_max_file_size_says_why_and_the_offer_still_waits()
    {
        using var home = new TempHome();
        string downloads = Directory.CreateDirectory(home.File("downloads")).FullName;
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--download-dir", downloads, "--max-file-size", "1000", "--ephemeral");
        await using (listener)
        await using (SeedPeer peer = SeedPeer.Start("v2_peer.py", "initiator", port))
        {
            await peer.EventAsync("established");
            await OfferAsync(peer, 1, 5000);
            await listener.EventAsync("file-offer");
            await listener.WriteLineAsync("/accept 1");
            string message = (await listener.EventAsync("error")).GetProperty("message").GetString()!;
            Assert.Contains("larger than --max-file-size (1.0 kB)", message, StringComparison.Ordinal);
            Assert.Contains("/reject 1", message, StringComparison.Ordinal);

            await listener.WriteLineAsync("/reject");
            var (type, id, _) = await AnswerAsync(peer);
            Assert.Equal((FileReject, 1u), (type, id));
        }
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1048576", 1_048_576L)]
    [InlineData("500M", 500L << 20)]
    [InlineData("2G", 2L << 30)]
    [InlineData("2g", 2L << 30)]
    [InlineData("1.5K", 1536L)]
    [InlineData("3T", 3L << 40)]
    [InlineData("10MiB", 10L << 20)]
    [InlineData("10MB", 10L << 20)]
    public void Max_file_size_accepts_bytes_and_units(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out long parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("-5")]
    [InlineData("12X")]
    [InlineData("1.5")]
    [InlineData("2 G")]
    [InlineData("1e9")]
    [InlineData("99999999999T")]
    public void Max_file_size_refuses_what_is_not_a_size(string text) =>
        Assert.False(ByteSize.TryParse(text, out _));

    [Fact]
    public async Task A_bad_max_file_size_is_a_usage_error_that_shows_the_form()
    {
        using var home = new TempHome();
        await using CliProcess listener = CliProcess.Start(home.Path, null, "listen", "--max-file-size", "12X");
        Assert.Equal(2, await listener.ExitCodeAsync());
        Assert.Contains("--max-file-size 12X is not a size", listener.Stderr, StringComparison.Ordinal);
        Assert.Contains("500M", listener.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void The_status_area_shows_three_transfers_and_counts_the_rest()
    {
        string[] lines = ["⇣ 1 a", "⇣ 3 b", "⇣ 5 c", "⇣ 7 d", "⇣ 9 e"];
        Assert.Equal(["⇣ 1 a", "⇣ 3 b", "⇣ 5 c", "… and 2 more transfers"], TransferText.StatusRows(lines));
        Assert.Equal(["⇣ 1 a", "⇣ 3 b", "⇣ 5 c", "… and 1 more transfer"], TransferText.StatusRows(lines[..4]));
        Assert.Equal(lines[..3], TransferText.StatusRows(lines[..3]));
    }

    [Fact]
    public void Human_output_sends_at_most_four_status_rows_for_many_transfers()
    {
        var output = new HumanOutput(TextWriter.Null, TextWriter.Null, color: false);
        IReadOnlyList<string> shown = [];
        output.StatusSink = rows => shown = rows;
        for (uint id = 1; id <= 21; id += 2)
        {
            output.FileProgress(new SecureChat.Transfer.FileProgress(id, SecureChat.Transfer.TransferDirection.Incoming, 10, 100, 1000));
        }

        Assert.Equal(4, shown.Count);
        Assert.Equal("… and 8 more transfers", shown[^1]);
        Assert.StartsWith("⇣ 1 ", shown[0], StringComparison.Ordinal);
    }
}
