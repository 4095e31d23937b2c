using System.Security.Cryptography;
using Xunit.Abstractions;

namespace SecureChat.Tests.Vectors;

/// <summary>HMAC-SHA256 (Wycheproof hmac_sha256_test.json), including tags truncated to tagSize bits.</summary>
public class WycheproofHmacSha256Tests(ITestOutputHelper output)
{
    private const string FileName = "hmac_sha256_test.json";

    private static bool Matches(WycheproofCase v)
    {
        byte[] tag = v.Bytes("tag");
        int tagBytes = v.GroupInt("tagSize") / 8;
        Assert.Equal(tagBytes, tag.Length);
        byte[] mac = HMACSHA256.HashData(v.Bytes("key"), v.Bytes("msg"));
        return CryptographicOperations.FixedTimeEquals(mac.AsSpan(0, tagBytes), tag);
    }

    [Fact]
    public void Hmac_sha256_valid_vectors_give_the_listed_tag()
    {
        var vectors = WycheproofFile.Load(FileName, "HMACSHA256").Where(v => v.IsValid).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                if (!Matches(v))
                {
                    failures.Add(v, "the tag does not match");
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} valid vectors checked ({vectors.Count(v => v.GroupInt("tagSize") < 256)} with truncated tags).");
        Assert.Equal(66, vectors.Count);
        failures.AssertNone();
    }

    [Fact]
    public void Hmac_sha256_invalid_vectors_do_not_match()
    {
        var vectors = WycheproofFile.Load(FileName, "HMACSHA256").Where(v => !v.IsValid).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                if (Matches(v))
                {
                    failures.Add(v, "an invalid tag matched");
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} invalid vectors checked.");
        Assert.Equal(108, vectors.Count);
        failures.AssertNone();
    }
}
