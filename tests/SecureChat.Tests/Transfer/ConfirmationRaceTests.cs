using System.Net.Sockets;
using SecureChat.Session;
using SecureChat.Tests.Support;
using SecureChat.Transfer;

namespace SecureChat.Tests.Transfer;

/// <summary>
/// The receiver confirms a file (its FILE_END) as soon as it has checked it, which can be before
/// the sender's own FILE_END send has returned: the socket took the frame, and the sender's
/// continuation has not run yet (a loaded machine). The confirmation must still complete the
/// transfer, not be ignored as early.
/// </summary>
public class ConfirmationRaceTests
{
    [Fact]
    public async Task A_confirmation_that_arrives_before_the_senders_last_write_returns_still_completes_the_transfer()
    {
        string root = Directory.CreateTempSubdirectory("securechat-confirm-").FullName;
        try
        {
            string path = Path.Combine(root, "small.bin");
            File.WriteAllBytes(path, [.. Enumerable.Range(0, 1000).Select(i => (byte)i)]);
            string downloads = Directory.CreateDirectory(Path.Combine(root, "in")).FullName;

            using var listener = Loopback.Listen();
            LateReturnStream? late = null;
            Task<SecureChatSession> accepting = Task.Run(async () =>
            {
                Socket socket = await listener.AcceptSocketAsync();
                socket.NoDelay = true;
                late = new LateReturnStream(new NetworkStream(socket, ownsSocket: true));
                return await SecureChatSession.AcceptAsync(late, Loopback.Options());
            });
            await using SecureChatSession client = await SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Loopback.Options());
            await using SecureChatSession server = await accepting.WaitAsync(Loopback.Timeout);

            // From now on each of the sender's writes reaches the peer at once but returns late.
            late!.Delay = TimeSpan.FromMilliseconds(400);
            FileOfferSent offer = await server.SendFileAsync(path);
            FileOffered offered = await client.NextAsync<FileOffered>();
            await client.AcceptFileAsync(offered.Id, downloads);

            FileCompleted received = await NextOfAsync<FileCompleted>(client);
            Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(received.Path));

            // The sender hears the confirmation, and no "not sent in full" warning comes first.
            var seen = new List<SessionEvent>();
            FileCompleted sent = await NextOfAsync<FileCompleted>(server, seen);
            Assert.Equal(offer.Id, sent.Id);
            Assert.Equal(TransferDirection.Outgoing, sent.Direction);
            Assert.Equal(received.Sha256, sent.Sha256);
            Assert.DoesNotContain(seen, e => e is PeerWarning or FileFailed);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
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
}
