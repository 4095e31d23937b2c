using SecureChat.Cli.Commands;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Chat;

/// <summary>How a conversation ended: the JSON "closed" reason, and the fault when it failed.</summary>
internal sealed record ConversationEnd(string Reason, Fault? Fault)
{
    public int ExitCode => Fault?.ExitCode ?? ExitCodes.Ok;
}

/// <summary>
/// Runs one chat over an established session: the peer's messages are shown as they arrive while
/// the user types; end words, Ctrl+D and Ctrl+C end it with CLOSE. "Chat ended. Keys erased." is
/// printed only after the session reports its keys erased.
/// </summary>
internal sealed partial class Conversation(IChatSession session, IChatInput input, IChatOutput output, string peer, ChatSettings? settings = null)
{
    private static readonly string[] EndWords = ["exit", "quit()", "/quit"];

    public async Task<ConversationEnd> RunAsync(CancellationToken stop)
    {
        // Each conversation starts and ends with an empty input history: Up+Enter must never
        // resend one peer's conversation (or what was typed between chats) to the next peer.
        input.ForgetHistory();
        try
        {
            return await ChatAsync(stop).ConfigureAwait(false);
        }
        finally
        {
            input.ForgetHistory();
        }
    }

    private async Task<ConversationEnd> ChatAsync(CancellationToken stop)
    {
        using var inputStop = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task<ConversationEnd> receiving = ReceiveLoopAsync();
        Task typing = InputLoopAsync(inputStop.Token);
        Task first = await Task.WhenAny(receiving, typing).ConfigureAwait(false);

        if (first == typing)
        {
            StopRequested |= stop.IsCancellationRequested;

            // The user ended the chat (or Ctrl+C stopped the program): say goodbye. After a signal
            // the goodbye waits at most a second for the peer, well inside StopSignal's deadline.
            using var goodbye = new CancellationTokenSource(stop.IsCancellationRequested ? TimeSpan.FromSeconds(1) : Timeout.InfiniteTimeSpan);
            await session.CloseAsync(cancellationToken: goodbye.Token).ConfigureAwait(false);
        }
        else
        {
            await inputStop.CancelAsync().ConfigureAwait(false);
        }

        ConversationEnd end = await receiving.ConfigureAwait(false);
        await session.DisposeAsync().ConfigureAwait(false);
        await StopAutoAcceptsAsync().ConfigureAwait(false);
        if (end.Fault is not null)
        {
            output.Error(end.Fault);
        }

        if (end.Fault is not null && Faults.NeverStarted(end.Fault))
        {
            output.NeverStarted(session.KeysErased);
        }
        else
        {
            output.Closed(end.Reason, session.KeysErased, end.Reason == "peer-exit" ? _peerReason : null);
        }
        try
        {
            await typing.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The input loop was stopped because the chat ended.
        }

        return end;
    }

    private string? _peerReason;

    /// <summary>True when the user ended input itself (Ctrl+C, Ctrl+D, end of a pipe), not just this chat.</summary>
    public bool StopRequested { get; private set; }

    private async Task<ConversationEnd> ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                SessionEvent evt = await session.ReceiveAsync().ConfigureAwait(false);
                switch (evt)
                {
                    case TextReceived text:
                        output.Received(text);
                        break;
                    case FileOffered or FileAccepted or FileRejected or FileProgress or FileCompleted or FileFailed or PeerWarning:
                        OnFileEvent(evt);
                        break;
                    case UnreadableData unreadable:
                        // Not fatal (the seed protocols have no way to recover otherwise), but reported as an error event.
                        output.Error(Faults.Unreadable(unreadable.Reason));
                        break;
                    case SessionClosed closed:
                        _peerReason = closed.Reason;
                        return new ConversationEnd(closed.ByPeer ? "peer-exit" : "local-exit", null);
                }
            }
        }
        catch (SecureChatException e)
        {
            Fault fault = Fault.From(e, peer, duringHandshake: false, session.IsInitiator, CompatModes.Of(session));
            bool lost = e.Fault is SessionFault.ConnectionLost or SessionFault.Timeout;
            return new ConversationEnd(lost ? "connection-lost" : "error", fault);
        }
    }

    private async Task InputLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            InputLine line;
            try
            {
                line = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return;
            }

            if (line.Kind != InputKind.Line)
            {
                StopRequested = true;
                return;
            }

            string trimmed = line.Text.Trim();
            if (EndWords.Any(w => string.Equals(trimmed, w, StringComparison.OrdinalIgnoreCase)))
            {
                return;
            }

            if (trimmed.Length == 0)
            {
                continue;
            }

            string text = line.Text.TrimEnd('\r');
            if (trimmed.StartsWith('/') && !trimmed.StartsWith("//", StringComparison.Ordinal))
            {
                RunCommand(trimmed);
                continue;
            }

            if (trimmed.StartsWith("//", StringComparison.Ordinal))
            {
                text = text.TrimStart()[1..];
            }

            if (!await SendAsync(text).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private void RunCommand(string command)
    {
        string verb = command.Split(' ', 2)[0].ToLowerInvariant();
        if (verb is "/send" or "/accept" or "/reject" or "/cancel")
        {
            RunFileCommand(verb, command.Length > verb.Length ? command[verb.Length..].Trim() : "");
            return;
        }

        switch (command.ToLowerInvariant())
        {
            case "/help":
                output.Help();
                break;
            case "/verify" when session is IAuthenticatedSession authenticated:
                output.Verify(authenticated);
                break;
            case "/verify":
                output.Warning("this compatibility mode has no identities, fingerprints or session code: it cannot tell who the peer is.");
                break;
            default:
                output.Warning($"unknown command {TerminalText.Sanitize(command)}: /help lists the commands (start a message with // to send a leading '/').");
                break;
        }
    }

    /// <summary>Sends one message; false when the session is over.</summary>
    private async Task<bool> SendAsync(string text)
    {
        try
        {
            SentText sent = await session.SendTextAsync(text).ConfigureAwait(false);
            output.Sent(text, sent);
            return true;
        }
        catch (ArgumentException e)
        {
            output.Error(Fault.BadInput(Fault.ArgumentMessage(e) + " Split it into shorter messages."));
            return true;
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The receive loop reports why the session ended.
            return false;
        }
    }
}
