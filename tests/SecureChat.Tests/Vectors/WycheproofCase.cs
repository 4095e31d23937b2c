using System.Text.Json;

namespace SecureChat.Tests.Vectors;

/// <summary>One Wycheproof test together with the group that holds its shared parameters.</summary>
internal sealed class WycheproofCase(JsonElement group, JsonElement test)
{
    public int TcId => test.GetProperty("tcId").GetInt32();

    public string Comment => test.GetProperty("comment").GetString() ?? string.Empty;

    /// <summary>"valid", "invalid" or "acceptable".</summary>
    public string Result => test.GetProperty("result").GetString()!;

    public bool IsValid => Result == "valid";

    public bool IsInvalid => Result == "invalid";

    public bool IsAcceptable => Result == "acceptable";

    public bool HasFlag(string flag) =>
        test.TryGetProperty("flags", out JsonElement flags)
        && flags.EnumerateArray().Any(f => f.GetString() == flag);

    /// <summary>A hex-encoded field of the test.</summary>
    public byte[] Bytes(string name) => Convert.FromHexString(test.GetProperty(name).GetString()!);

    public int Int(string name) => test.GetProperty(name).GetInt32();

    /// <summary>An integer parameter of the test's group (keySize, ivSize, tagSize...).</summary>
    public int GroupInt(string name) => group.GetProperty(name).GetInt32();

    public override string ToString() => Comment.Length == 0 ? $"tcId {TcId}" : $"tcId {TcId} ({Comment})";
}
