using System.Text;
using SecureChat.Identity;

namespace SecureChat.Trust;

/// <summary>
/// The connecting side's memory of servers (trust on first use, as OpenSSH's known_hosts): a text
/// file of "host:port fingerprint" lines. Lines it does not understand (comments, damage) are kept
/// as they are when the file is rewritten, so nothing the user wrote is lost. Writes go to a
/// temporary file that replaces the old one, so a crash never leaves half a file.
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

    /// <summary>The entries that parse, in file order.</summary>
    public IReadOnlyList<(string Address, string Fingerprint)> Entries =>
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
        return remembered.Length == 0 ? new PeerCheck(PeerStatus.New, null)
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

    /// <summary>Forgets an address; false when it was not remembered.</summary>
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
        _lines.Select(Parse).Where(e => e is not null && e.Value.Address == key).Select(e => e!.Value.Fingerprint);

    private bool RemoveAll(string key) => _lines.RemoveAll(l => Parse(l)?.Address == key) > 0;

    private static (string Address, string Fingerprint)? Parse(string line)
    {
        string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && !parts[0].StartsWith('#') && Fingerprint.IsWellFormed(parts[1])
            ? (PeerAddress.CanonicalKey(parts[0]), parts[1])
            : null;
    }

    private void Save()
    {
        string? directory = Path.GetDirectoryName(Path.GetFullPath(_path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        string temporary = _path + ".tmp";
        File.WriteAllLines(temporary, _lines, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        File.Move(temporary, _path, overwrite: true);
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
}

/// <summary>The outcome of <see cref="KnownPeers.Check"/>; <paramref name="Remembered"/> is the stored fingerprint.</summary>
public sealed record PeerCheck(PeerStatus Status, string? Remembered);
