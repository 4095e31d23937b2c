using System.Buffers.Binary;
using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Crypto.Sodium;
using Xunit.Abstractions;

namespace SecureChat.Tests.Vectors;

/// <summary>
/// AES-GCM (Wycheproof aes_gcm_test.json) for the only parameters the protocol uses: a 256-bit key,
/// a 96-bit nonce and a 128-bit tag. Checked with the BCL's <see cref="AesGcm"/> and, where the
/// vector's nonce has the Noise form 00000000 ‖ n, with our <see cref="Aes256Gcm"/> on both of its
/// paths (libsodium and .NET <see cref="AesGcm"/>); every vector also through the libsodium binding
/// itself, which takes any nonce.
/// </summary>
public class WycheproofAesGcmTests(ITestOutputHelper output)
{
    private const string FileName = "aes_gcm_test.json";

    private static List<WycheproofCase> LoadOurParameters(out int otherParameters)
    {
        IReadOnlyList<WycheproofCase> all = WycheproofFile.Load(FileName, "AES-GCM");
        var ours = all.Where(v => v.GroupInt("keySize") == 256 && v.GroupInt("ivSize") == 96 && v.GroupInt("tagSize") == 128).ToList();
        otherParameters = all.Count - ours.Count;
        return ours;
    }

    [Fact]
    public void AesGcm_valid_vectors_encrypt_to_ct_and_tag_and_decrypt_back()
    {
        var vectors = LoadOurParameters(out int skipped).Where(v => v.IsValid).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                byte[] msg = v.Bytes("msg");
                byte[] ct = v.Bytes("ct");
                byte[] tag = v.Bytes("tag");
                using var aes = new AesGcm(v.Bytes("key"), 16);

                byte[] myCt = new byte[msg.Length];
                byte[] myTag = new byte[16];
                aes.Encrypt(v.Bytes("iv"), msg, myCt, myTag, v.Bytes("aad"));
                if (!myCt.AsSpan().SequenceEqual(ct) || !myTag.AsSpan().SequenceEqual(tag))
                {
                    failures.Add(v, $"encryption gave {Convert.ToHexStringLower(myCt)} || {Convert.ToHexStringLower(myTag)}");
                    return;
                }

                byte[] plaintext = new byte[ct.Length];
                aes.Decrypt(v.Bytes("iv"), ct, tag, plaintext, v.Bytes("aad"));
                if (!plaintext.AsSpan().SequenceEqual(msg))
                {
                    failures.Add(v, "decryption did not give msg back");
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} valid 256/96/128 vectors checked; {skipped} vectors with other parameters skipped.");
        Assert.Equal(39, vectors.Count);
        failures.AssertNone();
    }

