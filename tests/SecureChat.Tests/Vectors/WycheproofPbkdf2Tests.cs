using System.Security.Cryptography;
using Xunit.Abstractions;

namespace SecureChat.Tests.Vectors;

/// <summary>PBKDF2-HMAC-SHA256 (Wycheproof pbkdf2_hmacsha256_test.json) with <see cref="Rfc2898DeriveBytes.Pbkdf2(ReadOnlySpan{byte}, ReadOnlySpan{byte}, int, HashAlgorithmName, int)"/>.</summary>
public class WycheproofPbkdf2Tests(ITestOutputHelper output)
{
    private const string FileName = "pbkdf2_hmacsha256_test.json";

    /// <summary>Vectors above this iteration count are skipped to keep the run fast.</summary>
    private const int MaxIterations = 100_000;

    [Fact]
    public void Pbkdf2_hmac_sha256_vectors_give_the_listed_derived_key()
    {
        IReadOnlyList<WycheproofCase> all = WycheproofFile.Load(FileName, "PBKDF2-HMACSHA256");
        var vectors = all.Where(v => v.Int("iterationCount") <= MaxIterations).ToList();
        var failures = new VectorFailures();
        foreach (WycheproofCase v in vectors)
        {
            failures.Check(v, () =>
            {
                byte[] dk = Rfc2898DeriveBytes.Pbkdf2(v.Bytes("password"), v.Bytes("salt"), v.Int("iterationCount"), HashAlgorithmName.SHA256, v.Int("dkLen"));
                bool matches = dk.AsSpan().SequenceEqual(v.Bytes("dk"));
                if (matches != v.IsValid)
                {
                    failures.Add(v, $"{v.Result} vector, derived key {Convert.ToHexStringLower(dk)}");
                }
            });
        }

        output.WriteLine($"{FileName}: {vectors.Count} vectors checked; {all.Count - vectors.Count} skipped with more than {MaxIterations} iterations.");
        Assert.Equal(60, all.Count);
        failures.AssertNone();
    }
}
