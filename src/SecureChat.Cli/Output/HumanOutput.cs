using System.Globalization;
using SecureChat.Cli.Terminal;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Output;

/// <summary>
/// Output for people. Colours only when stdout is a terminal and NO_COLOR is not set; every piece
/// of peer-supplied text goes through <see cref="TerminalText.Sanitize"/> first.
/// </summary>
internal sealed class HumanOutput(TextWriter stdout, TextWriter stderr, bool color) : IChatOutput
{
    public const string HelpText =
        """
        Commands:
          /help              this list
          /verify            show both fingerprints and the session code again
          /send PATH         offer a file to the peer
          /accept [ID]       receive an offered file (ID may be left out when only one is waiting)
          /reject [ID]       refuse an offered file
          /cancel ID         stop a transfer in either direction
          /quit, exit, quit()  end the chat (so do Ctrl+D and Ctrl+C)
          //text             send a message that starts with '/'
        Anything else you type is sent as a message when you press Enter.
        """;

    /// <summary>The words for <see cref="PeerTrust.OlderVersionUnconfirmed"/> (docs/PROTOCOL.md §7).</summary>
    public const string OlderVersionUnconfirmed = "recorded by an older version, not confirmed: compare the session code";

    private readonly Lock _lock = new();

    public Action<string, int>? LineSink { get; set; }

    public Action<IReadOnlyList<string>>? StatusSink { get; set; }

    private readonly Dictionary<uint, string> _transfers = [];
    private readonly Dictionary<uint, string> _incomingNames = [];
    private readonly Dictionary<uint, string> _outgoingNames = [];

    public void FileOffered(FileOffered offer)
    {
        lock (_transfers)
        {
            Remember(_incomingNames, TransferDirection.Incoming, offer.Id, TerminalText.Sanitize(offer.Name));
        }

        Line($"⇣ The peer offers file {offer.Id}: {Paint(TerminalText.Sanitize(offer.Name), "1")} ({TransferText.Size(offer.Size)}, {(offer.Sha256 is null ? "SHA-256 checked at the end" : "SHA-256 " + offer.Sha256)}).");
        Line($"  Type /accept {offer.Id} to receive it, or /reject {offer.Id}.");
    }

    public void FileOfferSent(FileOfferSent offer)
    {
        lock (_transfers)
        {
            Remember(_outgoingNames, TransferDirection.Outgoing, offer.Id, TerminalText.Sanitize(offer.Name));
        }

        Line($"⇡ Offered file {offer.Id}: {TerminalText.Sanitize(offer.Name)} ({TransferText.Size(offer.Size)}). Waiting for the peer to accept…");
    }

    public void FileAccepted(FileAccepted accepted) =>
        Line(accepted.Offset > 0
            ? $"⇡ The peer accepted file {accepted.Id}; resuming from {TransferText.Size(accepted.Offset)}."
            : $"⇡ The peer accepted file {accepted.Id}.");

    public void FileProgress(FileProgress progress)
    {
        if (StatusSink is null)
        {
            return; // not a terminal: no bars, just the outcome
        }

        lock (_transfers)
        {
            string name = progress.Direction == TransferDirection.Incoming
                ? _incomingNames.GetValueOrDefault(progress.Id) ?? ""
                : _outgoingNames.GetValueOrDefault(progress.Id) ?? "";
            _transfers[Key(progress.Id, progress.Direction)] = TransferText.ProgressLine(progress, name);
            ShowStatus();
        }
    }

    public void FileDone(FileCompleted done)
    {
        RemoveStatus(done.Id, done.Direction);
        string resumed = done.ResumedFrom > 0 ? $", resumed from {TransferText.Size(done.ResumedFrom)}" : "";
        Line(done.Direction == TransferDirection.Incoming
            ? $"⇣ File {done.Id} saved as {TerminalText.Sanitize(done.Path)} (SHA-256 verified{resumed})."
            : $"⇡ File {done.Id} delivered: the peer verified its SHA-256{resumed}.");
    }

    public void FileFailed(uint id, TransferDirection direction, string reason)
    {
        RemoveStatus(id, direction);
        Warning($"file {id} ({(direction == TransferDirection.Incoming ? "incoming" : "outgoing")}) failed: {TerminalText.Sanitize(reason)}.");
    }

    /// <summary>Progress lines are keyed apart per direction (the two sides number their transfers apart, but be safe).</summary>
    private static uint Key(uint id, TransferDirection direction) => direction == TransferDirection.Incoming ? id | 0x8000_0000 : id;

    /// <summary>How many transfer names are held (tests: bounded whatever the peer offers).</summary>
    internal int NamesHeld
    {
        get
        {
            lock (_transfers)
            {
                return _incomingNames.Count + _outgoingNames.Count;
            }
        }
    }

