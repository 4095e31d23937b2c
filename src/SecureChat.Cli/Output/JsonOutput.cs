using System.Globalization;
using System.Text.Json;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Output;

/// <summary>
/// --json: one JSON object per line on stdout, each with an "event" field (README, "JSON events").
/// Notices for people go to stderr, so stdout stays machine-readable. Every string field goes
/// through <see cref="JsonTextEncoder"/>, so no control or format character appears raw in a line.
/// </summary>
internal sealed class JsonOutput(TextWriter stdout, TextWriter stderr) : IChatOutput
{
    private static readonly JsonWriterOptions Options = new() { Encoder = JsonTextEncoder.Instance };
    private readonly Lock _lock = new();

    public Action<string, int>? LineSink { get; set; }

    public Action<IReadOnlyList<string>>? StatusSink { get; set; }

    private static string Direction(TransferDirection direction) => direction == TransferDirection.Incoming ? "incoming" : "outgoing";

    public void FileOffered(FileOffered offer) => EmitOffer(offer.Id, TransferDirection.Incoming, offer.Name, offer.Size, offer.Sha256, path: null);

    public void FileOfferSent(FileOfferSent offer) => EmitOffer(offer.Id, TransferDirection.Outgoing, offer.Name, offer.Size, offer.Sha256, offer.Path);

    private void EmitOffer(uint id, TransferDirection direction, string name, long size, string? sha256, string? path) =>
        Emit("file-offer", w =>
        {
            w.WriteNumber("id", id);
            w.WriteString("direction", Direction(direction));
            w.WriteString("name", name);
            w.WriteNumber("size", size);
            w.WriteString("sha256", sha256);
            if (path is not null)
            {
                w.WriteString("path", path);
            }
        });

    public void FileAccepted(FileAccepted accepted) =>
        Emit("file-accepted", w =>
        {
            w.WriteNumber("id", accepted.Id);
            w.WriteNumber("offset", accepted.Offset);
        });

    public void FileProgress(FileProgress progress) =>
        Emit("file-progress", w =>
        {
            w.WriteNumber("id", progress.Id);
            w.WriteString("direction", Direction(progress.Direction));
            w.WriteNumber("bytes", progress.Bytes);
            w.WriteNumber("total", progress.Total);
        });

    public void FileDone(FileCompleted done) =>
        Emit("file-done", w =>
        {
            w.WriteNumber("id", done.Id);
            w.WriteString("direction", Direction(done.Direction));
            w.WriteString("path", done.Path);
            w.WriteString("sha256", done.Sha256);
            w.WriteBoolean("verified", done.Verified);
            w.WriteNumber("resumed_from", done.ResumedFrom);
        });

    public void FileFailed(uint id, TransferDirection direction, string reason) =>
        Emit("file-failed", w =>
        {
            w.WriteNumber("id", id);
            w.WriteString("direction", Direction(direction));
            w.WriteString("reason", reason);
        });

    public void Listening(string address, int port, IReadOnlyList<string> reachableAt) =>
        Emit("listening", w =>
        {
            w.WriteString("address", address);
            w.WriteNumber("port", port);
        });

    public void ListeningWithCode(CodeListening listening) =>
        Emit("listening", w =>
        {
            if (listening.Relay is { } relay)
            {
                w.WriteString("relay", relay);
                w.WriteString("nameplate", listening.Nameplate);
            }
            else
            {
                w.WriteString("address", listening.Address);
                w.WriteNumber("port", listening.Port);
            }

            w.WriteString("code", listening.Code);
            w.WriteString("command", listening.PeerCommand);
            if (listening.ExpiresIn is { } expires)
            {
                w.WriteNumber("expires_in", (int)expires.TotalSeconds);
            }
        });

    public void Connected(string peer, bool authenticating) => Emit("connected", w => w.WriteString("peer", peer));

