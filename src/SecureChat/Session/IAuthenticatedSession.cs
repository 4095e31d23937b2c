using System.Text.Json;

namespace SecureChat.Session;

/// <summary>
/// A conversation whose handshake authenticated both sides (the default <see cref="SecureChatSession"/>):
/// what a front end shows to let people rule out a man in the middle, and checks against what it
/// remembered of the peer. A session without this capability authenticates nobody.
/// </summary>
public interface IAuthenticatedSession : IChatSession
{
    /// <summary>This side's identity fingerprint (SHA256:…).</summary>
    string LocalFingerprint { get; }

    /// <summary>The peer's identity fingerprint (SHA256:…), authenticated by the handshake.</summary>
    string PeerFingerprint { get; }

    /// <summary>The session code both people compare to rule out a man in the middle: "dddd dddd dddd".</summary>
    string SessionCode { get; }

    /// <summary>The peer's handshake payload, a JSON object (hostile input: unknown fields are to be ignored).</summary>
    JsonElement PeerHandshakePayload { get; }

    /// <summary>What the trust policy (<see cref="SessionOptions.VerifyPeer"/>) decided about the peer during the handshake.</summary>
    PeerTrust PeerTrust { get; }
}
