namespace SecureChat.Tests.Vectors;

/// <summary>
/// Collects every failing vector of a run so that one assertion names all failing tcIds at once.
/// </summary>
internal sealed class VectorFailures
{
    private readonly List<string> _messages = [];

    public void Add(WycheproofCase vector, string detail) => _messages.Add($"{vector}: {detail}");

    /// <summary>Runs <paramref name="check"/> and records an unexpected exception as a failure of that vector.</summary>
    public void Check(WycheproofCase vector, Action check)
    {
        try
        {
            check();
        }
#pragma warning disable CA1031 // Any exception is a failure of this vector, reported with the others.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Add(vector, $"threw {e.GetType().Name}: {e.Message}");
        }
    }

    public void AssertNone()
    {
        Assert.True(_messages.Count == 0, $"{_messages.Count} vector(s) failed:{Environment.NewLine}{string.Join(Environment.NewLine, _messages)}");
    }
}
