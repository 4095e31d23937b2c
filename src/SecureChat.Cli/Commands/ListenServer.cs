using System.Net;
using System.Net.Sockets;
using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>
/// securechat listen after the socket is bound: waits for a peer (<see cref="HandshakeContest"/>),
/// serves its chat while refusing everyone else as busy, and without --keep-open exits with that
/// chat's exit code. The compatibility modes, whose seed protocols authenticate nobody, keep the
/// seed's one-connection-at-a-time behaviour.
/// </summary>
internal sealed class ListenServer(TcpListener listener, SessionSetup setup, AuthorizedPeers? authorized, string? authorizedPath, IChatOutput output, bool keepOpen)
{
    private const string BusyReason = "busy: this peer is in another conversation";

    public async Task<int> RunAsync(CancellationToken stop)
    {
        // One input for the whole run: the terminal's line editor, or stdin's lines.
        using var input = new WaitingInput(SessionSetup.CreateInput(setup.Settings.Json, output), output);
        using var contest = new HandshakeContest(listener, setup, authorized, authorizedPath, output, keepOpen);
        try
        {
            while (true)
            {
                (int ExitCode, bool StopRequested)? served = setup.Settings.Compat is null
                    ? await ServeNextAsync(contest, input, stop).ConfigureAwait(false)
                    : await ServeNextCompatAsync(input, stop).ConfigureAwait(false);
                if (served is not { } end)
                {
                    return ExitCodes.Ok;
                }

                if (!keepOpen)
                {
                    return end.ExitCode;
                }

                if (end.StopRequested || stop.IsCancellationRequested)
                {
                    return ExitCodes.Ok;
                }

                output.Info("Waiting for the next peer… (Ctrl+C to stop)");
            }
        }
        finally
        {
            output.LineSink = null;
            output.StatusSink = null;
        }
    }

    /// <summary>One chat with the first peer to authenticate; null when the user stopped before one did.</summary>
    private async Task<(int ExitCode, bool StopRequested)?> ServeNextAsync(HandshakeContest contest, WaitingInput input, CancellationToken stop)
    {
        if (await contest.RunAsync(input, stop).ConfigureAwait(false) is not var (session, peer))
        {
            if (contest.EndedBy is { } fault)
            {
                output.Error(fault);
                return (fault.ExitCode, true);
            }

            return null;
        }

        return await WhileRefusingOthersAsync(async () =>
        {
            output.Connected(peer, authenticating: false);
            if (contest.NoticeFor(session.PeerInfo) is { } notice)
            {
                output.Warning(TerminalText.Sanitize(notice));
            }

            output.Handshake(session, remembered: false);
            var conversation = new Conversation(session, input, output, peer, setup.Settings);
            ConversationEnd end = await conversation.RunAsync(stop).ConfigureAwait(false);
            return (end.ExitCode, conversation.StopRequested);
        }, stop).ConfigureAwait(false);
    }

    /// <summary>The seed's way: one connection at a time, its failure ends the listener (without --keep-open).</summary>
    private async Task<(int ExitCode, bool StopRequested)?> ServeNextCompatAsync(WaitingInput input, CancellationToken stop)
    {
        if (await WaitForConnectionAsync(input, stop).ConfigureAwait(false) is not { } socket)
        {
            return null;
        }

        return await WhileRefusingOthersAsync(async () =>
        {
            socket.NoDelay = true;
            string peer = socket.RemoteEndPoint is IPEndPoint remote ? ConnectCommand.Format(remote) : "the peer";
            output.Connected(peer, authenticating: false);
            (IChatSession? started, Fault? fault) = await setup.TryStartAsync(new NetworkStream(socket, ownsSocket: true), initiator: false, output, peer, stop).ConfigureAwait(false);
            if (started is null)
            {
                return (fault!.ExitCode, stop.IsCancellationRequested || fault.ExitCode == ExitCodes.Other); // a setup failure repeats for every peer
            }

            var compat = new Conversation(started, input, output, peer);
            ConversationEnd end = await compat.RunAsync(stop).ConfigureAwait(false);
            return (end.ExitCode, compat.StopRequested);
        }, stop).ConfigureAwait(false);
    }

    private async Task<(int ExitCode, bool StopRequested)> WhileRefusingOthersAsync(Func<Task<(int, bool)>> serve, CancellationToken stop)
    {
        using var busy = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task refusing = RefuseOthersAsync(busy.Token);
        try
        {
            return await serve().ConfigureAwait(false);
        }
        finally
        {
            await busy.CancelAsync().ConfigureAwait(false);
            await refusing.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Accepts the next connection (compatibility modes). Meanwhile the user's input is read too:
    /// a typed line is not sent to anyone, and Ctrl+C, Ctrl+D or the end of stdin stop the
    /// listener. Null when stopped.
    /// </summary>
    private async Task<Socket?> WaitForConnectionAsync(WaitingInput input, CancellationToken stop)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task<Socket> accept = listener.AcceptSocketAsync(waiting.Token).AsTask();
        Task idle = IdleInput.ReadAsync(input.Typed, output, input.Hold, waiting.Token);
        Task first = await Task.WhenAny(accept, idle).ConfigureAwait(false);
        await waiting.CancelAsync().ConfigureAwait(false);
        try
        {
            await idle.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped because a peer came.
        }

        try
        {
            Socket socket = await accept.ConfigureAwait(false);
            if (first == idle)
            {
                socket.Dispose(); // the user stopped at the same moment
                return null;
            }

            return socket;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private async Task RefuseOthersAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                Socket other = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                BusyRefusals.Refuse(other, BusyReason, compat: setup.Settings.Compat is not null);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The conversation is over; the main loop accepts again.
        }
    }
}
