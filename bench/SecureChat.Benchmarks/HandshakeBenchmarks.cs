using BenchmarkDotNet.Attributes;
using SecureChat.Crypto;
using SecureChat.Noise;
using SecureChat.Pake;

namespace SecureChat.Benchmarks;

/// <summary>
/// A full v2 Noise handshake in memory (three messages, both sides, Split), without sockets:
/// Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256, and its psk3 form with the psk from a full CPace run on
/// both sides (as a PSK session does), with the plain XX over X25519 for comparison.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1852 // BenchmarkDotNet derives from benchmark classes
public class HandshakeBenchmarks : IDisposable
{
    private static readonly byte[] Prs = "correct horse battery staple"u8.ToArray();
    private static readonly byte[] Sid = new byte[16];
    private X25519KeyPair _initiatorStatic = null!;
    private X25519KeyPair _responderStatic = null!;
    private readonly byte[] _message = new byte[4096];
    private readonly byte[] _payload = new byte[4096];
    private readonly byte[] _body = "{\"software\":\"securechat/0.2.0\"}"u8.ToArray();

    [Params("XXhfs", "XXhfs+psk3", "XX")]
    public string Pattern { get; set; } = "XXhfs";

    [GlobalSetup]
    public void Setup()
    {
        _initiatorStatic = X25519KeyPair.Generate();
        _responderStatic = X25519KeyPair.Generate();
    }

    [Benchmark]
    public int FullHandshake()
    {
        HandshakePattern pattern = Pattern switch
        {
            "XXhfs" => HandshakePattern.XXhfs,
            "XXhfs+psk3" => HandshakePattern.XXhfsPsk3,
            _ => HandshakePattern.XX,
        };
        byte[] prologue = [(byte)'S', (byte)'C', (byte)'H', (byte)'A', (byte)'T', 2, (byte)(pattern.IsPsk ? 2 : 1)];
        using var initiator = new HandshakeState(pattern, initiator: true, prologue, _initiatorStatic);
        using var responder = new HandshakeState(pattern, initiator: false, prologue, _responderStatic);
        if (pattern.IsPsk)
        {
            Span<byte> yb = stackalloc byte[32];
            Span<byte> psk = stackalloc byte[32];
            using var cpace = new CPaceInitiator(Prs, [], Sid);
            CPaceResponder.Respond(Prs, [], Sid, cpace.Ya, yb, psk);
            responder.SetPsk(psk);
            cpace.Finish(yb, psk);
            initiator.SetPsk(psk);
        }

        int total = 0;
        int length = initiator.WriteMessage(_body.AsSpan(0, 16), _message);
        responder.ReadMessage(_message.AsSpan(0, length), _payload);
        total += length;
        length = responder.WriteMessage(_body, _message);
        initiator.ReadMessage(_message.AsSpan(0, length), _payload);
        total += length;
        length = initiator.WriteMessage(_body, _message);
        responder.ReadMessage(_message.AsSpan(0, length), _payload);
        total += length;
        var (i1, i2) = initiator.TakeTransportCiphers();
        var (r1, r2) = responder.TakeTransportCiphers();
        i1.Dispose();
        i2.Dispose();
        r1.Dispose();
        r2.Dispose();
        return total;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _initiatorStatic.Dispose();
        _responderStatic.Dispose();
        GC.SuppressFinalize(this);
    }
}