    [Fact]
    public void AesGcm_invalid_vectors_fail_to_decrypt()
    {
        var vectors = LoadOurParameters(out int skipped).Where(v => !v.IsValid).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                byte[] ct = v.Bytes("ct");
                using var aes = new AesGcm(v.Bytes("key"), 16);
                byte[] plaintext = new byte[ct.Length];
                try
                {
                    aes.Decrypt(v.Bytes("iv"), ct, v.Bytes("tag"), plaintext, v.Bytes("aad"));
                    failures.Add(v, "decryption succeeded");
                }
                catch (AuthenticationTagMismatchException)
                {
                    // Expected.
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} invalid 256/96/128 vectors checked; {skipped} vectors with other parameters skipped.");
        Assert.Equal(27, vectors.Count);
        failures.AssertNone();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Aes256Gcm_matches_the_vectors_whose_nonce_is_four_zero_bytes_and_a_counter(bool managedPath)
    {
        using var path = AesGcmPath.Use(managedPath);
        var vectors = LoadOurParameters(out _).Where(v => v.Bytes("iv").AsSpan(0, 4).IndexOfAnyExcept((byte)0) < 0).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                byte[] key = v.Bytes("key");
                ulong n = BinaryPrimitives.ReadUInt64BigEndian(v.Bytes("iv").AsSpan(4));
                byte[] aad = v.Bytes("aad");
                byte[] msg = v.Bytes("msg");
                byte[] sealedMessage = [.. v.Bytes("ct"), .. v.Bytes("tag")];
                byte[] plaintext = new byte[sealedMessage.Length - Aes256Gcm.TagSize];
                bool opened = Aes256Gcm.TryDecrypt(key, n, aad, sealedMessage, plaintext);

                if (v.IsValid)
                {
                    byte[] mine = new byte[msg.Length + Aes256Gcm.TagSize];
                    Aes256Gcm.Encrypt(key, n, aad, msg, mine);
                    if (!mine.AsSpan().SequenceEqual(sealedMessage))
                    {
                        failures.Add(v, $"Encrypt gave {Convert.ToHexStringLower(mine)}");
                    }

                    if (!opened || !plaintext.AsSpan().SequenceEqual(msg))
                    {
                        failures.Add(v, "TryDecrypt did not give msg back");
                    }
                }
                else if (opened || plaintext.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
                {
                    failures.Add(v, "TryDecrypt accepted an invalid ciphertext or left plaintext behind");
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} vector(s) with a 00000000 nonce prefix run through Aes256Gcm (tcIds {string.Join(", ", vectors.Select(v => v.TcId))}).");
        Assert.NotEmpty(vectors);
        failures.AssertNone();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Aes256Gcm_round_trips_and_puts_the_tag_after_the_ciphertext(bool managedPath)
    {
        using var path = AesGcmPath.Use(managedPath);
        byte[] key = RandomNumberGenerator.GetBytes(Aes256Gcm.KeySize);
        byte[] ad = "header"u8.ToArray();
        byte[] plaintext = "a message for the round trip"u8.ToArray();
        const ulong n = 0x0102030405060708;

        byte[] sealedMessage = new byte[plaintext.Length + Aes256Gcm.TagSize];
        Aes256Gcm.Encrypt(key, n, ad, plaintext, sealedMessage);
        byte[] opened = new byte[plaintext.Length];
        Assert.True(Aes256Gcm.TryDecrypt(key, n, ad, sealedMessage, opened));
        Assert.Equal(plaintext, opened);

        // Same result as AesGcm with nonce 00000000 ‖ n big-endian.
        byte[] ct = new byte[plaintext.Length];
        byte[] tag = new byte[16];
        using (var aes = new AesGcm(key, 16))
        {
            byte[] nonce = [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
            aes.Encrypt(nonce, plaintext, ct, tag, ad);
        }

        Assert.Equal([.. ct, .. tag], sealedMessage);

        // Another counter or another ad does not open it.
        Assert.False(Aes256Gcm.TryDecrypt(key, n + 1, ad, sealedMessage, opened));
        Assert.False(Aes256Gcm.TryDecrypt(key, n, "other"u8, sealedMessage, opened));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Aes256Gcm_TryDecrypt_with_one_tag_bit_flipped_returns_false_and_wipes_the_destination(bool managedPath)
    {
        using var path = AesGcmPath.Use(managedPath);
        byte[] key = RandomNumberGenerator.GetBytes(Aes256Gcm.KeySize);
        byte[] plaintext = RandomNumberGenerator.GetBytes(40);
        byte[] sealedMessage = new byte[plaintext.Length + Aes256Gcm.TagSize];
        Aes256Gcm.Encrypt(key, 7, [], plaintext, sealedMessage);

        for (int bit = 0; bit < 8 * Aes256Gcm.TagSize; bit++)
        {
            byte[] tampered = (byte[])sealedMessage.Clone();
            tampered[plaintext.Length + (bit / 8)] ^= (byte)(1 << (bit % 8));
            byte[] destination = Enumerable.Repeat((byte)0xA5, plaintext.Length).ToArray();

            Assert.False(Aes256Gcm.TryDecrypt(key, 7, [], tampered, destination), $"tag bit {bit} flipped was accepted");
            Assert.True(destination.AsSpan().IndexOfAnyExcept((byte)0) < 0, $"destination not wiped with tag bit {bit} flipped");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Aes256Gcm_Rekey_is_the_first_32_bytes_of_encrypting_32_zero_bytes_at_nonce_2_to_the_64_minus_1(bool managedPath)
    {
        using var path = AesGcmPath.Use(managedPath);
        var keys = LoadOurParameters(out _).Select(v => v.Bytes("key")).Take(5).Append(new byte[32]).ToList();
        byte[] nonce = [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        foreach (byte[] key in keys)
        {
            byte[] expected = new byte[32];
            using (var aes = new AesGcm(key, 16))
            {
                aes.Encrypt(nonce, new byte[32], expected, new byte[16]);
            }

            byte[] newKey = new byte[32];
            Aes256Gcm.Rekey(key, newKey);
            Assert.Equal(expected, newKey);

            // In place, as a cipher state rekeys its own key.
            byte[] inPlace = (byte[])key.Clone();
            Aes256Gcm.Rekey(inPlace, inPlace);
            Assert.Equal(expected, inPlace);
        }
    }

    [Fact]
    public void Libsodium_aes256gcm_detached_passes_every_256_96_128_vector_out_of_place_and_in_place()
    {
        if (!Sodium.IsAes256GcmAvailable)
        {
            output.WriteLine("libsodium's AES-256-GCM needs AES-NI and PCLMUL, which this CPU lacks: nothing to check.");
            return;
        }

        var vectors = LoadOurParameters(out _);
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                byte[] key = v.Bytes("key");
                byte[] iv = v.Bytes("iv");
                byte[] aad = v.Bytes("aad");
                byte[] ct = v.Bytes("ct");
                byte[] tag = v.Bytes("tag");
                byte[] opened = new byte[ct.Length];
                bool ok = Sodium.Aes256GcmDecrypt(key, iv, aad, ct, tag, opened);
                byte[] inPlace = (byte[])ct.Clone();
                bool okInPlace = Sodium.Aes256GcmDecrypt(key, iv, aad, inPlace, tag, inPlace);
                if (!v.IsValid)
                {
                    if (ok || okInPlace || opened.AsSpan().ContainsAnyExcept((byte)0) || inPlace.AsSpan().ContainsAnyExcept((byte)0))
                    {
                        failures.Add(v, "an invalid ciphertext was accepted or plaintext was left behind");
                    }

                    return;
                }

                byte[] msg = v.Bytes("msg");
                if (!ok || !okInPlace || !opened.AsSpan().SequenceEqual(msg) || !inPlace.AsSpan().SequenceEqual(msg))
                {
                    failures.Add(v, "decryption did not give msg back");
                }

                byte[] myCt = (byte[])msg.Clone();
                byte[] myTag = new byte[16];
                Sodium.Aes256GcmEncrypt(key, iv, aad, myCt, myCt, myTag);
                if (!myCt.AsSpan().SequenceEqual(ct) || !myTag.AsSpan().SequenceEqual(tag))
                {
                    failures.Add(v, "in-place encryption gave other bytes");
                }
            });
        }

        Assert.Equal(66, vectors.Count);
        failures.AssertNone();
    }

    [Fact]
    public void Libsodium_precomputed_state_passes_every_256_96_128_vector_out_of_place_and_in_place()
    {
        if (!Sodium.IsAes256GcmAvailable)
        {
            output.WriteLine("libsodium's AES-256-GCM needs AES-NI and PCLMUL, which this CPU lacks: nothing to check.");
            return;
        }

        // One state for every vector: each key is expanded over the one before it, as a CipherState does.
        using var state = new Aes256GcmState();
        var vectors = LoadOurParameters(out _);
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                state.Expand(v.Bytes("key"));
                byte[] iv = v.Bytes("iv");
                byte[] aad = v.Bytes("aad");
                byte[] ct = v.Bytes("ct");
                byte[] tag = v.Bytes("tag");
                byte[] opened = new byte[ct.Length];
                bool ok = Sodium.Aes256GcmDecryptWithState(state.Span, iv, aad, ct, tag, opened);
                byte[] inPlace = (byte[])ct.Clone();
                bool okInPlace = Sodium.Aes256GcmDecryptWithState(state.Span, iv, aad, inPlace, tag, inPlace);
                if (!v.IsValid)
                {
                    if (ok || okInPlace || opened.AsSpan().ContainsAnyExcept((byte)0) || inPlace.AsSpan().ContainsAnyExcept((byte)0))
                    {
                        failures.Add(v, "an invalid ciphertext was accepted or plaintext was left behind");
                    }

                    return;
                }

                byte[] msg = v.Bytes("msg");
                if (!ok || !okInPlace || !opened.AsSpan().SequenceEqual(msg) || !inPlace.AsSpan().SequenceEqual(msg))
                {
                    failures.Add(v, "decryption did not give msg back");
                }

                byte[] myCt = new byte[msg.Length];
                byte[] myTag = new byte[16];
                Sodium.Aes256GcmEncryptWithState(state.Span, iv, aad, msg, myCt, myTag);
                byte[] myCtInPlace = (byte[])msg.Clone();
                byte[] myTagInPlace = new byte[16];
                Sodium.Aes256GcmEncryptWithState(state.Span, iv, aad, myCtInPlace, myCtInPlace, myTagInPlace);
                if (!myCt.AsSpan().SequenceEqual(ct) || !myTag.AsSpan().SequenceEqual(tag)
                    || !myCtInPlace.AsSpan().SequenceEqual(ct) || !myTagInPlace.AsSpan().SequenceEqual(tag))
                {
                    failures.Add(v, "encryption with the expanded key gave other bytes");
                }
            });
        }

        Assert.Equal(66, vectors.Count);
        failures.AssertNone();
    }

    [Fact]
    public void Aes256Gcm_with_an_expanded_key_matches_the_vectors_and_its_Rekey_matches_the_raw_key_one()
    {
        if (!Sodium.IsAes256GcmAvailable)
        {
            return;
        }

        using var state = new Aes256GcmState();
        var vectors = LoadOurParameters(out _).Where(v => v.Bytes("iv").AsSpan(0, 4).IndexOfAnyExcept((byte)0) < 0).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                byte[] key = v.Bytes("key");
                state.Expand(key);
                ulong n = BinaryPrimitives.ReadUInt64BigEndian(v.Bytes("iv").AsSpan(4));
                byte[] sealedMessage = [.. v.Bytes("ct"), .. v.Bytes("tag")];
                byte[] plaintext = new byte[sealedMessage.Length - Aes256Gcm.TagSize];
                bool opened = Aes256Gcm.TryDecrypt(state, n, v.Bytes("aad"), sealedMessage, plaintext);
                if (v.IsValid)
                {
                    byte[] msg = v.Bytes("msg");
                    byte[] mine = new byte[msg.Length + Aes256Gcm.TagSize];
                    Aes256Gcm.Encrypt(state, n, v.Bytes("aad"), msg, mine);
                    if (!mine.AsSpan().SequenceEqual(sealedMessage) || !opened || !plaintext.AsSpan().SequenceEqual(msg))
                    {
                        failures.Add(v, "the expanded key gave other bytes");
                    }
                }
                else if (opened || plaintext.AsSpan().ContainsAnyExcept((byte)0))
                {
                    failures.Add(v, "TryDecrypt accepted an invalid ciphertext or left plaintext behind");
                }

                byte[] expected = new byte[32];
                Aes256Gcm.Rekey(key, expected);
                byte[] rekeyed = new byte[32];
                Aes256Gcm.Rekey(state, rekeyed);
                if (!rekeyed.AsSpan().SequenceEqual(expected))
                {
                    failures.Add(v, "Rekey with the expanded key gave another key");
                }
            });
        }

