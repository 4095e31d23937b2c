using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Compat;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Compat.Tests;

/// <summary>
/// The original program hangs up as soon as it has read "exit". That hang-up can reach our read
/// loop before the write of the last part has returned to us; it is still the normal end.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SeedRsaExitTests
{
    [Fact]
    public async Task A_peer_that_hangs_up_on_our_exit_before_the_write_returns_ends_the_chat_normally()
    {
        Assert.True(RsaPss.IsSupported, "seed-rsa needs OpenSSL's PSS with the maximum salt length (Linux)");
        using var listener = Loopback.Listen();
        LateReturnStream? late = null;
        Task<SeedRsaSession> accept = Task.Run(async () =>
        {
            Socket socket = await listener.AcceptSocketAsync();
            late = new LateReturnStream(new NetworkStream(socket, ownsSocket: true));
            return await SeedRsaSession.StartAsync(late, isInitiator: false, TimeSpan.FromSeconds(10));
        });

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync("127.0.0.1", listener.Port());
        byte[] pem = new byte[4096];
        int got = 0;
        while (!Encoding.ASCII.GetString(pem, 0, got).Contains("-----END PUBLIC KEY-----\n", StringComparison.Ordinal))
        {
            got += await client.ReceiveAsync(pem.AsMemory(got), SocketFlags.None);
        }

        using var own = new RSAOpenSsl(2048);
        await client.SendAsync(Encoding.ASCII.GetBytes(own.ExportSubjectPublicKeyInfoPem() + "\n"), SocketFlags.None);
        await using SeedRsaSession session = await accept.WaitAsync(Loopback.Timeout);

        // From now on our writes reach the peer at once but return late.
        late!.Delay = TimeSpan.FromMilliseconds(600);

        // What the original does with "exit": read both parts, then close.
        Task peer = Task.Run(async () =>
        {
            byte[] message = new byte[512];
            int length = 0;
            while (length < message.Length)
            {
                int read = await client.ReceiveAsync(message.AsMemory(length), SocketFlags.None);
                Assert.NotEqual(0, read);
                length += read;
            }

            client.Close();
        });

        await session.CloseAsync().AsTask().WaitAsync(Loopback.Timeout);
        await peer.WaitAsync(Loopback.Timeout);
        SessionEvent last = await session.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout);
        Assert.IsType<SessionClosed>(last);
        Assert.True(session.KeysErased);
    }
}
