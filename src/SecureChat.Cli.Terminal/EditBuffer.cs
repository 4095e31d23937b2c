using System.Buffers;
using System.Globalization;
using System.Text;

namespace SecureChat.Cli.Terminal;

/// <summary>
/// The text of the line being edited and the cursor, with no I/O. The cursor moves over grapheme
/// clusters (what a reader sees as one character: an emoji, a surrogate pair, a letter with its
/// combining accents, a flag), never into the middle of one. Control characters, lone surrogates and
/// bidirectional controls can never enter the text: <see cref="Insert"/> and <see cref="SetText"/>
/// drop them.
/// </summary>
internal sealed class EditBuffer
{
    private string _text = "";
    private int[]? _boundaries;

    /// <summary>The current text.</summary>
    public string Text => _text;

    /// <summary>The cursor as a UTF-16 index into <see cref="Text"/>; always on a cluster boundary.</summary>
    public int Cursor { get; private set; }

    public bool IsEmpty => _text.Length == 0;

    /// <summary>How many clusters the text has.</summary>
    public int ClusterCount => Boundaries.Length - 1;

    /// <summary>The cursor as a cluster index, 0 ≤ CursorCluster ≤ ClusterCount.</summary>
    public int CursorCluster => Array.BinarySearch(Boundaries, Cursor);

    /// <summary>
    /// UTF-16 offsets where clusters start, followed by the length of the text: cluster i is
    /// Text[Boundaries[i]..Boundaries[i + 1]]. Always starts with 0 and has ClusterCount + 1 entries.
    /// </summary>
    public int[] Boundaries => _boundaries ??= ComputeBoundaries(_text);

    /// <summary>Whether a code point may be part of an edited line.</summary>
    public static bool IsAllowed(Rune rune) =>
        !Rune.IsControl(rune)
        && rune.Value is not (>= 0x202A and <= 0x202E) and not (>= 0x2066 and <= 0x2069)
            and not 0x200E and not 0x200F and not 0x061C and not 0x2028 and not 0x2029 and not 0xFEFF;

    /// <summary>Removes everything <see cref="IsAllowed"/> rejects, and lone surrogates.</summary>
    public static string Sanitize(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        StringBuilder? clean = null;
        int index = 0;
        while (index < value.Length)
        {
            OperationStatus status = Rune.DecodeFromUtf16(value.AsSpan(index), out Rune rune, out int consumed);
            bool keep = status == OperationStatus.Done && IsAllowed(rune);
            if (!keep && clean is null)
            {
                clean = new StringBuilder(value.Length).Append(value, 0, index);
            }

            if (keep)
            {
                clean?.Append(value, index, consumed);
            }

            index += consumed;
        }

        return clean?.ToString() ?? value;
    }

    /// <summary>Replaces the text and puts the cursor at its end.</summary>
    public void SetText(string value)
    {
        Replace(Sanitize(value), int.MaxValue);
    }

    public void Clear() => Replace("", 0);

    /// <summary>Inserts at the cursor and moves the cursor after the insertion. Returns false if nothing was inserted.</summary>
    public bool Insert(string value)
    {
        string clean = Sanitize(value);
        if (clean.Length == 0)
        {
            return false;
        }

        Replace(_text.Insert(Cursor, clean), Cursor + clean.Length);
        return true;
    }

    public bool MoveLeft() => MoveToCluster(CursorCluster - 1);

    public bool MoveRight() => MoveToCluster(CursorCluster + 1);

    public bool MoveHome() => MoveToCluster(0);

    public bool MoveEnd() => MoveToCluster(ClusterCount);

    /// <summary>To the start of the word at or before the cursor (Alt+B).</summary>
    public bool MoveWordLeft() => MoveToCluster(WordStartBefore(CursorCluster, IsWordCluster));

    /// <summary>To the end of the word at or after the cursor (Alt+F).</summary>
    public bool MoveWordRight() => MoveToCluster(WordEndAfter(CursorCluster));

    /// <summary>Deletes the cluster before the cursor (Backspace).</summary>
    public bool DeleteBackward() => DeleteClusters(CursorCluster - 1, CursorCluster).Length > 0;

