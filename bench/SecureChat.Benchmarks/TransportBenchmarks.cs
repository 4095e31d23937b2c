using BenchmarkDotNet.Attributes;
using SecureChat.Crypto;
using SecureChat.Noise;

namespace SecureChat.Benchmarks;

/// <summary>
/// One transport message, as the session does it (docs/PROTOCOL.md §4): ENCRYPT in place, then
/// Rekey() — and the receiving side's DECRYPT, then Rekey(). "Rekey" false shows what the per-message
/// key costs.
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1852 // BenchmarkDotNet derives from benchmark classes
public class TransportBenchmarks : IDisposable
{
    private CipherState _send = null!;
    private CipherState _receive = null!;
    private byte[] _message = [];
    private byte[] _sealed = [];

    [Params(16, 256, 4096, 16384, 65518)]
    public int Size { get; set; }

    [Params(true, false)]
    public bool Rekey { get; set; }

    /// <summary>"sodium": libsodium's AES-256-GCM with the key per call (v2); "dotnet": the .NET AesGcm fallback (v1's path).</summary>
    [Params("sodium", "dotnet")]
    public string Aead { get; set; } = "sodium";

    [GlobalSetup]
    public void Setup()
    {
        Aes256Gcm.ForceManagedImplementation = Aead == "dotnet";
        byte[] key = new byte[32];
        Random.Shared.NextBytes(key);
        _send = new CipherState(null, null, "bench");
        _send.InitializeKey(key);
        _receive = new CipherState(null, null, "bench");
        _receive.InitializeKey(key);
        _message = new byte[Size + 16];
        _sealed = new byte[Size + 16];
    }

    [Benchmark]
    public int Seal()
    {
        int length = _send.EncryptWithAd([], _message.AsSpan(0, Size), _message);
        if (Rekey)
        {
            _send.Rekey();
        }

        return length;
    }

    [Benchmark]
    public int SealThenOpen()
    {
        int length = _send.EncryptWithAd([], _message.AsSpan(0, Size), _sealed);
        int opened = _receive.DecryptWithAd([], _sealed.AsSpan(0, length), _message.AsSpan(0, Size));
        if (Rekey)
        {
            _send.Rekey();
            _receive.Rekey();
        }

        return opened;
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _send?.Dispose();
        _receive?.Dispose();
        GC.SuppressFinalize(this);
    }
}
