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

    /// <summary>Uses <paramref name="home"/>, or the default when it is null or empty.</summary>
    public IdentityStore(string? home = null)
    {
        Home = string.IsNullOrEmpty(home) ? DefaultHome() : Path.GetFullPath(home);
    }

    /// <summary>The home directory.</summary>
    public string Home { get; }

    /// <summary>The private key file.</summary>
    public string IdentityPath => Path.Combine(Home, IdentityFileName);

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
}
