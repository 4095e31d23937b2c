namespace SecureChat.Cli.Terminal;

/// <summary>
/// Submitted lines, oldest first, kept in memory only. Empty lines and a line equal to the newest
/// entry are not added; past <see cref="Capacity"/> the oldest entries are dropped. Not thread-safe:
/// <see cref="LineEditor"/> only touches it under its lock.
/// </summary>
internal sealed class History
{
    public const int DefaultCapacity = 500;

    private readonly List<string> _entries = [];

    public History(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count => _entries.Count;

    /// <summary>Entry <paramref name="index"/>, 0 being the oldest.</summary>
    public string this[int index] => _entries[index];

    /// <summary>Adds a submitted line; returns false if it was empty or repeated the newest entry.</summary>
    public bool Add(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        if (line.Length == 0 || (_entries.Count > 0 && _entries[^1] == line))
        {
            return false;
        }

        if (_entries.Count == Capacity)
        {
            _entries.RemoveAt(0);
        }

        _entries.Add(line);
        return true;
    }

    public void Clear() => _entries.Clear();
}