    public void Handshake(IAuthenticatedSession session, bool remembered) =>
        Emit("handshake", w =>
        {
            w.WriteString("protocol", session.ProtocolName);
            w.WriteString("fingerprint", session.LocalFingerprint);
            w.WriteString("peer_fingerprint", session.PeerFingerprint);
            w.WriteString("sas", session.SessionCode);
            w.WriteString("peer_status", PeerStatusName(session.PeerTrust));
        });

    /// <summary>The handshake event's "peer_status" (README, "JSON events").</summary>
    internal static string PeerStatusName(PeerTrust trust) => trust switch
    {
        PeerTrust.New => "new",
        PeerTrust.Known => "known",
        PeerTrust.Ephemeral => "ephemeral",
        PeerTrust.Unverified => "unverified",
        PeerTrust.OlderVersionUnconfirmed => "older-version-unconfirmed",
        PeerTrust.Code => "code",
        _ => throw new ArgumentOutOfRangeException(nameof(trust)),
    };

    public void Sent(string text, SentText sent) =>
        Emit("sent", w =>
        {
            w.WriteString("text", text);
            w.WriteString("time", sent.Time.ToString("o", CultureInfo.InvariantCulture));
            if (sent.Ciphertext is not null)
            {
                w.WriteString("ciphertext", Convert.ToBase64String(sent.Ciphertext));
            }
        });

    public void Received(TextReceived message) =>
        Emit("received", w =>
        {
            w.WriteString("text", message.Text);

            // The sender's own time stamp replaces ours where the protocol carries one (seed-aes).
            if (message.SenderTimestamp is { } timestamp)
            {
                w.WriteString("timestamp", timestamp);
            }
            else
            {
                w.WriteString("time", message.Time.ToString("o", CultureInfo.InvariantCulture));
            }

            if (message.Ciphertext is not null)
            {
                w.WriteString("ciphertext", Convert.ToBase64String(message.Ciphertext));
            }

            switch (message.Check)
            {
                case { Kind: TextCheckKind.Signature, Passed: var valid }:
                    w.WriteBoolean("signature_valid", valid);
                    break;
                case { Kind: TextCheckKind.Checksum, Passed: var verified }:
                    w.WriteBoolean("verified", verified);
                    break;
            }
        });

    public void CompatStarted(string mode, string? peerKeyFingerprint) =>
        Emit("compat", w =>
        {
            w.WriteString("protocol", mode);
            if (peerKeyFingerprint is not null)
            {
                w.WriteString("peer_key_fingerprint", peerKeyFingerprint);
            }

            w.WriteBoolean("authenticated", false);
        });

    public void Verify(IAuthenticatedSession session) =>
        Emit("verify", w =>
        {
            w.WriteString("fingerprint", session.LocalFingerprint);
            w.WriteString("peer_fingerprint", session.PeerFingerprint);
            w.WriteString("sas", session.SessionCode);
        });

    public void Help() => Info(HumanOutput.HelpText);

    public void Info(string message)
    {
        lock (_lock)
        {
            stderr.WriteLine(message);
        }
    }

    public void Warning(string message) => Info("warning: " + message);

    public void Error(Fault fault) =>
        Emit("error", w =>
        {
            w.WriteString("code", fault.Code);
            w.WriteString("message", fault.Message);
        });

    public void Closed(string reason, bool keysErased, string? peerReason) =>
        Emit("closed", w =>
        {
            w.WriteString("reason", reason);
            w.WriteBoolean("keys_erased", keysErased);
        });

    public void HandshakeFailed(string peer, Fault fault) =>
        Emit("handshake-failed", w =>
        {
            w.WriteString("peer", peer);
            w.WriteString("code", fault.Code);
            w.WriteString("message", fault.Message);
        });

    public void NeverStarted(bool keysErased) => Closed("error", keysErased, null);

    private void Emit(string name, Action<Utf8JsonWriter> fields)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Options))
        {
            writer.WriteStartObject();
            writer.WriteString("event", name);
            fields(writer);
            writer.WriteEndObject();
        }

        string line = System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        lock (_lock)
        {
            stdout.WriteLine(line);
            stdout.Flush();
        }
    }
}
