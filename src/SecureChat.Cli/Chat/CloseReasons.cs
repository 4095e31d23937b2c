namespace SecureChat.Cli.Chat;

/// <summary>
/// Reasons this tool puts in an authenticated CLOSE. A connecting side that gets one of the first
/// two right after the handshake reports an authentication failure (exit code 3), not a normal end.
/// </summary>
internal static class CloseReasons
{
    public const string NotAuthorized = "not authorized";
    public const string KeyMismatch = "key mismatch";

    public static bool IsAuthenticationRefusal(string? reason) =>
        reason is not null && (reason.StartsWith(NotAuthorized, StringComparison.Ordinal) || reason.StartsWith(KeyMismatch, StringComparison.Ordinal));
}
