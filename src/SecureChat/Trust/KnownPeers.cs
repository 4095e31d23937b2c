using System.Security.Cryptography;
using System.Text;
using SecureChat.Identity;

namespace SecureChat.Trust;

/// <summary>
/// The connecting side's memory of servers (trust on first use, as OpenSSH's known_hosts): a text
/// file of "host:port fingerprint" lines, and "host:port ephemeral" for an address whose server has
/// so far presented only one-time identities (nothing to pin, but a persistent key there later has
/// never been verified and is reported so). Lines it does not understand (comments, damage, and so
/// "ephemeral" lines for older versions) are kept as they are when the file is rewritten, so nothing
/// the user wrote is lost. Writes go to a temporary file, created readable by the owner only (0600),
/// that replaces the old one, so a crash never leaves half a file.
/// </summary>
public sealed class KnownPeers
{
    private readonly string _path;
    private readonly List<string> _lines;

    private KnownPeers(string path, List<string> lines)
    {
        _path = path;
        _lines = lines;
    }

    /// <summary>The file name inside the home directory.</summary>
    public const string FileName = "known_peers";

    /// <summary>The second word of a line that records one-time identities only.</summary>
    public const string EphemeralMarker = "ephemeral";

    /// <summary>The entries that parse, in file order; a null fingerprint means one-time identities only.</summary>
    public IReadOnlyList<(string Address, string? Fingerprint)> Entries =>
        [.. _lines.Select(Parse).Where(e => e is not null).Select(e => e!.Value)];

    /// <summary>Reads the file; a missing file is an empty store.</summary>
    public static KnownPeers Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var lines = File.Exists(path) ? File.ReadAllLines(path, Encoding.UTF8).ToList() : [];
        return new KnownPeers(path, lines);
    }

    /// <summary>Compares a server's fingerprint with what is remembered for its address.</summary>
    public PeerCheck Check(PeerAddress address, string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(address);
        // Two spellings of one address (from an older version) that disagree are a change, not a pick.
        string[] remembered = [.. FindAll(address.Key)];
        return remembered.Length == 0 ? new PeerCheck(SawEphemeral(address.Key) ? PeerStatus.EphemeralBefore : PeerStatus.New, null)
            : remembered.All(r => r == fingerprint) ? new PeerCheck(PeerStatus.Known, fingerprint)
            : new PeerCheck(PeerStatus.Changed, remembered.First(r => r != fingerprint));
    }

    /// <summary>Remembers (or replaces) the fingerprint of an address and saves the file.</summary>
    public void Remember(PeerAddress address, string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!Fingerprint.IsWellFormed(fingerprint))
        {
            throw new ArgumentException("Not a fingerprint.", nameof(fingerprint));
        }

        RemoveAll(address.Key);
        _lines.Add($"{address.Key} {fingerprint}");
        Save();
    }

    /// <summary>
    /// Records that the server at an address presented a one-time identity on first contact. Does
    /// nothing when anything is remembered for the address already (a pinned key stays pinned).
    /// </summary>
    public void RememberEphemeral(PeerAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (_lines.Any(l => Parse(l)?.Address == address.Key))
        {
            return;
        }

        _lines.Add($"{address.Key} {EphemeralMarker}");
        Save();
    }

    /// <summary>Forgets an address (its key or its one-time mark); false when it was not remembered.</summary>
    public bool Forget(PeerAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (!RemoveAll(address.Key))
        {
            return false;
        }

        Save();
        return true;
    }

    private IEnumerable<string> FindAll(string key) =>
        _lines.Select(Parse).Where(e => e is not null && e.Value.Address == key && e.Value.Fingerprint is not null).Select(e => e!.Value.Fingerprint!);

    private bool SawEphemeral(string key) => _lines.Select(Parse).Any(e => e is not null && e.Value.Address == key && e.Value.Fingerprint is null);

    private bool RemoveAll(string key) => _lines.RemoveAll(l => Parse(l)?.Address == key) > 0;

    private static (string Address, string? Fingerprint)? Parse(string line)
    {
        string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0].StartsWith('#'))
        {
            return null;
        }

        return Fingerprint.IsWellFormed(parts[1]) ? (PeerAddress.CanonicalKey(parts[0]), parts[1])
            : parts[1] == EphemeralMarker ? (PeerAddress.CanonicalKey(parts[0]), null)
            : null;
    }

    private void Save()
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(_path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        // Where this user connects is private: the new file is created 0600 whatever the umask
        // allows, and renamed over the old one (which also replaces an old file's wider mode).
        // A name of its own for each save (two connects may save at once; neither may delete or
        // rename the other's half-written file), created exclusively.
        string temporary = $"{_path}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            using (var writer = new StreamWriter(temporary, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options))
            {
                foreach (string line in _lines)
                {
                    writer.WriteLine(line);
                }
            }

            File.Move(temporary, _path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}

/// <summary>What known_peers says about a server.</summary>
public enum PeerStatus
{
    /// <summary>First contact: nothing remembered for this address.</summary>
    New,

    /// <summary>The remembered fingerprint matches.</summary>
    Known,

    /// <summary>A different fingerprint is remembered: possibly an attack.</summary>
    Changed,

    /// <summary>
    /// Nothing pinned, but the server at this address presented only one-time identities before: a
    /// persistent key now is not an ordinary first contact, it has never been verified.
    /// </summary>
    EphemeralBefore,
}

/// <summary>The outcome of <see cref="KnownPeers.Check"/>; <paramref name="Remembered"/> is the stored fingerprint.</summary>
public sealed record PeerCheck(PeerStatus Status, string? Remembered);
