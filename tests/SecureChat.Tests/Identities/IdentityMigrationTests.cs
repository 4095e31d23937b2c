using System.Security.Cryptography;
using SecureChat.Identity;
using SecureChat.Trust;

namespace SecureChat.Tests.Identities;

/// <summary>Moving a v1 (P-256) identity aside for v2 (issue 12 §7), in a temporary home directory.</summary>
public sealed class IdentityMigrationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("securechat-migrate-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private IdentityStore NewHome(string name)
    {
        var store = new IdentityStore(Path.Combine(_dir, name));
        Directory.CreateDirectory(store.Home);
        return store;
    }

    /// <summary>
    /// Writes identity.key as SecureChat v1 did (a P-256 key, PKCS#8 PEM, mode 0600) and returns its
    /// 65-byte uncompressed public key. v1's IdentityKeyPair is gone (the type is X25519 now), so the
    /// file is made here with .NET's own P-256 types.
    /// </summary>
    private static byte[] WriteV1Identity(IdentityStore store)
    {
        using var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(store.IdentityPath, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(store.IdentityPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        return [0x04, .. parameters.Q.X!, .. parameters.Q.Y!];
    }

    [Fact]
    public void A_v1_identity_is_moved_aside_with_mode_0600_and_still_signs()
    {
        IdentityStore store = NewHome("v1");
        byte[] v1PublicKey = WriteV1Identity(store);
        Assert.Equal(65, v1PublicKey.Length);
        Assert.Null(store.LoadV1Key());
        Assert.True(store.MoveV1IdentityAside());
        Assert.False(File.Exists(store.IdentityPath));
        Assert.True(File.Exists(store.V1IdentityPath));
        Assert.Contains(store.V1IdentityPath, store.V1MovedNotice, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.V1IdentityPath));
        }

        // The caller now creates the X25519 identity; a second call finds nothing to do.
        X25519PrivateKeyPem.Save(store.IdentityPath, RandomNumberGenerator.GetBytes(32));
        Assert.False(store.MoveV1IdentityAside());

        using ECDsa? key = store.LoadV1Key();
        Assert.NotNull(key);
        byte[] newStatic = RandomNumberGenerator.GetBytes(32);
        byte[] h = RandomNumberGenerator.GetBytes(32);
        (string v1Key, string v1Sig) = V1CrossSignature.Create(key, h, newStatic);
        Assert.True(V1CrossSignature.Verify(v1Key, v1Sig, h, newStatic, out byte[] verified));
        Assert.Equal(v1PublicKey, verified);
        Assert.Equal(Fingerprint.Of(v1PublicKey), Fingerprint.Of(verified));
    }

    [Fact]
    public void A_loose_v1_identity_is_tightened_to_0600_when_moved()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        IdentityStore store = NewHome("loose");
        WriteV1Identity(store);
        File.SetUnixFileMode(store.IdentityPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.True(store.MoveV1IdentityAside());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.V1IdentityPath));
    }

    [Fact]
    public void An_existing_identity_p256_key_is_never_overwritten()
    {
        IdentityStore store = NewHome("both");
        WriteV1Identity(store);
        File.WriteAllText(store.V1IdentityPath, "precious");
        string before = File.ReadAllText(store.IdentityPath);
        var error = Assert.Throws<IOException>(() => store.MoveV1IdentityAside());
        Assert.Contains(store.V1IdentityPath, error.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(store.V1IdentityPath));
        Assert.Equal(before, File.ReadAllText(store.IdentityPath));
    }

    [Fact]
    public void No_identity_or_an_x25519_identity_means_nothing_to_do()
    {
        IdentityStore store = NewHome("empty");
        Assert.False(store.MoveV1IdentityAside());
        X25519PrivateKeyPem.Save(store.IdentityPath, RandomNumberGenerator.GetBytes(32));
        Assert.False(store.MoveV1IdentityAside());
        Assert.False(File.Exists(store.V1IdentityPath));
    }

    [Fact]
    public void A_damaged_identity_file_is_reported_and_left_where_it_is()
    {
        IdentityStore store = NewHome("damaged");
        File.WriteAllText(store.IdentityPath, "not a key");
        Assert.Throws<InvalidDataException>(() => store.MoveV1IdentityAside());
        Assert.Equal("not a key", File.ReadAllText(store.IdentityPath));
        Assert.False(File.Exists(store.V1IdentityPath));
    }

    [Fact]
    public void A_damaged_identity_p256_key_is_reported()
    {
        IdentityStore store = NewHome("damagedv1");
        File.WriteAllText(store.V1IdentityPath, "not a key");
        Assert.Throws<InvalidDataException>(() => store.LoadV1Key());
    }
}
