using System.Text;
using SecureChat.Identity;

namespace SecureChat.Trust;

/// <summary>
/// A listener's allow-list: "fingerprint [comment]" per line, '#' starts a comment line, blank
/// lines are ignored. A fingerprint may be of a v2 (X25519) key or, from before protocol v2, of a
/// v1 (P-256) key; the two have the same form, and <see cref="AuthorizedPeersPolicy"/> tells them
/// apart by what the peer proves. Any other line is an error that names the line, so a typo never silently
/// locks someone out or lets someone in.
/// </summary>
public sealed class AuthorizedPeers
{
    private readonly Dictionary<string, string> _comments;

    private AuthorizedPeers(string path, Dictionary<string, string> comments)
    {
        Path = path;
        _comments = comments;
    }

    /// <summary>The file the list was read from.</summary>
    public string Path { get; }

    /// <summary>How many fingerprints are authorized.</summary>
    public int Count => _comments.Count;

    /// <summary>Reads and validates the file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A line is not "fingerprint [comment]"; the message names it.</exception>
    public static AuthorizedPeers Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var comments = new Dictionary<string, string>(StringComparer.Ordinal);
        int number = 0;
        foreach (string raw in File.ReadLines(path, Encoding.UTF8))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int space = line.IndexOfAny([' ', '\t']);
            string fingerprint = space < 0 ? line : line[..space];
            if (!Fingerprint.IsWellFormed(fingerprint))
            {
                throw new InvalidDataException($"{path}, line {number}: '{Truncate(fingerprint)}' is not a fingerprint (SHA256: and 43 base64 characters).");
            }

            comments[fingerprint] = space < 0 ? "" : line[(space + 1)..].Trim();
        }

        return new AuthorizedPeers(path, comments);
    }

    /// <summary>True when the fingerprint is listed.</summary>
    public bool IsAuthorized(string fingerprint) => _comments.ContainsKey(fingerprint);

    /// <summary>The comment written after a listed fingerprint, or null.</summary>
    public string? CommentFor(string fingerprint) => _comments.TryGetValue(fingerprint, out string? comment) ? comment : null;

    private static string Truncate(string text) => text.Length <= 60 ? text : text[..60] + "…";
}
