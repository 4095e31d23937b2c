using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Compat;
using SecureChat.Session;

namespace SecureChat.Compat.Tests;

/// <summary>
/// The seed-rsa key exchange reads the peer's PEM key; what arrives with it in the same read belongs
/// to the messages after it. Under load a whole key and several messages arrive in one read.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class SeedRsaLeftoverTests
{
    [Fact]
    public async Task Messages_that_arrive_in_the_same_read_as_the_peers_key_are_all_delivered()
    {
        Assert.True(RsaPss.IsSupported, "seed-rsa needs OpenSSL's PSS with the maximum salt length (Linux)");
        using var listener = Loopback.Listen();
        Task<SeedRsaSession> accept = Task.Run(async () =>
        {
            Socket socket = await listener.AcceptSocketAsync();
            return await SeedRsaSession.StartAsync(new NetworkStream(socket, ownsSocket: true), isInitiator: false, TimeSpan.FromSeconds(10));
        });

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync("127.0.0.1", listener.Port());

        // The listener sends its key first (as the original server does).
        byte[] pem = new byte[4096];
        int got = 0;
        while (!Encoding.ASCII.GetString(pem, 0, got).Contains("-----END PUBLIC KEY-----\n", StringComparison.Ordinal))
        {
            got += await client.ReceiveAsync(pem.AsMemory(got), SocketFlags.None);
        }

        using var server = new RSAOpenSsl();
        server.ImportFromPem(Encoding.ASCII.GetString(pem, 0, got));
        using var own = new RSAOpenSsl(2048);

        // Our key and three messages in one write.
        var burst = new List<byte>(Encoding.ASCII.GetBytes(own.ExportSubjectPublicKeyInfoPem() + "\n"));
        for (int i = 0; i < 3; i++)
        {
            byte[] text = Encoding.UTF8.GetBytes($"burst {i}");
            burst.AddRange(server.Encrypt(text, RSAEncryptionPadding.OaepSHA256));
            burst.AddRange(RsaPss.SignMaxSalt(own, text));
        }

        await client.SendAsync(burst.ToArray(), SocketFlags.None);
        await using SeedRsaSession session = await accept.WaitAsync(Loopback.Timeout);
        for (int i = 0; i < 3; i++)
        {
            var received = Assert.IsType<TextReceived>(await session.ReceiveAsync().AsTask().WaitAsync(Loopback.Timeout));
            Assert.Equal($"burst {i}", received.Text);
            Assert.Equal(new TextCheck(TextCheckKind.Signature, Passed: true), received.Check);
        }
    }
}
