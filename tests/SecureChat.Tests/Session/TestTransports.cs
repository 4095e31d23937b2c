using SecureChat.Noise;
using SecureChat.Session;

namespace SecureChat.Tests.Session;

/// <summary>Transports keyed alike in both directions, for tests of the writer: one seals, another (the peer) opens.</summary>
internal static class TestTransports
{
    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    /// <summary>A transport whose send and receive keys are the same fixed test key.</summary>
    public static NoiseTransport Create()
    {
        var send = new CipherState(null, null, "test");
        send.InitializeKey(Key);
        var receive = new CipherState(null, null, "test");
        receive.InitializeKey(Key);
        return new NoiseTransport(send, receive);
    }
}
