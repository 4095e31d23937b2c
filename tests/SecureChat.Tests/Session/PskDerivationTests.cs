using System.Net.Sockets;
using SecureChat.Crypto;
using SecureChat.Framing;
using SecureChat.Identity;
using SecureChat.Noise;
using SecureChat.Noise.Legacy;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

/// <summary>
/// The responder's PBKDF2 derivation (600,000 iterations) is spent only on peers that speak the
/// protocol, and never more at once than <see cref="PskDerivationLimit.MaxConcurrent"/>.
/// </summary>
public class PskDerivationTests
{
    private static SessionOptions Options(Passphrase passphrase, PskDerivationProbe probe) => new()
    {
        Passphrase = passphrase,
        KeyLogFile = null,
        TestHooks = new SessionTestHooks { PbkdfIterations = 1000, PskDerivations = probe },
    };

    private static byte[] Framed(ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[Frame.HeaderSize + payload.Length];
        Frame.WriteHeader(frame, payload.Length);
        payload.CopyTo(frame.AsSpan(Frame.HeaderSize));
        return frame;
    }

    /// <summary>
    /// A hand-made initiator: hello and msg1, reads msg2, then (depending on <paramref name="ending"/>)
    /// hangs up, sends garbage as msg3, or a well-formed msg3 with another passphrase's psk.
    /// </summary>
    private static async Task PlayInitiatorAsync(int port, string ending)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync("127.0.0.1", port);
        using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new FrameReader(stream);
        byte[] hello = Hello.Create(Hello.PatternXXpsk3);
        using var s = P256KeyPair.Generate();
        using var state = new P256HandshakeState(P256HandshakePattern.XXpsk3, initiator: true, hello, s);
        byte[] buffer = new byte[Frame.MaxPayloadLength];
        int msg1 = state.WriteMessage([], buffer);
        await stream.WriteAsync(Framed(hello).Concat(Framed(buffer.AsSpan(0, msg1))).ToArray());

        Memory<byte> msg2 = (await reader.ReadFrameAsync(CancellationToken.None)) ?? throw new InvalidOperationException("no msg2");
        state.ReadMessage(msg2.Span, buffer);
        switch (ending)
        {
            case "hang-up":
                return;
            case "garbage-msg3":
                byte[] garbage = new byte[200];
                Random.Shared.NextBytes(garbage);
                await stream.WriteAsync(Framed(garbage));
                break;
            default:
                state.SetPsk(new byte[32]); // not what PBKDF2 gives for any passphrase
                int msg3 = state.WriteMessage("{}"u8, buffer);
                await stream.WriteAsync(Framed(buffer.AsSpan(0, msg3)));
                break;
        }

        using var wait = new CancellationTokenSource(Loopback.Timeout);
        try
        {
            while (await reader.ReadFrameAsync(wait.Token) is not null)
            {
                // Until the responder hangs up.
            }
        }
        catch (Exception e) when (e is IOException or SecureChatException)
        {
            // A reset is a hang-up too.
        }
    }

    [Theory]
    [InlineData("hang-up", 0)]
    [InlineData("garbage-msg3", 0)]
    [InlineData("wrong-psk-msg3", 1)] // the control: a peer that speaks the protocol does cost one derivation
    public async Task Responder_derives_the_psk_only_after_msg3_has_shown_the_protocol(string ending, int derivations)
    {
        using var passphrase = Passphrase.FromChars("the listener's passphrase");
        var probe = new PskDerivationProbe();
        using var listener = Loopback.Listen();
        Task<SecureChatSession> accept = Loopback.AcceptOneAsync(listener, Options(passphrase, probe));
        await PlayInitiatorAsync(listener.Port(), ending).WaitAsync(Loopback.Timeout);

        await Assert.ThrowsAnyAsync<SecureChatException>(() => accept.WaitAsync(Loopback.Timeout));
        Assert.Equal(derivations, probe.Count);
    }

    [Fact]
    public async Task Concurrent_derivations_never_exceed_the_process_wide_limit()
    {
        using var passphrase = Passphrase.FromChars("shared passphrase");
        var probe = new PskDerivationProbe { Hold = TimeSpan.FromMilliseconds(100) };
        int pairs = 2 * PskDerivationLimit.MaxConcurrent + 1;
        var sessions = await Task.WhenAll(Enumerable.Range(0, pairs).Select(_ =>
            Loopback.PairAsync(Options(passphrase, probe), Options(passphrase, probe))));
        foreach (var (client, server) in sessions)
        {
            Assert.Equal(client.SessionCode, server.SessionCode);
            await client.DisposeAsync();
            await server.DisposeAsync();
        }

        Assert.Equal(2 * pairs, probe.Count);
        Assert.InRange(probe.MaxRunning, 1, PskDerivationLimit.MaxConcurrent);
    }
}
