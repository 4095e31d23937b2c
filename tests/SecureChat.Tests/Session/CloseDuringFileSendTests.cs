using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

namespace SecureChat.Tests.Session;

/// <summary>
/// Closing while a file is being sent: the CLOSE is the last frame the writer seals (the transfer's
/// later sends are refused, never written behind the CLOSE into a half-closed socket), so the close
/// ends as <see cref="SessionClosed"/>, not as a lost connection.
/// </summary>
public sealed class CloseDuringFileSendTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("securechat-close-send-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Closing_while_a_file_is_sent_ends_cleanly_not_as_a_fault()
    {
        // Large enough to be still sending when the close comes (sparse: nothing is written to disk).
        string source = Path.Combine(_root, "big.bin");
        using (FileStream file = File.Create(source))
        {
            file.SetLength(200L << 20);
        }

        string downloads = Directory.CreateDirectory(Path.Combine(_root, "in")).FullName;
        var faults = new List<string>();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var (client, server) = await Loopback.PairAsync(Loopback.Options(), Loopback.Options());
            await using (client)
            await using (server)
            {
                await client.SendFileAsync(source);
                FileOffered offer = await UntilAsync<FileOffered>(server);
                await server.AcceptFileAsync(offer.Id, downloads);
                await UntilAsync<FileAccepted>(client);

                // Let FILE_DATA flow (and queue behind the write in flight), then close.
                await Task.Delay(50);
                await client.CloseAsync("bye");

                using var timeout = new CancellationTokenSource(Loopback.Timeout);
                try
                {
                    while (await client.ReceiveAsync(timeout.Token) is not SessionClosed)
                    {
                    }
                }
                catch (SecureChatException e)
                {
                    faults.Add($"attempt {attempt}: {e.GetType().Name}: {e.Message}");
                }

                // Nothing can be sent after the CLOSE.
                await Assert.ThrowsAsync<InvalidOperationException>(() => client.SendTextAsync("too late").AsTask());
            }
        }

        Assert.Empty(faults);
    }

    /// <summary>The next event of type <typeparamref name="T"/>, skipping others (progress, say).</summary>
    private static async Task<T> UntilAsync<T>(SecureChatSession session)
        where T : SessionEvent
    {
        using var timeout = new CancellationTokenSource(Loopback.Timeout);
        while (true)
        {
            if (await session.ReceiveAsync(timeout.Token) is T found)
            {
                return found;
            }
        }
    }
}
