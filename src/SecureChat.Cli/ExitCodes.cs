namespace SecureChat.Cli;

/// <summary>The process exit codes (README, "Exit codes").</summary>
internal static class ExitCodes
{
    /// <summary>The chat ended by either side's exit.</summary>
    public const int Ok = 0;

    /// <summary>Anything not listed below.</summary>
    public const int Other = 1;

    /// <summary>A usage error: bad option, bad address, no passphrase source.</summary>
    public const int Usage = 2;

    /// <summary>Wrong passphrase, passphrase mode mismatch, changed server key, not authorized.</summary>
    public const int Authentication = 3;

    /// <summary>Tampered data or a protocol violation.</summary>
    public const int Integrity = 4;

    /// <summary>Connection lost, refused or timed out.</summary>
    public const int Connection = 5;
}
