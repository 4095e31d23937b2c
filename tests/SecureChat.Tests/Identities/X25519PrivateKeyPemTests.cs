using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Crypto;
using SecureChat.Crypto.Sodium;
using SecureChat.Identity;

namespace SecureChat.Tests.Identities;

/// <summary>X25519 PKCS#8 PEM (RFC 8410 §7) against OpenSSL in both directions.</summary>
public sealed class X25519PrivateKeyPemTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("securechat-x25519pem-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] NewKey()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        return key;
    }

    private static byte[] PublicKeyOf(ReadOnlySpan<byte> privateKey)
    {
        byte[] publicKey = new byte[32];
        Sodium.X25519Base(privateKey, publicKey);
        return publicKey;
    }

    private static byte[] OpenSsl(params string[] arguments)
    {
        var info = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException("openssl did not start");
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"openssl {string.Join(' ', arguments)} failed: {errors}");
        return output.ToArray();
    }

    [Fact]
    public void OpenSsl_reads_our_pem_and_derives_the_same_public_key()
    {
        byte[] key = NewKey();
        string path = Path.Combine(_dir, "ours.key");
        X25519PrivateKeyPem.Save(path, key);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        byte[] spki = OpenSsl("pkey", "-in", path, "-pubout", "-outform", "DER");
        Assert.Equal(44, spki.Length);
        Assert.Equal(PublicKeyOf(key), spki[^32..]);

        string text = File.ReadAllText(path);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----\n", text, StringComparison.Ordinal);
        Assert.EndsWith("-----END PRIVATE KEY-----\n", text, StringComparison.Ordinal);
        Assert.Equal(X25519PrivateKeyPem.EncodedLength, text.Length);
    }

    [Fact]
    public void A_key_openssl_generated_decodes_to_the_key_openssl_derives_from()
    {
        string path = Path.Combine(_dir, "openssl.key");
        OpenSsl("genpkey", "-algorithm", "X25519", "-out", path);
        byte[] key = new byte[32];
        X25519PrivateKeyPem.Load(path, key);
        byte[] spki = OpenSsl("pkey", "-in", path, "-pubout", "-outform", "DER");
        Assert.Equal(PublicKeyOf(key), spki[^32..]);

        // And our encoding of it is byte for byte what openssl wrote.
        using SecretBuffer ours = X25519PrivateKeyPem.Encode(key);
        Assert.Equal(File.ReadAllBytes(path), ours.Span.ToArray());
    }

    [Fact]
    public void Encode_and_decode_round_trip_and_every_tracked_buffer_is_wiped()
    {
        byte[] key = NewKey();
        var registry = new SecretRegistry();
        byte[] decoded = new byte[32];
        using (SecretBuffer text = X25519PrivateKeyPem.Encode(key, registry))
        {
            X25519PrivateKeyPem.Decode(text.Span, decoded);
        }

        Assert.Equal(key, decoded);
        Assert.All(registry.Snapshot(), array => Assert.All(array, b => Assert.Equal(0, b)));
    }

    [Fact]
    public void A_version_1_key_with_its_public_key_is_accepted_and_a_wrong_public_key_is_not()
    {
        byte[] key = NewKey();
        byte[] publicKey = PublicKeyOf(key);
        Assert.Equal(key, DecodeDer(OneAsymmetricKeyV2(key, publicKey)));
        publicKey[0] ^= 1;
        var error = Assert.Throws<InvalidDataException>(() => DecodeDer(OneAsymmetricKeyV2(key, publicKey)));
        Assert.Contains("publicKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_v1_p256_identity_is_refused_with_a_message_that_says_so()
    {
        using var ecdh = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        string pem = ecdh.ExportPkcs8PrivateKeyPem();
        var error = Assert.Throws<InvalidDataException>(() => X25519PrivateKeyPem.Decode(pem.AsSpan(), new byte[32]));
        Assert.Contains("P-256", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ed25519_key_from_openssl_is_refused()
    {
        string path = Path.Combine(_dir, "ed.key");
        OpenSsl("genpkey", "-algorithm", "ED25519", "-out", path);
        var error = Assert.Throws<InvalidDataException>(() => X25519PrivateKeyPem.Load(path, new byte[32]));
        Assert.Contains("Ed25519", error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadTexts => new()
    {
        { "", "not PEM" },
        { "hello", "not PEM" },
        { "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VuAyEA\n-----END PUBLIC KEY-----\n", "PUBLIC KEY" },
        { "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "DER" },
        // Parameters present (NULL) in the algorithm identifier.
        { Pem("3030020100300706032b656e0500042204200000000000000000000000000000000000000000000000000000000000000000"), "parameters" },
        // A 31-byte key.
        { Pem("302d020100300506032b656e042104" + "1f" + new string('0', 62)), "32 bytes" },
        // Version 2.
        { Pem("302e020102300506032b656e04220420" + new string('0', 64)), "version" },
        // Trailing garbage after the sequence.
        { Pem("302e020100300506032b656e04220420" + new string('0', 64) + "00"), "DER" },
    };

    [Theory]
    [MemberData(nameof(BadTexts))]
    public void Anything_else_is_refused_with_a_clear_message(string text, string expected)
    {
        byte[] key = [.. Enumerable.Repeat((byte)0x55, 32)];
        var error = Assert.Throws<InvalidDataException>(() => X25519PrivateKeyPem.Decode(Encoding.ASCII.GetBytes(text), key));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_pem_blocks_are_refused()
    {
        using SecretBuffer text = X25519PrivateKeyPem.Encode(NewKey());
        byte[] twice = [.. text.Span, .. text.Span];
        Assert.Throws<InvalidDataException>(() => X25519PrivateKeyPem.Decode(twice, new byte[32]));
    }

    private static string Pem(string derHex) => PemEncoding.WriteString("PRIVATE KEY", Convert.FromHexString(derHex)) + "\n";

    private static byte[] DecodeDer(byte[] der)
    {
        byte[] key = new byte[32];
        X25519PrivateKeyPem.Decode(PemEncoding.WriteString("PRIVATE KEY", der).AsSpan(), key);
        return key;
    }

    private static byte[] OneAsymmetricKeyV2(byte[] key, byte[] publicKey)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(1);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.3.101.110");
            }

            using (writer.PushOctetString())
            {
                writer.WriteOctetString(key);
            }

            writer.WriteBitString(publicKey, 0, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 1));
        }

        return writer.Encode();
    }
}
