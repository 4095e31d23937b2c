using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Identity;

namespace SecureChat.Trust;

/// <summary>
/// The home directory that holds this user's identity ("identity.key", PKCS#8 PEM, mode 0600) and
/// known_peers. Default: $SECURECHAT_HOME, else $XDG_CONFIG_HOME/securechat, else ~/.config/securechat.
/// </summary>
public sealed class IdentityStore
{
    /// <summary>The environment variable that overrides the home directory.</summary>
    public const string HomeVariable = "SECURECHAT_HOME";

    /// <summary>The identity's file name.</summary>
    public const string IdentityFileName = "identity.key";

    /// <summary>Where a v1 (P-256) identity is kept once a v2 identity replaces it (issue 12 §7).</summary>
    public const string V1IdentityFileName = "identity.p256.key";

    /// <summary>Uses <paramref name="home"/>, or the default when it is null or empty.</summary>
    public IdentityStore(string? home = null)
    {
        Home = string.IsNullOrEmpty(home) ? DefaultHome() : Path.GetFullPath(home);
    }

    /// <summary>The home directory.</summary>
    public string Home { get; }

    /// <summary>The private key file.</summary>
    public string IdentityPath => Path.Combine(Home, IdentityFileName);

    /// <summary>The v1 (P-256) private key file, once moved aside.</summary>
    public string V1IdentityPath => Path.Combine(Home, V1IdentityFileName);

    /// <summary>The one-line notice to show after <see cref="MoveV1IdentityAside"/> returned true.</summary>
    public string V1MovedNotice =>
        $"Moved your SecureChat v1 (P-256) identity to {V1IdentityPath}; a new X25519 identity replaces it (the old key stays to vouch for the new one to peers that pinned it).";

    /// <summary>The known_peers file.</summary>
    public string KnownPeersPath => Path.Combine(Home, KnownPeers.FileName);

    /// <summary>The default home directory.</summary>
    public static string DefaultHome()
    {
        string? explicitHome = Environment.GetEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrEmpty(explicitHome))
        {
            return Path.GetFullPath(explicitHome);
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        string config = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(config, "securechat");
    }

    /// <summary>Loads the identity, creating it (and the home directory, mode 0700) on first use.</summary>
    /// <param name="created">True when this call created it.</param>
    /// <exception cref="InvalidDataException">The identity file exists but is not a key.</exception>
    /// <exception cref="IOException">The home directory or file cannot be used.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission for the home directory or file.</exception>
    public IdentityKeyPair LoadOrCreate(out bool created)
    {
        created = false;
        if (File.Exists(IdentityPath))
        {
            return IdentityKeyPair.Load(IdentityPath);
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Home);
        }
        else
        {
            Directory.CreateDirectory(Home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var identity = IdentityKeyPair.Generate();
        try
        {
            identity.Save(IdentityPath);
            created = true;
            return identity;
        }
        catch (IOException) when (File.Exists(IdentityPath))
        {
            // Another process created it at the same moment: use that one.
            identity.Dispose();
            return IdentityKeyPair.Load(IdentityPath);
        }
        catch
        {
            identity.Dispose();
            throw;
        }
    }

    /// <summary>True when the identity file can be read by others than its owner (group or world bits set).</summary>
    public bool IdentityIsExposed()
    {
        if (OperatingSystem.IsWindows() || !File.Exists(IdentityPath))
        {
            return false;
        }

        UnixFileMode mode = File.GetUnixFileMode(IdentityPath);
        return (mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0;
    }

    /// <summary>
    /// The first step of the v2 upgrade (issue 12 §7): when <see cref="IdentityPath"/> holds a v1
    /// P-256 key, renames it to <see cref="V1IdentityPath"/> (mode 0600) so that the caller can
    /// create the new X25519 identity at <see cref="IdentityPath"/> and show <see cref="V1MovedNotice"/>.
    /// Nothing happens when there is no identity yet or it is already an X25519 key.
    /// </summary>
    /// <returns>True when the v1 key was moved aside by this call.</returns>
    /// <exception cref="IOException"><see cref="V1IdentityPath"/> already exists (never overwritten), or the rename failed.</exception>
    /// <exception cref="InvalidDataException">The identity file is neither a P-256 nor an X25519 private key.</exception>
    public bool MoveV1IdentityAside()
    {
        if (!File.Exists(IdentityPath) || HoldsX25519Key(IdentityPath))
        {
            return false;
        }

        // Throws InvalidDataException for a file that is neither kind: never move an unknown file.
        using (V1IdentityKey.Load(IdentityPath))
        {
        }

        if (File.Exists(V1IdentityPath))
        {
            throw new IOException(
                $"{IdentityPath} is a v1 (P-256) identity, but {V1IdentityPath} already exists: move one of them away by hand; neither is overwritten.");
        }

        // overwrite: false also refuses a file created in between (link + unlink on Unix, no clobbering).
        File.Move(IdentityPath, V1IdentityPath, overwrite: false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(V1IdentityPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return true;
    }

    /// <summary>The v1 P-256 identity as a signing key (for the cross-signature), or null when <see cref="V1IdentityPath"/> does not exist.</summary>
    /// <exception cref="InvalidDataException">The file is not a P-256 private key in PEM form.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public ECDsa? LoadV1Key()
    {
        if (!File.Exists(V1IdentityPath))
        {
            return null;
        }

        return V1IdentityKey.Load(V1IdentityPath);
    }

    private static bool HoldsX25519Key(string path)
    {
        Span<byte> key = stackalloc byte[X25519PrivateKeyPem.KeySize];
        try
        {
            X25519PrivateKeyPem.Load(path, key);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
