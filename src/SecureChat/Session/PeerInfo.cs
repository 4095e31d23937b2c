using System.Net;
using System.Text.Json;
using SecureChat.Identity;

namespace SecureChat.Session;

/// <summary>
/// What the handshake has authenticated about the peer when <see cref="SessionOptions.VerifyPeer"/>
/// is called (docs/PROTOCOL.md §8): its static key and fingerprint, and what its handshake payload
/// says. The payload fields are the peer's own claims (hostile input): <see cref="IsEphemeral"/> may
/// relax what is remembered, never what is checked.
/// </summary>
public sealed class PeerInfo
{
    private const int MaxSoftwareLength = 256;

    private PeerInfo(byte[] staticPublicKey, bool isEphemeral, string? software, EndPoint? remoteEndPoint, string? v1Fingerprint)
    {
        StaticPublicKey = staticPublicKey;
        Fingerprint = Identity.Fingerprint.Of(staticPublicKey);
        IsEphemeral = isEphemeral;
        Software = software;
        RemoteEndPoint = remoteEndPoint;
        V1Fingerprint = v1Fingerprint;
    }

    /// <summary>The peer's identity fingerprint (SHA256:…).</summary>
    public string Fingerprint { get; }

    /// <summary>The peer's 32-byte X25519 static public key.</summary>
    public ReadOnlyMemory<byte> StaticPublicKey { get; }

    /// <summary>True when the peer's payload says <c>"ephemeral": true</c>: a key made for this session only.</summary>
    public bool IsEphemeral { get; }

    /// <summary>The payload's "software" string (at most 256 characters), or null. Sanitise before printing.</summary>
    public string? Software { get; }

    /// <summary>The peer's address, when the session runs over a socket.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>
    /// The peer's v1 (P-256) identity fingerprint, when it proved in this handshake that it also holds
    /// that key (a valid v1→v2 cross-signature, docs/PROTOCOL.md §7); null otherwise. Unlike the
    /// payload fields this is verified, not claimed: trust policies may let a v1 pin or
    /// authorized-peers entry vouch for the new key through it.
    /// </summary>
    public string? V1Fingerprint { get; }

    /// <param name="staticPublicKey">The peer's authenticated static public key.</param>
    /// <param name="payload">The peer's handshake payload (a JSON object).</param>
    /// <param name="remoteEndPoint">The peer's address, if known.</param>
    /// <param name="v1Fingerprint">The v1 fingerprint the cross-signature proved, only after it was verified; null otherwise.</param>
    /// <exception cref="ArgumentException"><paramref name="v1Fingerprint"/> is not a fingerprint.</exception>
    internal static PeerInfo From(ReadOnlySpan<byte> staticPublicKey, JsonElement payload, EndPoint? remoteEndPoint, string? v1Fingerprint = null)
    {
        if (v1Fingerprint is not null && !Identity.Fingerprint.IsWellFormed(v1Fingerprint))
        {
            throw new ArgumentException("Not a fingerprint.", nameof(v1Fingerprint));
        }

        bool ephemeral = payload.TryGetProperty("ephemeral", out JsonElement flag) && flag.ValueKind == JsonValueKind.True;
        string? software = payload.TryGetProperty("software", out JsonElement name) && name.ValueKind == JsonValueKind.String ? name.GetString() : null;
        if (software is { Length: > MaxSoftwareLength })
        {
            software = software[..MaxSoftwareLength];
        }

        return new PeerInfo(staticPublicKey.ToArray(), ephemeral, software, remoteEndPoint, v1Fingerprint);
    }
}