    /// <summary>Names kept for progress rows at most; older names without a progress row are forgotten then.</summary>
    private const int MaxNames = 256;

    /// <summary>
    /// Keeps a transfer's name for its progress row. A peer can offer and cancel without end, so the
    /// table is bounded: when it is full, names of transfers that show no progress row are dropped
    /// (a row shown later for one of them just has no name).
    /// </summary>
    private void Remember(Dictionary<uint, string> names, TransferDirection direction, uint id, string name)
    {
        if (names.Count >= MaxNames)
        {
            foreach (uint stale in names.Keys.Where(k => !_transfers.ContainsKey(Key(k, direction))).ToList())
            {
                names.Remove(stale);
            }
        }

        names[id] = name;
    }

    private void RemoveStatus(uint id, TransferDirection direction)
    {
        lock (_transfers)
        {
            (direction == TransferDirection.Incoming ? _incomingNames : _outgoingNames).Remove(id);
            if (_transfers.Remove(Key(id, direction)))
            {
                ShowStatus();
            }
        }
    }

    private void ShowStatus() =>
        StatusSink?.Invoke(TransferText.StatusRows([.. _transfers.OrderBy(t => t.Key & 0x7FFF_FFFF).Select(t => t.Value)]));

    private string Paint(string text, string code) => color ? $"\u001b[{code}m{text}\u001b[0m" : text;

    /// <param name="text">The line; '\n' only where the continuation is already indented.</param>
    /// <param name="hang">Indent of the rows the terminal's width makes the line continue on.</param>
    private void Line(string text, int hang = LineEditor.DefaultHangingIndent)
    {
        lock (_lock)
        {
            if (LineSink is { } sink)
            {
                sink(text, hang);
            }
            else
            {
                stdout.WriteLine(text);
                stdout.Flush();
            }
        }
    }

    public void Listening(string address, int port, IReadOnlyList<string> reachableAt)
    {
        Line($"Listening on {address} port {port}. Waiting for a peer to connect…");
        if (reachableAt.Count > 0)
        {
            Line($"  Peers can connect to: {string.Join(", ", reachableAt.Select(a => $"{a}"))} (port {port})");
        }

        Line("  Press Ctrl+C to stop.");
    }

    public void ListeningWithCode(CodeListening listening)
    {
        if (listening.Relay is { } relay)
        {
            Line($"Waiting through the relay {relay} (nameplate {listening.Nameplate}).");
        }
        else
        {
            Line($"Listening on {listening.Address} port {listening.Port}. Waiting for a peer to connect…");
            if (listening.ReachableAt.Count > 0)
            {
                Line($"  Peers can connect to: {string.Join(", ", listening.ReachableAt)} (port {listening.Port})");
            }
        }

        Line($"  Your code: {Paint(listening.Code, "1")}");
        Line("  Tell your peer the code (by voice or another channel you trust), and to run:");
        Line($"    {listening.PeerCommand}");
        string expiry = listening.ExpiresIn is { } expires ? $"; the relay keeps it for {Math.Max(1, (int)Math.Round(expires.TotalMinutes))} minutes" : "";
        Line($"  and type the code when asked. The code works once{expiry}.");
        Line("  Press Ctrl+C to stop.");
    }

    public void Connected(string peer, bool authenticating) => Line(authenticating ? $"Connected to {peer}. Authenticating…" : $"Connected to {peer}.");

    public void Handshake(IAuthenticatedSession session, bool remembered)
    {
        PeerTrust trust = session.PeerTrust;
        Line(Paint("Secure session established", "1;32") + $" ({session.ProtocolName}).");
        string status = trust switch
        {
            PeerTrust.Known => Paint("known", "32") + " (matches the key remembered for this peer)",
            PeerTrust.Ephemeral => Paint("one-time identity", "33") + " (the peer uses a fresh key for this chat only; nothing to remember)",
            PeerTrust.Unverified => Paint("NEW, UNVERIFIED", "1;31") + " (this address used one-time identities before; compare the session code)",
            PeerTrust.OlderVersionUnconfirmed => Paint("NOT CONFIRMED", "1;31") + $" ({OlderVersionUnconfirmed})",
            PeerTrust.Code => Paint("authenticated by the code", "32") + " (only someone who knew the code could finish the handshake)",
            _ => Paint("NEW", "1;33") + (remembered ? " (first contact, now remembered)" : " (first contact)"),
        };
        Line($"  Peer fingerprint: {session.PeerFingerprint}  {status}");
        Line($"  Your fingerprint: {session.LocalFingerprint}");
        Line($"  Session code:     {Paint(session.SessionCode, "1")}");
        if (trust is not (PeerTrust.Known or PeerTrust.Code))
        {
            Line("  To be sure nobody is in the middle, read the session code to your peer (by voice or another");
            Line("  channel you trust): it must be the same on both screens.");
        }

        Line("Type a message and press Enter. /help lists commands; exit ends the chat.");
    }

