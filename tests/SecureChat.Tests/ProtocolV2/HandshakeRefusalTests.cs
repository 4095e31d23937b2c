using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using SecureChat.Framing;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.ProtocolV2;

/// <summary>
/// The unauthenticated parts of the v2 handshake (docs/PROTOCOL.md §2, §5): a v1 client is told
/// clearly; a forged REFUSE never makes the client change version or mode, or try again; a
/// non-canonical X25519 key and a reflected static key are refused.
/// </summary>
public sealed class HandshakeRefusalTests
{
    [Fact]
    public async Task AV1ClientGetsV1sVersionRefusal()
    {
        using TcpListener listener = Loopback.Listen();
        Task<SecureChatSession> server = Loopback.AcceptOneAsync(listener, Loopback.Options());
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", listener.Port());
        NetworkStream stream = client.GetStream();

        // v1: hello frame (no kind byte) "SCHAT" 0x01 0x01, then msg1 = a 65-byte P-256 point.
        byte[] v1Hello = [0x00, 0x07, .. "SCHAT"u8, 0x01, 0x01];
        byte[] v1Msg1 = new byte[2 + 65];
        BinaryPrimitives.WriteUInt16BigEndian(v1Msg1, 65);
        v1Msg1[2] = 0x04;
        await stream.WriteAsync(v1Hello.Concat(v1Msg1).ToArray());

        byte[] header = new byte[2];
        await stream.ReadExactlyAsync(header).AsTask().WaitAsync(Loopback.Timeout);
        byte[] body = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
        await stream.ReadExactlyAsync(body).AsTask().WaitAsync(Loopback.Timeout);
        Assert.Equal("SCERR"u8.ToArray(), body[..5]);
        Assert.Equal(1, body[5]);
        Assert.Contains("protocol v2", Encoding.UTF8.GetString(body[6..]), StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<ProtocolViolationException>(() => server.WaitAsync(Loopback.Timeout));
        Assert.Contains("v1", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(1, true)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    public async Task AForgedRefusalNeverChangesTheVersionOrTheModeAndIsNotRetried(byte code, bool psk)
    {
        using TcpListener listener = Loopback.Listen();
        var hellos = new List<byte[]>();
        using var stop = new CancellationTokenSource();
        Task forger = ForgeAsync(listener, code, hellos, stop.Token);

        using Passphrase? passphrase = psk ? Passphrase.FromChars("correct horse") : null;
        Exception error = await Assert.ThrowsAnyAsync<SecureChatException>(() =>
            SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Loopback.Options(passphrase)).AsTask().WaitAsync(Loopback.Timeout));

        // Give a retry the time to happen: there must be none.
        await Task.Delay(TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await forger;
        byte[] hello = Assert.Single(hellos);
        Assert.Equal(Hello.Create(psk ? Hello.ModePsk : Hello.ModeXX), hello);
        Assert.Contains("unauthenticated", error.Message, StringComparison.Ordinal);
        Assert.False(((SecureChatException)error).PassphraseAttemptSpent);
        switch (code)
        {
            case 1:
                Assert.Equal(RefusalCode.UnsupportedVersion, Assert.IsType<PeerRefusedException>(error).Code);
                break;
            case 2:
                Assert.Equal(AuthenticationFailure.PassphraseRequired, Assert.IsType<AuthenticationFailedException>(error).Reason);
                break;
            default:
                Assert.Equal(AuthenticationFailure.PassphraseNotExpected, Assert.IsType<AuthenticationFailedException>(error).Reason);
                break;
        }
    }

    /// <summary>Answers every connection's HELLO with REFUSE <paramref name="code"/>, recording the HELLOs.</summary>
    private static async Task ForgeAsync(TcpListener listener, byte code, List<byte[]> hellos, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                using Socket socket = await listener.AcceptSocketAsync(stop);
                using var stream = new NetworkStream(socket);
                byte[] header = new byte[2];
                await stream.ReadExactlyAsync(header, stop);
                byte[] body = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
                await stream.ReadExactlyAsync(body, stop);
                Assert.Equal((byte)FrameKind.Hello, body[0]);
                lock (hellos)
                {
                    hellos.Add(body[1..]);
                }

                await stream.WriteAsync(Frame.Create(FrameKind.Refuse, Refuse.Create(code, "forged")), stop);
                await Task.Delay(200, stop);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AnEphemeralKeyWithBit255SetIsRefused(bool inMessage1)
    {
        using TcpListener listener = Loopback.Listen();
        Task<SecureChatSession> server = Loopback.AcceptOneAsync(listener, Loopback.Options());

        // Frame bodies: client->server 0 = HELLO, 1 = msg1; server->client 0 = msg2. The
        // ephemeral key is the first 32 bytes after the kind byte, in the clear.
        static IEnumerable<byte[]> SetBit255(byte[] body)
        {
            byte[] copy = (byte[])body.Clone();
            copy[1 + 31] |= 0x80;
            return [copy];
        }

        await using var proxy = new TamperingProxy(
            listener.Port(),
            (index, body) => inMessage1 && index == 1 ? SetBit255(body) : [body],
            (index, body) => !inMessage1 && index == 0 ? SetBit255(body) : [body]);
        Task<SecureChatSession> client = SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Loopback.Options()).AsTask();

        Task<SecureChatSession> refuser = inMessage1 ? server : client;
        var error = await Assert.ThrowsAsync<ProtocolViolationException>(() => refuser.WaitAsync(Loopback.Timeout));
        Assert.Contains("canonical", error.Message, StringComparison.OrdinalIgnoreCase);
        await Assert.ThrowsAnyAsync<Exception>(() => (inMessage1 ? client : server).WaitAsync(Loopback.Timeout));
    }

    [Fact]
    public async Task AReflectedStaticKeyIsRefused()
    {
        using IdentityKeyPair identity = IdentityKeyPair.Generate();
        SessionOptions Options() => new() { Identity = identity, KeyLogFile = null };
        using TcpListener listener = Loopback.Listen();
        Task<SecureChatSession> server = Loopback.AcceptOneAsync(listener, Options());
        Task<SecureChatSession> client = SecureChatSession.ConnectAsync("127.0.0.1", listener.Port(), Options()).AsTask();

        var error = await Assert.ThrowsAsync<ProtocolViolationException>(() => client.WaitAsync(Loopback.Timeout));
        Assert.Contains("own static key", error.Message, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAsync<PeerRejectedException>(() => server.WaitAsync(Loopback.Timeout));
        Assert.True(refused.ByPeer);
    }
}
