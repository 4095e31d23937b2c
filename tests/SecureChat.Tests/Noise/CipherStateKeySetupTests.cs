using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Crypto.Sodium;
using SecureChat.Noise;
using SecureChat.Tests.Session;
using SecureChat.Tests.Vectors;

namespace SecureChat.Tests.Noise;

/// <summary>
/// The key setup a CipherState keeps between calls: on the libsodium path an expanded AES-256-GCM
/// key (<see cref="Aes256GcmState"/>), which holds k itself (the first two round keys), so it must
/// be wiped whenever k is replaced and on Dispose; and both paths must give the same bytes whatever
/// the order of calls. In the non-parallel collection, so that no other test switches
/// <see cref="Aes256Gcm.ForceManagedImplementation"/> meanwhile.
/// </summary>
[Collection(nameof(MemoryScans))]
public class CipherStateKeySetupTests
{
    private static bool AllZero(byte[] array) => Array.TrueForAll(array, b => b == 0);

    private static bool Holds(byte[] array, byte[] key) => array.AsSpan().IndexOf(key) >= 0;

    private static byte[] ExpectedRekey(byte[] key)
    {
        byte[] nonce = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        byte[] next = new byte[32];
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, new byte[32], next, new byte[16]);
        return next;
    }

    [Fact]
    public void The_expanded_key_holds_k_while_in_use_and_is_wiped_as_soon_as_k_is_replaced_and_on_dispose()
    {
        if (!Aes256Gcm.UsesSodium)
        {
            return; // No AES-NI: the libsodium path, and so the expanded key, is never used.
        }

        var registry = new SecretRegistry();
        var state = new CipherState(registry, null, "K");
        byte[] k0 = RandomNumberGenerator.GetBytes(32);
        state.InitializeKey(k0);
        Assert.Empty(registry.Labelled(SecretLabels.Aes256GcmState)); // Made on first use only.

        byte[] message = new byte[5 + Aes256Gcm.TagSize];
        state.EncryptWithAd([], "hello"u8, message);
        byte[] expanded = Assert.Single(registry.Labelled(SecretLabels.Aes256GcmState));
        Assert.True(Holds(expanded, k0), "the expanded state does not hold the key (round keys 0 and 1)");

        // A message's Rekey() uses the same setup, then wipes it: between messages it holds nothing.
        state.Rekey();
        byte[] k1 = ExpectedRekey(k0);
        Assert.True(AllZero(expanded));
        state.EncryptWithAd([], "again"u8, message);
        Assert.True(Holds(expanded, k1));
        Assert.False(Holds(expanded, k0));

        // A failed decryption leaves k, and so its setup, as they were.
        using (var receiver = new CipherState(registry, null, "K"))
        {
            receiver.InitializeKey(k1);
            byte[] opened = new byte[5];
            byte[] forged = (byte[])message.Clone();
            forged[0] ^= 1;
            Assert.Equal(-1, receiver.DecryptWithAd([], forged, opened));
            byte[] receiverExpanded = registry.Labelled(SecretLabels.Aes256GcmState)[1];
            Assert.True(Holds(receiverExpanded, k1));
            receiver.Rekey(); // Nonce 0 was never opened, but Rekey() does not depend on n.
            Assert.True(AllZero(receiverExpanded));
        }

        // InitializeKey and ClearKey replace k: the old setup is wiped at once.
        byte[] k2 = RandomNumberGenerator.GetBytes(32);
        state.InitializeKey(k2);
        Assert.True(AllZero(expanded));
        state.EncryptWithAd([], "third"u8, message);
        Assert.True(Holds(expanded, k2));
        state.ClearKey();
        Assert.True(AllZero(expanded));

        state.InitializeKey(k0);
        state.EncryptWithAd([], "last"u8, message);
        Assert.False(AllZero(expanded));
        state.Dispose();
        Assert.Equal(2, registry.Labelled(SecretLabels.Aes256GcmState).Count);
        Assert.All(registry.Snapshot(), a => Assert.True(AllZero(a)));
    }

    [Fact]
    public void The_dotnet_path_never_makes_an_expanded_key()
    {
        var registry = new SecretRegistry();
        using (AesGcmPath.Use(managed: true))
        using (var state = new CipherState(registry, null, "K"))
        {
            state.InitializeKey(RandomNumberGenerator.GetBytes(32));
            byte[] message = new byte[1 + Aes256Gcm.TagSize];
            state.EncryptWithAd([], [7], message);
            state.Rekey();
            state.EncryptWithAd([], [7], message);
        }

        Assert.Empty(registry.Labelled(SecretLabels.Aes256GcmState));
        Assert.All(registry.Snapshot(), a => Assert.True(AllZero(a)));
    }

    [Fact]
    public void Both_paths_give_the_same_bytes_even_when_the_path_changes_between_a_message_and_its_rekey()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var reference = new CipherState(null, null, "K");
        using var mixed = new CipherState(null, null, "K");
        using var receiver = new CipherState(null, null, "K");
        reference.InitializeKey(key);
        mixed.InitializeKey(key);
        receiver.InitializeKey(key);
        bool before = Aes256Gcm.ForceManagedImplementation;
        try
        {
            for (int i = 0; i < 12; i++)
            {
                byte[] plaintext = RandomNumberGenerator.GetBytes(1 + (i * 37));
                byte[] expected = new byte[plaintext.Length + Aes256Gcm.TagSize];
                Aes256Gcm.ForceManagedImplementation = true;
                reference.EncryptWithAd("ad"u8, plaintext, expected);
                reference.Rekey();

                // Seal, rekey and open each on a path chosen from the message number's bits.
                byte[] sealedMessage = new byte[expected.Length];
                Aes256Gcm.ForceManagedImplementation = (i & 1) != 0;
                mixed.EncryptWithAd("ad"u8, plaintext, sealedMessage);
                Aes256Gcm.ForceManagedImplementation = (i & 2) != 0;
                mixed.Rekey();
                Assert.Equal(expected, sealedMessage);

                byte[] opened = new byte[plaintext.Length];
                Aes256Gcm.ForceManagedImplementation = (i & 4) != 0;
                Assert.Equal(plaintext.Length, receiver.DecryptWithAd("ad"u8, sealedMessage, opened));
                Aes256Gcm.ForceManagedImplementation = (i & 8) == 0;
                receiver.Rekey();
                Assert.Equal(plaintext, opened);
            }
        }
        finally
        {
            Aes256Gcm.ForceManagedImplementation = before;
        }
    }
}
