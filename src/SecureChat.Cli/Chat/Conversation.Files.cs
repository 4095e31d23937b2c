using System.Globalization;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Chat;

/// <summary>The file commands (/send, /accept, /reject, /cancel) and file events of a conversation.</summary>
internal sealed partial class Conversation
{
    private readonly List<uint> _pendingOffers = [];

    /// <summary>
    /// Offers to accept automatically (--accept-files), answered one at a time by one task, so a
    /// flood of offers never becomes a flood of concurrent accepts and refusals. It holds at most
    /// the offers the session lets wait at once (64): the rest the session refuses itself.
    /// </summary>
    private readonly System.Threading.Channels.Channel<uint> _autoAccepts = System.Threading.Channels.Channel.CreateUnbounded<uint>(new() { SingleReader = true });
    private Task? _autoAcceptLoop;
    private int _autoRefusalsInRow;

    private void OnFileEvent(SessionEvent evt)
    {
        switch (evt)
        {
            case FileOffered offer:
                if (settings?.AcceptFilesDir is { } auto && session is IFileTransfers transfers)
                {
                    output.FileOffered(offer);
                    _autoAcceptLoop ??= Task.Run(() => AutoAcceptLoopAsync(transfers, auto));
                    _autoAccepts.Writer.TryWrite(offer.Id);
                }
                else
                {
                    // Waiting before it is shown: an /accept typed as soon as it appears must find it.
                    lock (_pendingOffers)
                    {
                        _pendingOffers.Add(offer.Id);
                    }

                    output.FileOffered(offer);
                }

                break;
            case FileAccepted accepted:
                output.FileAccepted(accepted);
                break;
            case FileRejected rejected:
                output.FileFailed(rejected.Id, TransferDirection.Outgoing, "the peer rejected it: " + rejected.Reason);
                break;
            case FileProgress progress:
                output.FileProgress(progress);
                break;
            case FileCompleted done:
                output.FileDone(done);
                break;
            case FileFailed failed:
                Forget(failed.Id);
                output.FileFailed(failed.Id, failed.Direction, failed.Reason);
                break;
            case PeerWarning warning:
                output.Warning(warning.Message);
                break;
        }
    }