    /// <summary>Deletes the cluster under the cursor (Delete).</summary>
    public bool DeleteForward() => DeleteClusters(CursorCluster, CursorCluster + 1).Length > 0;

    /// <summary>Deletes from the start of the line to the cursor (Ctrl+U) and returns what was deleted.</summary>
    public string DeleteToStart() => DeleteClusters(0, CursorCluster);

    /// <summary>Deletes from the cursor to the end of the line (Ctrl+K) and returns what was deleted.</summary>
    public string DeleteToEnd() => DeleteClusters(CursorCluster, ClusterCount);

    /// <summary>Deletes back to the previous whitespace, like a shell's Ctrl+W, and returns what was deleted.</summary>
    public string DeleteWhitespaceWordBackward() =>
        DeleteClusters(WordStartBefore(CursorCluster, index => !IsSpaceCluster(index)), CursorCluster);

    /// <summary>Deletes back to the start of the word (Alt+Backspace, Ctrl+Backspace) and returns what was deleted.</summary>
    public string DeleteWordBackward() => DeleteClusters(WordStartBefore(CursorCluster, IsWordCluster), CursorCluster);

    /// <summary>Deletes to the end of the word (Alt+D, Ctrl+Delete) and returns what was deleted.</summary>
    public string DeleteWordForward() => DeleteClusters(CursorCluster, WordEndAfter(CursorCluster));

    private bool MoveToCluster(int cluster)
    {
        int target = Boundaries[Math.Clamp(cluster, 0, ClusterCount)];
        if (target == Cursor)
        {
            return false;
        }

        Cursor = target;
        return true;
    }

    private string DeleteClusters(int fromCluster, int toCluster)
    {
        if (fromCluster < 0 || toCluster > ClusterCount || fromCluster >= toCluster)
        {
            return "";
        }

        int from = Boundaries[fromCluster];
        int to = Boundaries[toCluster];
        string deleted = _text[from..to];
        Replace(_text.Remove(from, to - from), from);
        return deleted;
    }

    /// <summary>Sets the text and the cursor, moving the cursor forward to a cluster boundary if the edit merged clusters.</summary>
    private void Replace(string value, int cursor)
    {
        _text = value;
        _boundaries = null;
        int[] all = Boundaries;
        int index = Array.BinarySearch(all, Math.Clamp(cursor, 0, value.Length));
        Cursor = all[index >= 0 ? index : ~index];
    }

    /// <summary>Skips non-word clusters leftwards, then word clusters; returns the cluster index reached.</summary>
    private static int WordStartBefore(int cluster, Func<int, bool> isWord)
    {
        while (cluster > 0 && !isWord(cluster - 1))
        {
            cluster--;
        }

        while (cluster > 0 && isWord(cluster - 1))
        {
            cluster--;
        }

        return cluster;
    }

    /// <summary>Skips non-word clusters rightwards, then word clusters; returns the cluster index reached.</summary>
    private int WordEndAfter(int cluster)
    {
        int count = ClusterCount;
        while (cluster < count && !IsWordCluster(cluster))
        {
            cluster++;
        }

        while (cluster < count && IsWordCluster(cluster))
        {
            cluster++;
        }

        return cluster;
    }

    private Rune FirstRune(int cluster)
    {
        Rune.DecodeFromUtf16(_text.AsSpan(Boundaries[cluster]), out Rune rune, out _);
        return rune;
    }

    private bool IsWordCluster(int cluster)
    {
        Rune rune = FirstRune(cluster);
        return Rune.IsLetterOrDigit(rune) || rune.Value == '_';
    }

    private bool IsSpaceCluster(int cluster) => Rune.IsWhiteSpace(FirstRune(cluster));

    private static int[] ComputeBoundaries(string value)
    {
        var result = new List<int>(value.Length + 1) { 0 };
        int index = 0;
        while (index < value.Length)
        {
            index += StringInfo.GetNextTextElementLength(value, index);
            result.Add(index);
        }

        return [.. result];
    }
}
