using System.Security.Cryptography;
using SecureChat.Crypto;
using Xunit.Abstractions;

namespace SecureChat.Tests.Vectors;

/// <summary>
/// HKDF-SHA256 (Wycheproof hkdf_sha256_test.json) with the BCL's <see cref="HKDF"/>, and
/// <see cref="NoiseHkdf"/> against the Noise §4.3 definition written out with HMAC-SHA256.
/// </summary>
public class WycheproofHkdfSha256Tests(ITestOutputHelper output)
{
    private const string FileName = "hkdf_sha256_test.json";
    private const int MaxOutputSize = 255 * 32;

    [Fact]
    public void Hkdf_sha256_valid_vectors_give_the_listed_okm()
    {
        var vectors = WycheproofFile.Load(FileName, "HKDF-SHA-256").Where(v => v.IsValid).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                byte[] okm = HKDF.DeriveKey(HashAlgorithmName.SHA256, v.Bytes("ikm"), v.Int("size"), v.Bytes("salt"), v.Bytes("info"));
                byte[] expected = v.Bytes("okm");
                if (!okm.AsSpan().SequenceEqual(expected))
                {
                    failures.Add(v, $"okm {Convert.ToHexStringLower(okm)}, expected {Convert.ToHexStringLower(expected)}");
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} valid vectors checked ({vectors.Count(v => v.Int("size") == MaxOutputSize)} at the maximal size 255*32).");
        Assert.Equal(83, vectors.Count);
        failures.AssertNone();
    }

    [Fact]
    public void Hkdf_sha256_sizes_the_bcl_refuses_are_the_invalid_vectors_and_throw_argument_exception()
    {
        var vectors = WycheproofFile.Load(FileName, "HKDF-SHA-256").Where(v => !v.IsValid).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                if (v.Int("size") <= MaxOutputSize)
                {
                    failures.Add(v, $"an invalid vector with size {v.Int("size")}, which the BCL would not refuse");
                    return;
                }

                Assert.ThrowsAny<ArgumentException>(() =>
                    HKDF.DeriveKey(HashAlgorithmName.SHA256, v.Bytes("ikm"), v.Int("size"), v.Bytes("salt"), v.Bytes("info")));
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} vectors skipped as sizes the BCL refuses (each checked to throw ArgumentException).");
        Assert.Equal(3, vectors.Count);
        failures.AssertNone();
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(0, 3)]
    [InlineData(1, 2)]
    [InlineData(32, 2)]
    [InlineData(32, 3)]
    [InlineData(33, 3)]
    [InlineData(64, 2)]
    [InlineData(65, 3)]
    [InlineData(200, 2)]
    public void NoiseHkdf_matches_the_noise_section_4_3_definition(int ikmLength, int outputs)
    {
        byte[] ck = SHA256.HashData("Noise_XX_25519_AESGCM_SHA256"u8);
        byte[] ikm = Enumerable.Range(0, ikmLength).Select(i => (byte)(i * 7 + 3)).ToArray();

        // Noise §4.3, written out.
        byte[] tempKey = HMACSHA256.HashData(ck, ikm);
        byte[] out1 = HMACSHA256.HashData(tempKey, new byte[] { 0x01 });
        byte[] out2 = HMACSHA256.HashData(tempKey, (byte[])[.. out1, 0x02]);
        byte[] out3 = HMACSHA256.HashData(tempKey, (byte[])[.. out2, 0x03]);
        byte[] expected = outputs == 2 ? [.. out1, .. out2] : [.. out1, .. out2, .. out3];

        byte[] actual = new byte[outputs * NoiseHkdf.HashLen];
        NoiseHkdf.Derive(ck, ikm, actual);
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void NoiseHkdf_refuses_output_lengths_other_than_two_or_three_hashes()
    {
        byte[] ck = new byte[32];
        Assert.Throws<ArgumentException>(() => NoiseHkdf.Derive(ck, [], new byte[32]));
        Assert.Throws<ArgumentException>(() => NoiseHkdf.Derive(ck, [], new byte[128]));
    }
}