    private void RunFileCommand(string verb, string argument)
    {
        if (session is not IFileTransfers transfers)
        {
            output.Warning("this compatibility mode cannot send files: the original program has no file transfer.");
            return;
        }

        switch (verb)
        {
            case "/send":
                string path = Unquote(argument);
                if (path.Length == 0)
                {
                    output.Error(Fault.BadInput("/send needs a file: /send PATH"));
                    return;
                }

                _ = SendFileAsync(transfers, ExpandHome(path));
                break;
            case "/accept" or "/reject":
                if (!TryOfferId(verb, argument, out uint id))
                {
                    return;
                }

                _ = verb == "/accept" ? AcceptAsync(transfers, id, settings?.DownloadDir ?? Directory.GetCurrentDirectory(), automatic: false) : RejectAsync(transfers, id);
                break;
            default:
                if (!uint.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out uint transfer))
                {
                    output.Error(Fault.BadInput("/cancel needs the transfer's number: /cancel ID"));
                    return;
                }

                _ = CancelAsync(transfers, transfer);
                break;
        }
    }

    /// <summary>
    /// The ID typed, or, when none was, the one offer waiting. With several waiting there is no
    /// guessing: the peer could slip a new offer in just before Enter is pressed.
    /// </summary>
    private bool TryOfferId(string verb, string argument, out uint id)
    {
        if (argument.Length > 0)
        {
            if (uint.TryParse(argument, NumberStyles.None, CultureInfo.InvariantCulture, out id))
            {
                return true;
            }

            output.Error(Fault.BadInput($"{TerminalText.Sanitize(argument)} is not an offer number: use the number shown with the offer."));
            return false;
        }

        id = 0;
        string waiting;
        lock (_pendingOffers)
        {
            if (_pendingOffers.Count == 1)
            {
                id = _pendingOffers[0];
                return true;
            }

            waiting = string.Join(", ", _pendingOffers.Order());
        }

        output.Error(Fault.BadInput(waiting.Length == 0
            ? "No file offer is waiting for an answer."
            : $"Several offers are waiting ({waiting}): say which, as in {verb} {waiting.Split(", ")[^1]}."));
        return false;
    }

    private void Forget(uint id)
    {
        lock (_pendingOffers)
        {
            _pendingOffers.Remove(id);
        }
    }

    private async Task SendFileAsync(IFileTransfers transfers, string path)
    {
        try
        {
            output.FileOfferSent(await transfers.SendFileAsync(path).ConfigureAwait(false));
        }
        catch (ArgumentException e)
        {
            // The library states the fact; what to do about it is said in the CLI's terms.
            string advice = Directory.Exists(path) ? " /send sends one file: make an archive of the directory and send that." : "";
            output.Error(Fault.BadInput(Fault.ArgumentMessage(e) + advice));
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException or IOException)
        {
            // The session ended meanwhile; the receive loop reports why.
        }
    }

    private async Task AutoAcceptLoopAsync(IFileTransfers transfers, string directory)
    {
        await foreach (uint id in _autoAccepts.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await AcceptAsync(transfers, id, directory, automatic: true).ConfigureAwait(false);
        }
    }

    /// <summary>Ends the automatic accepts (the conversation is over); offers still queued are dropped with the session.</summary>
    private async Task StopAutoAcceptsAsync()
    {
        _autoAccepts.Writer.TryComplete();
        if (_autoAcceptLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Accepts offer <paramref name="id"/>. Beyond a limit (too many at once, too large), an
    /// <paramref name="automatic"/> accept (--accept-files) refuses the offer and tells the peer why;
    /// a typed /accept says why and leaves the offer waiting.
    /// </summary>
    private async Task AcceptAsync(IFileTransfers transfers, uint id, string directory, bool automatic)
    {
        Forget(id); // before the answer goes out: a /reject typed right after it must not see this offer
        try
        {
            await transfers.AcceptFileAsync(id, directory).ConfigureAwait(false);
            _autoRefusalsInRow = 0;
        }
        catch (TransferLimitException e)
        {
            if (automatic)
            {
                // One warning per run of refusals: a flood of offers is not a flood of lines.
                if (_autoRefusalsInRow++ == 0)
                {
                    output.Warning($"refused file {id}: {Faults.LimitText(e.Limit, e.Allowed, id, directory, automatic)} (Further refusals are not shown until a file is accepted again.)");
                }

                await RejectAsync(transfers, id, e.PeerReason, quiet: true).ConfigureAwait(false);
            }
            else
            {
                lock (_pendingOffers)
                {
                    if (!_pendingOffers.Contains(id))
                    {
                        _pendingOffers.Add(id); // still waiting for an answer
                    }
                }

                output.Error(Fault.BadInput(Faults.LimitText(e.Limit, e.Allowed, id, directory, automatic)));
            }
        }
        catch (ArgumentException e)
        {
            string advice = Directory.Exists(directory) ? "" : " Create it, or choose another with --download-dir.";
            output.Error(Fault.BadInput(Fault.ArgumentMessage(e) + advice));
        }
        catch (IOException e)
        {
            output.FileFailed(id, TransferDirection.Incoming, e.Message);
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session ended meanwhile.
        }
    }

    private Task RejectAsync(IFileTransfers transfers, uint id) => RejectAsync(transfers, id, "the user rejected it", quiet: false);

    private async Task RejectAsync(IFileTransfers transfers, uint id, string reason, bool quiet)
    {
        Forget(id);
        try
        {
            await transfers.RejectFileAsync(id, reason).ConfigureAwait(false);
            if (!quiet)
            {
                output.Info($"Rejected file {id}.");
            }
        }
        catch (ArgumentException e)
        {
            output.Error(Fault.BadInput(Fault.ArgumentMessage(e)));
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session ended meanwhile.
        }
    }

    private async Task CancelAsync(IFileTransfers transfers, uint id)
    {
        try
        {
            await transfers.CancelFileAsync(id, "the user cancelled it").ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            output.Error(Fault.BadInput(Fault.ArgumentMessage(e)));
        }
        catch (Exception e) when (e is SecureChatException or InvalidOperationException)
        {
            // The session ended meanwhile.
        }
    }

    private static string Unquote(string path) =>
        path.Length >= 2 && (path[0] == '"' || path[0] == '\'') && path[^1] == path[0] ? path[1..^1] : path;

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[1..].TrimStart('/'))
            : path;
}