        Assert.NotEmpty(vectors);
        failures.AssertNone();
    }

    [Fact]
    public void An_expanded_key_cannot_be_used_once_cleared_or_disposed()
    {
        if (!Sodium.IsAes256GcmAvailable)
        {
            return;
        }

        var state = new Aes256GcmState();
        byte[] sealedMessage = new byte[Aes256Gcm.TagSize + 1];
        Assert.False(state.HasKey);
        Assert.Throws<InvalidOperationException>(() => Aes256Gcm.Encrypt(state, 0, [], [1], sealedMessage));
        state.Expand(RandomNumberGenerator.GetBytes(32));
        Aes256Gcm.Encrypt(state, 0, [], [1], sealedMessage);
        state.Clear();
        Assert.False(state.HasKey);
        Assert.Throws<InvalidOperationException>(() => Aes256Gcm.Encrypt(state, 0, [], [1], sealedMessage));
        Assert.Throws<ArgumentException>(() => state.Expand(new byte[31]));
        state.Dispose();
        Assert.Throws<ObjectDisposedException>(() => state.Expand(new byte[32]));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Aes256Gcm_in_place_and_shifted_overlaps_give_the_same_bytes_as_separate_buffers(bool managedPath)
    {
        using var path = AesGcmPath.Use(managedPath);
        byte[] key = RandomNumberGenerator.GetBytes(Aes256Gcm.KeySize);
        byte[] plaintext = RandomNumberGenerator.GetBytes(100);
        byte[] expected = new byte[plaintext.Length + Aes256Gcm.TagSize];
        Aes256Gcm.Encrypt(key, 3, "ad"u8, plaintext, expected);

        foreach (int shift in new[] { 0, 5, 16 })
        {
            // The plaintext starts `shift` bytes after the destination (a frame header in front of it).
            byte[] buffer = new byte[shift + plaintext.Length + Aes256Gcm.TagSize];
            plaintext.CopyTo(buffer, shift);
            Aes256Gcm.Encrypt(key, 3, "ad"u8, buffer.AsSpan(shift, plaintext.Length), buffer.AsSpan(0, expected.Length));
            Assert.Equal(expected, buffer.AsSpan(0, expected.Length).ToArray());

            byte[] sealedBuffer = new byte[shift + expected.Length];
            expected.CopyTo(sealedBuffer, shift);
            Assert.True(Aes256Gcm.TryDecrypt(key, 3, "ad"u8, sealedBuffer.AsSpan(shift), sealedBuffer.AsSpan(0, plaintext.Length)));
            Assert.Equal(plaintext, sealedBuffer.AsSpan(0, plaintext.Length).ToArray());
        }
    }
}
