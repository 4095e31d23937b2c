using System.Security.Cryptography;
using SecureChat.Compat;

namespace SecureChat.Compat.Tests;

public class RsaPssTests
{
    [Fact]
    public void Max_salt_signatures_verify_and_altered_ones_do_not()
    {
        if (!RsaPss.IsSupported)
        {
            return;
        }

        using var key = new RSAOpenSsl(2048);
        byte[] message = "signed by the seed program's rules"u8.ToArray();
        byte[] signature = RsaPss.SignMaxSalt(key, message);
        Assert.Equal(256, signature.Length);
        Assert.True(RsaPss.Verify(key, message, signature));

        // .NET's own PSS uses a 32-byte salt: it cannot verify a max-salt signature, which is why RsaPss exists...
        Assert.False(key.VerifyData(message, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
        // ...while RsaPss accepts salt-32 signatures too (the original verifies with "any length").
        Assert.True(RsaPss.Verify(key, message, key.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)));

        byte[] altered = (byte[])signature.Clone();
        altered[100] ^= 1;
        Assert.False(RsaPss.Verify(key, message, altered));
        Assert.False(RsaPss.Verify(key, [.. message, 0], signature));
        using var other = new RSAOpenSsl(2048);
        Assert.False(RsaPss.Verify(other, message, signature));
    }
}
