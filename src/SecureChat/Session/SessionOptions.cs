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

    /// <summary>Non-null selects passphrase mode (mode 2: Noise XXhfs+psk3, the psk from CPace). Stays owned by the caller.</summary>
    public Passphrase? Passphrase { get; init; }

    /// <summary>
    /// The v1 (P-256) identity key, while identity.p256.key exists (docs/PROTOCOL.md §7): the
    /// handshake then cross-signs this side's new X25519 key with it, so peers that pinned the v1
    /// key can upgrade their pin. Owned by the caller.
    /// </summary>
    public System.Security.Cryptography.ECDsa? Version1Key { get; init; }

    /// <summary>
    /// The CPace channel of a passphrase or code session (docs/PROTOCOL.md §4): null or empty for a
    /// direct connection, the relay nameplate (1-6 ASCII digits) for a relayed one. Both sides must
    /// use the same channel.
    /// </summary>
    public string? PakeChannel { get; init; }

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
    /// Decides whether to go on with the peer, called once per handshake as soon as the peer's static
    /// key is authenticated: by the initiator right after message 2 and before message 3 (so a
    /// rejected responder never learns the initiator's identity), by the responder after message 3.
    /// A rejection ends the handshake with <see cref="PeerRejectedException"/>; the side first tells
    /// the other with a REFUSE (docs/PROTOCOL.md §2.2): 6 from the responder, 7 from the initiator
    /// (instead of message 3). Null accepts every peer
    /// (<see cref="PeerTrust.Ephemeral"/> when it says so, <see cref="PeerTrust.New"/> otherwise).
    /// An exception from the callback ends the handshake and is thrown to the caller as it is.
    /// </summary>
    public PeerVerificationCallback? VerifyPeer { get; init; }

    /// <summary>The environment variable that <see cref="KeyLogFile"/> defaults to.</summary>
    public const string KeyLogFileVariable = Crypto.KeyLog.EnvironmentVariable;

    /// <summary>
    /// The debugging key log file. Defaults to the environment variable SECURECHAT_KEYLOGFILE; null or
    /// empty disables it. The library never tells the user that keys are being written: a front end
    /// that leaves this on should warn (the CLI does at startup).
    /// </summary>
    public string? KeyLogFile { get; init; } = Environment.GetEnvironmentVariable(Crypto.KeyLog.EnvironmentVariable);

    /// <summary>Keep a copy of each encrypted frame in sent and received text events (for --show-ciphertext).</summary>
    public bool CaptureCiphertext { get; init; }

    /// <summary>
    /// Incoming files received at once (default 4). Accepting one more throws
    /// <see cref="TransferLimitException"/> until one of them finishes or is cancelled; offers only
    /// waiting for an answer do not count (at most 64 of those wait at once; more are refused).
    /// </summary>
    public int MaxActiveIncomingTransfers { get; init; } = 4;

    /// <summary>
    /// The largest incoming file accepted, in bytes. Null (the default): a file must fit in the free
    /// space of the download directory's file system with 64 MiB to spare, checked when it is accepted.
    /// Accepting a larger one throws <see cref="TransferLimitException"/>.
    /// </summary>
    public long? MaxIncomingFileSize { get; init; }

    /// <summary>Internal hooks for deterministic tests and erasure proofs.</summary>
    internal SessionTestHooks? TestHooks { get; init; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(HandshakeTimeout, TimeSpan.Zero, nameof(HandshakeTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PingInterval, TimeSpan.Zero, nameof(PingInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, TimeSpan.Zero, nameof(IdleTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxActiveIncomingTransfers, 1, nameof(MaxActiveIncomingTransfers));
        if (!string.IsNullOrEmpty(PakeChannel) && (PakeChannel.Length > 6 || !PakeChannel.All(char.IsAsciiDigit)))
        {
            throw new ArgumentException("The CPace channel is a relay nameplate: 1 to 6 ASCII digits.", nameof(PakeChannel));
        }

        if (MaxIncomingFileSize is long maxSize)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(maxSize, nameof(MaxIncomingFileSize));
        }
    }
}

/// <summary>Test-only knobs (reached through InternalsVisibleTo, never reflection).</summary>
internal sealed class SessionTestHooks
{
    /// <summary>A fixed ephemeral private scalar (32 bytes) instead of a random one.</summary>
    public byte[]? FixedEphemeralScalar { get; init; }

    /// <summary>Remembers every secret buffer the session allocates.</summary>
    public SecretRegistry? Registry { get; init; }
}
