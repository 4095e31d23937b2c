using System.Text.Json.Nodes;
using SecureChat.Crypto;
using SecureChat.Identity;

namespace SecureChat.Session;

/// <summary>How a session authenticates and how long it waits. Shared by both roles.</summary>
public sealed class SessionOptions
{
    /// <summary>
    /// The static identity. Null: a fresh identity for this session only, owned by the session and
    /// erased when it ends. A given identity stays owned by the caller.
    /// </summary>
    public IdentityKeyPair? Identity { get; init; }

    /// <summary>Non-null selects passphrase mode (Noise XXpsk3). Stays owned by the caller.</summary>
    public Passphrase? Passphrase { get; init; }

    /// <summary>The whole handshake must finish within this time (default 10 s).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A PING is sent after this long without any frame from the peer (default 15 s).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The connection is lost after this long without any frame from the peer (default 45 s).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// The handshake payload sent to the peer (a JSON object). Default: {"software":"securechat/VERSION"}.
    /// </summary>
    public JsonObject? HandshakePayload { get; init; }

    /// <summary>
    /// The debugging key log file. Defaults to the environment variable SECURECHAT_KEYLOGFILE; null or
    /// empty disables it.
    /// </summary>
    public string? KeyLogFile { get; init; } = Environment.GetEnvironmentVariable(Crypto.KeyLog.EnvironmentVariable);

    /// <summary>Keep a copy of each encrypted frame in sent and received text events (for --show-ciphertext).</summary>
    public bool CaptureCiphertext { get; init; }

    /// <summary>Internal hooks for deterministic tests and erasure proofs.</summary>
    internal SessionTestHooks? TestHooks { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PingInterval, TimeSpan.Zero, nameof(PingInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, TimeSpan.Zero, nameof(IdleTimeout));
    }
}

/// <summary>Test-only knobs (reached through InternalsVisibleTo, never reflection).</summary>
internal sealed class SessionTestHooks
{
    /// <summary>A fixed ephemeral private scalar (32 bytes) instead of a random one.</summary>
    public byte[]? FixedEphemeralScalar { get; init; }

    /// <summary>Remembers every secret buffer the session allocates.</summary>
    public SecretRegistry? Registry { get; init; }

    /// <summary>PBKDF2 iterations (the protocol's 600,000 unless a test needs speed).</summary>
    public int PbkdfIterations { get; init; } = Identity.Passphrase.Iterations;

    /// <summary>Sees every passphrase derivation of the session.</summary>
    public PskDerivationProbe? PskDerivations { get; init; }
}
