using BenchmarkDotNet.Attributes;
using SecureChat.Crypto;
using SecureChat.Noise;
using SecureChat.Noise.Legacy;

namespace SecureChat.Benchmarks;

/// <summary>v1 baseline: a full Noise XX handshake over P-256 in memory (three messages, both sides, Split), without sockets.</summary>
[MemoryDiagnoser]
#pragma warning disable CA1852 // BenchmarkDotNet derives from benchmark classes
public class P256HandshakeBenchmarks : IDisposable
{
    private static readonly byte[] Prologue = "SCHAT\u0001\u0001"u8.ToArray();
    private P256KeyPair _initiatorStatic = null!;
    private P256KeyPair _responderStatic = null!;
    private readonly byte[] _message = new byte[1024];
    private readonly byte[] _payload = new byte[1024];

    [GlobalSetup]
    public void Setup()
    {
        _initiatorStatic = P256KeyPair.Generate();
        _responderStatic = P256KeyPair.Generate();
    }

    [Benchmark]
    public int FullXXHandshake()
    {
        using var initiator = new P256HandshakeState(P256HandshakePattern.XX, initiator: true, Prologue, _initiatorStatic);
        using var responder = new P256HandshakeState(P256HandshakePattern.XX, initiator: false, Prologue, _responderStatic);
        int total = 0;
        byte[] body = "{\"software\":\"securechat\"}"u8.ToArray();
        int length = initiator.WriteMessage([], _message);
        responder.ReadMessage(_message.AsSpan(0, length), _payload);
        total += length;
        length = responder.WriteMessage(body, _message);
        initiator.ReadMessage(_message.AsSpan(0, length), _payload);
        total += length;
        length = initiator.WriteMessage(body, _message);
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
