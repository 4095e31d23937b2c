using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Noise;

namespace SecureChat.Tests.Noise;

public class CipherStateTests
{
    [Fact]
    public void Without_a_key_encryption_is_the_identity_as_noise_5_1_says()
    {
        using var state = new CipherState(null, null, "K");
        byte[] output = new byte[3];
        Assert.Equal(3, state.EncryptWithAd([], [1, 2, 3], output));
        Assert.Equal([1, 2, 3], output);
    }

    [Fact]
    public void Nonce_counts_messages_and_a_failed_decryption_leaves_it_unchanged()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var sender = new CipherState(null, null, "K");
        using var receiver = new CipherState(null, null, "K");
        sender.InitializeKey(key);
        receiver.InitializeKey(key);
        byte[] c = new byte[21];
        sender.EncryptWithAd([], "hello"u8, c);
        Assert.Equal(1UL, sender.Nonce);

        byte[] bad = (byte[])c.Clone();
        bad[0] ^= 1;
        byte[] p = new byte[5];
        Assert.Equal(-1, receiver.DecryptWithAd([], bad, p));
        Assert.Equal(0UL, receiver.Nonce);
        Assert.Equal(5, receiver.DecryptWithAd([], c, p));
        Assert.Equal(1UL, receiver.Nonce);
    }

    [Fact]
    public void Rekey_replaces_the_key_with_the_first_32_bytes_of_encrypting_zeros_at_nonce_max()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var state = new CipherState(null, null, "K");
        state.InitializeKey(key);

        // REKEY(k) by hand (Noise §4.2 default, §12.3 nonce encoding).
        byte[] nonce = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        byte[] expected = new byte[32];
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(nonce, new byte[32], expected, new byte[16]);
        }

        state.Rekey();
        byte[] plaintext = [42];
        byte[] mine = new byte[17];
        state.EncryptWithAd([], plaintext, mine);
        byte[] reference = new byte[1];
        byte[] tag = new byte[16];
        using (var aes = new AesGcm(expected, 16))
        {
            aes.Encrypt(new byte[12], plaintext, reference, tag);
        }

        Assert.Equal([.. reference, .. tag], mine);
    }

    [Fact]
    public void Dispose_zeroes_the_key_buffer()
    {
        var registry = new SecretRegistry();
        var state = new CipherState(registry, null, "K");
        state.InitializeKey(RandomNumberGenerator.GetBytes(32));
        Assert.Contains(registry.Snapshot(), a => a.Any(b => b != 0));
        state.Dispose();
        Assert.All(registry.Snapshot(), a => Assert.All(a, b => Assert.Equal(0, b)));
    }
}
