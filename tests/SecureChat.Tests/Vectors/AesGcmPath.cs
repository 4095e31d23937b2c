using SecureChat.Crypto;

namespace SecureChat.Tests.Vectors;

/// <summary>
/// Puts <see cref="Aes256Gcm"/> on one of its two paths for the length of a test: the .NET
/// <c>AesGcm</c> one when <c>managed</c> is true, else libsodium's (where the CPU has it). Both give
/// the same bytes, so tests running in parallel are not disturbed.
/// </summary>
internal sealed class AesGcmPath : IDisposable
{
    private readonly bool _before;

    private AesGcmPath(bool managed)
    {
        _before = Aes256Gcm.ForceManagedImplementation;
        Aes256Gcm.ForceManagedImplementation = managed;
    }

    public static AesGcmPath Use(bool managed) => new(managed);

    public void Dispose() => Aes256Gcm.ForceManagedImplementation = _before;
}
