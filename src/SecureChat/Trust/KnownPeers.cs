using System.Security.Cryptography;
using System.Text;
using SecureChat.Identity;

namespace SecureChat.Trust;

/// <summary>
/// The connecting side's memory of servers (trust on first use, as OpenSSH's known_hosts): a text
/// file of "host:port x25519 fingerprint" lines; "host:port fingerprint" lines without a type,
/// written by versions before protocol v2, pin a v1 (P-256) key (docs/PROTOCOL.md §7); and
/// "host:port ephemeral" for an address whose server has so far presented only one-time identities
/// (nothing to pin, but a persistent key there later has never been verified and is reported so).
/// New pins are always written with their type. Lines it does not understand (comments, damage,
/// and so the typed and "ephemeral" lines for older versions) are kept as they are when the file is
/// rewritten, so nothing the user wrote is lost. Writes go to a temporary file, created readable by
/// the owner only (0600), that replaces the old one, so a crash never leaves half a file.
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

    /// <summary>The second word of a line that pins a v2 (X25519) key.</summary>
    public const string X25519Marker = "x25519";

    /// <summary>The second word of a typed line that pins a v1 (P-256) key; untyped lines pin one too.</summary>
    public const string P256Marker = "p256";

    /// <summary>The entries that parse, in file order.</summary>
    public IReadOnlyList<KnownPeer> Entries => [.. _lines.Select(Parse).OfType<KnownPeer>()];

    /// <summary>The word for a key type in known_peers: "x25519" or "p256".</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a <see cref="PeerKeyType"/>.</exception>
    public static string KeyTypeName(PeerKeyType keyType) => keyType switch
    {
        PeerKeyType.X25519 => X25519Marker,
        PeerKeyType.P256 => P256Marker,
        _ => throw new ArgumentOutOfRangeException(nameof(keyType)),
    };

    /// <summary>Reads the file; a missing file is an empty store.</summary>
    public static KnownPeers Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var lines = File.Exists(path) ? File.ReadAllLines(path, Encoding.UTF8).ToList() : [];
        return new KnownPeers(path, lines);
    }

    /// <summary>
    /// Compares a server's fingerprint with what is remembered for its address.
    /// <list type="bullet">
    /// <item>An X25519 key pinned: <see cref="PeerStatus.Known"/> or <see cref="PeerStatus.Changed"/>.</item>
    /// <item>Only a v1 (P-256) key pinned: <see cref="PeerStatus.Upgradable"/> when
    /// <paramref name="v1Fingerprint"/> is that key's fingerprint, else
    /// <see cref="PeerStatus.OlderVersionUnconfirmed"/>.</item>
    /// <item>Nothing pinned: <see cref="PeerStatus.New"/> or <see cref="PeerStatus.EphemeralBefore"/>.</item>
    /// </list>
    /// </summary>
    /// <param name="address">The server's address.</param>
    /// <param name="fingerprint">The fingerprint of the static key the server presented.</param>
    /// <param name="v1Fingerprint">
    /// The fingerprint of the v1 key the server proved in this handshake that it also holds (a valid
    /// v1→v2 cross-signature, <see cref="SecureChat.Session.PeerInfo.V1Fingerprint"/>); null when it proved none.
    /// </param>
    public PeerCheck Check(PeerAddress address, string fingerprint, string? v1Fingerprint = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(fingerprint);
        KnownPeer[] pinned = [.. FindAll(address.Key)];
        if (pinned.Length == 0)
        {
            return new PeerCheck(SawEphemeral(address.Key) ? PeerStatus.EphemeralBefore : PeerStatus.New, null);
        }

        // A pin of the current key type wins over older ones (an older version that did not read
        // the typed line may have added an untyped one beside it). Two spellings of one address
        // (from an older version) that disagree are a change, not a pick.
        string[] current = [.. pinned.Where(p => p.KeyType == PeerKeyType.X25519).Select(p => p.Fingerprint!)];
        if (current.Length > 0)
        {
            return current.All(r => r == fingerprint) ? new PeerCheck(PeerStatus.Known, fingerprint)
                : new PeerCheck(PeerStatus.Changed, current.First(r => r != fingerprint));
        }

        // Only v1 pins. A v2 key can never equal one (its fingerprint is over another key), so
        // only the old key itself can vouch for the new one, through the cross-signature. A peer
        // that presents the pinned v1 key itself (a v1 handshake) is simply the key remembered.
        string[] older = [.. pinned.Select(p => p.Fingerprint!)];
        return older.All(r => r == fingerprint) ? new PeerCheck(PeerStatus.Known, fingerprint)
            : v1Fingerprint is not null && older.All(r => r == v1Fingerprint) ? new PeerCheck(PeerStatus.Upgradable, v1Fingerprint)
            : new PeerCheck(PeerStatus.OlderVersionUnconfirmed, older[0]);
    }

    /// <summary>Remembers (or replaces) the X25519 key of an address, as a typed line, and saves the file.</summary>
    /// <exception cref="ArgumentException"><paramref name="fingerprint"/> is not a fingerprint.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void Remember(PeerAddress address, string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(fingerprint);
        if (!Fingerprint.IsWellFormed(fingerprint))
        {
            throw new ArgumentException("Not a fingerprint.", nameof(fingerprint));
        }

        RemoveAll(address.Key);
        _lines.Add($"{address.Key} {X25519Marker} {fingerprint}");
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

    /// <summary>Forgets an address (its keys of any type or its one-time mark); false when it was not remembered.</summary>
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

    private IEnumerable<KnownPeer> FindAll(string key) =>
        _lines.Select(Parse).OfType<KnownPeer>().Where(e => e.Address == key && !e.IsEphemeral);

    private bool SawEphemeral(string key) => _lines.Select(Parse).Any(e => e is not null && e.Address == key && e.IsEphemeral);

    private bool RemoveAll(string key) => _lines.RemoveAll(l => Parse(l)?.Address == key) > 0;

    /// <summary>"address x25519|p256 fingerprint", "address fingerprint" (v1: P-256), "address ephemeral"; anything else is null.</summary>
    private static KnownPeer? Parse(string line)
    {
        string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0].StartsWith('#'))
        {
            return null;
        }

        string address = PeerAddress.CanonicalKey(parts[0]);
        if (Fingerprint.IsWellFormed(parts[1]))
        {
            return new KnownPeer(address, PeerKeyType.P256, parts[1]);
        }

        if (parts[1] == EphemeralMarker)
        {
            return new KnownPeer(address, null, null);
        }

        PeerKeyType? type = parts[1] switch
        {
            X25519Marker => PeerKeyType.X25519,
            P256Marker => PeerKeyType.P256,
            _ => null,
        };
        return type is not null && parts.Length >= 3 && Fingerprint.IsWellFormed(parts[2]) ? new KnownPeer(address, type, parts[2]) : null;
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

    /// <summary>
    /// Only a v1 (P-256) key is pinned, by an older version, and the server proved in this handshake
    /// that it still holds that key (a valid v1→v2 cross-signature, docs/PROTOCOL.md §7): the old
    /// key vouches for the new one, and the pin may be upgraded to it.
    /// </summary>
    Upgradable,

    /// <summary>
    /// Only a v1 (P-256) key is pinned, by an older version, and the server did not prove that it
    /// holds it (no cross-signature, or one by another v1 key). Neither a refusal (a v2 key can
    /// never match a v1 pin) nor trusted: the new key is not confirmed until the people compare
    /// the session code.
    /// </summary>
    OlderVersionUnconfirmed,
}

/// <summary>
/// The outcome of <see cref="KnownPeers.Check"/>; <paramref name="Remembered"/> is the stored
/// fingerprint that decided it (for <see cref="PeerStatus.Upgradable"/> and
/// <see cref="PeerStatus.OlderVersionUnconfirmed"/>, the v1 one).
/// </summary>
public sealed record PeerCheck(PeerStatus Status, string? Remembered);