    public void Sent(string text, SentText sent)
    {
        Message(Time(sent.Time), "you", "32", text, "");
        if (sent.Ciphertext is not null)
        {
            Line("  " + Paint("encrypted: " + Convert.ToBase64String(sent.Ciphertext), "2"));
        }
    }

    public void Received(TextReceived message)
    {
        // The sender's own time stamp replaces ours where the protocol carries one (seed-aes).
        string time = message.SenderTimestamp is { } timestamp ? TerminalText.Sanitize(timestamp) : Time(message.Time);
        string mark = message.Check switch
        {
            { Kind: TextCheckKind.Signature, Passed: true } => "  " + Paint("✓ signature valid", "32"),
            { Kind: TextCheckKind.Signature, Passed: false } => "  " + Paint("✗ SIGNATURE INVALID: this message may be forged", "1;31"),
            { Kind: TextCheckKind.Checksum, Passed: true } => " ☑",
            { Kind: TextCheckKind.Checksum, Passed: false } => " " + Paint("☒ (hash does not match)", "1;31"),
            _ => "",
        };
        Message(time, "peer", "36", message.Text, mark);
        if (message.Ciphertext is not null)
        {
            Line("  " + Paint("encrypted: " + Convert.ToBase64String(message.Ciphertext), "2"));
        }
    }

    public void CompatStarted(string mode, string? peerKeyFingerprint)
    {
        Line($"Connected in compatibility mode {mode}" + (peerKeyFingerprint is null ? "." : $"; the peer's RSA key is {peerKeyFingerprint} (unauthenticated)."));
        Line("Type a message and press Enter. exit ends the chat.");
    }

    public void Verify(IAuthenticatedSession session)
    {
        Line($"  Peer fingerprint: {session.PeerFingerprint}");
        Line($"  Your fingerprint: {session.LocalFingerprint}");
        Line($"  Session code:     {Paint(session.SessionCode, "1")}  (must be the same on both screens)");
    }

    public void Help()
    {
        foreach (string line in HelpText.Split('\n'))
        {
            Line(line);
        }
    }

    public void Info(string message) => Line(message);

    public void Warning(string message)
    {
        lock (_lock)
        {
            if (LineSink is { } sink)
            {
                sink(Paint("warning: ", "1;33") + message, LineEditor.DefaultHangingIndent);
            }
            else
            {
                stderr.WriteLine(Paint("warning: ", "1;33") + message);
            }
        }
    }

    public void Error(Fault fault)
    {
        lock (_lock)
        {
            if (LineSink is { } sink)
            {
                sink(Paint("error: ", "1;31") + fault.Message, LineEditor.DefaultHangingIndent);
            }
            else
            {
                stderr.WriteLine(Paint("error: ", "1;31") + fault.Message);
            }
        }
    }

    public void Closed(string reason, bool keysErased, string? peerReason)
    {
        if (reason == "peer-exit")
        {
            string why = string.IsNullOrEmpty(peerReason) ? "" : $" ({TerminalText.Sanitize(peerReason)})";
            Line($"The peer ended the chat{why}.");
        }

        Line(keysErased ? "Chat ended. Keys erased." : "Chat ended.");
    }

    public void HandshakeFailed(string peer, Fault fault) => Warning($"the handshake with {peer} failed: {fault.Message} Still listening.");

    public void NeverStarted(bool keysErased) => Line(keysErased ? "No chat took place. The keys made for it were erased." : "No chat took place.");

    private static string Time(DateTimeOffset time) => time.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// "[time] who: text": every row of the text after the first, from its own line breaks or from
    /// the terminal's width, starts under the text (at most <see cref="MaxMessageIndent"/> columns in,
    /// as the compatibility modes' timestamp comes from the peer), so the rest of a peer's message can
    /// never start at column 0 and pass for a line of ours.
    /// </summary>
    private void Message(string time, string who, string whoColor, string text, string suffix)
    {
        int hang = Math.Min(DisplayWidth.Of($"[{time}] {who}: "), MaxMessageIndent);
        string body = TerminalText.Sanitize(text, allowNewlines: true).Replace("\n", "\n" + new string(' ', hang), StringComparison.Ordinal);
        Line($"[{time}] {Paint(who, whoColor)}: {body}{suffix}", hang);
    }

    private const int MaxMessageIndent = 24;
}
