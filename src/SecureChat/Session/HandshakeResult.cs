using System.Text.Json;
using SecureChat.Noise;

namespace SecureChat.Session;

/// <summary>What a finished handshake hands to the session: the transport ciphers (owned) and public facts.</summary>
internal sealed record HandshakeResult(
    CipherState Send,
    CipherState Receive,
    string ProtocolName,
    byte[] HandshakeHash,
    byte[] PeerStaticPublicKey,
    JsonElement PeerPayload,
    PeerInfo Peer,
    PeerVerdict Verdict,
    string SessionCode);
