using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Files;

/// <summary>Large files between two real securechat processes: integrity, a text during the transfer, resume after a kill.</summary>
public class LargeTransferTests(LargeFile large) : IClassFixture<LargeFile>
{
    [Fact]
    public async Task A_large_file_arrives_byte_identical_and_a_text_sent_meanwhile_arrives_before_it()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        string downloads = Directory.CreateDirectory(serverHome.File("downloads")).FullName;
        var (listener, port) = await Launch.ListenAsync(serverHome.Path, null, "--accept-files", downloads);
        await using (listener)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port))
        {
            await client.EventAsync("handshake");
            await client.WriteLineAsync("/send " + large.Path);
            JsonElement offer = await listener.EventAsync("file-offer");
            Assert.Equal("large file.bin", offer.GetProperty("name").GetString());
            Assert.Equal(LargeFile.Size, offer.GetProperty("size").GetInt64());
            Assert.Equal(JsonValueKind.Null, offer.GetProperty("sha256").ValueKind); // the hash comes at the end

            JsonElement progress = await listener.EventAsync("file-progress");
            Assert.True(progress.GetProperty("bytes").GetInt64() < LargeFile.Size, "the transfer should still be running");
            await client.WriteLineAsync("a text in the middle of the file");

            // Lines are read in order: the text must come before the file is done.
            Assert.Equal("a text in the middle of the file", (await listener.EventAsync("received")).GetProperty("text").GetString());
            JsonElement done = await listener.EventAsync("file-done");
            string path = done.GetProperty("path").GetString()!;
            Assert.Equal(Path.Combine(downloads, "large file.bin"), path);
            Assert.True(done.GetProperty("verified").GetBoolean());
            Assert.Equal(0, done.GetProperty("resumed_from").GetInt64());
            Assert.Equal(large.Sha256, done.GetProperty("sha256").GetString());
            Assert.Equal(large.Sha256, TestFiles.Sha256(path));
            Assert.Equal(LargeFile.Size, new FileInfo(path).Length);
            Assert.Equal(["large file.bin"], Directory.GetFiles(downloads).Select(Path.GetFileName));

            JsonElement sent = await client.EventAsync("file-done");
            Assert.Equal("outgoing", sent.GetProperty("direction").GetString());
            Assert.True(sent.GetProperty("verified").GetBoolean());
            Assert.Equal(large.Sha256, sent.GetProperty("sha256").GetString());
        }
    }

    [Fact]
    public async Task A_transfer_cut_by_killing_the_receiver_resumes_from_the_part_file()
    {
        using var serverHome = new TempHome();
        using var clientHome = new TempHome();
        string downloads = Directory.CreateDirectory(serverHome.File("downloads")).FullName;
        string part = Path.Combine(downloads, "large file.bin.part");

        // Cut the transfer by killing the receiver as soon as it reports data. A fast machine can
        // move the whole file before a starved test process reacts: then the file is complete,
        // nothing was cut, and the attempt is made again (the cut is the setup, not the subject).
        for (int attempt = 1; ; attempt++)
        {
            var (first, port) = await Launch.ListenAsync(serverHome.Path, null, "--accept-files", downloads);
            await using (first)
            await using (CliProcess client = Launch.Connect(clientHome.Path, port))
            {
                await client.EventAsync("handshake");
                await client.WriteLineAsync("/send " + large.Path);
                await first.EventAsync("file-progress");
                first.Kill();
                Assert.Equal("connection-lost", (await client.EventAsync("closed")).GetProperty("reason").GetString());
            }

            if (File.Exists(part))
            {
                break;
            }

            Assert.True(attempt < 5, "the receiver was never killed before the whole file arrived. stdout:\n" + first.Stdout);
            foreach (string arrived in Directory.GetFiles(downloads))
            {
                File.Delete(arrived);
            }
        }

        long kept = new FileInfo(part).Length;
        Assert.InRange(kept, 1, LargeFile.Size - 1);

        var (second, port2) = await Launch.ListenAsync(serverHome.Path, null, "--accept-files", downloads);
        await using (second)
        await using (CliProcess client = Launch.Connect(clientHome.Path, port2))
        {
            await client.EventAsync("handshake");
            await client.WriteLineAsync("/send " + large.Path);
            JsonElement done = await second.EventAsync("file-done");
            Assert.Equal(kept, done.GetProperty("resumed_from").GetInt64());
            Assert.True(done.GetProperty("verified").GetBoolean());
            string path = done.GetProperty("path").GetString()!;
            Assert.Equal(large.Sha256, TestFiles.Sha256(path));
            Assert.Equal(["large file.bin"], Directory.GetFiles(downloads).Select(Path.GetFileName));
            Assert.Equal(kept, (await client.EventAsync("file-accepted")).GetProperty("offset").GetInt64());
        }
    }
}
