using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;
using SecureChat.Rendezvous;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>
/// securechat listen --relay: allocate a nameplate, show the code and the peer's command, wait for
/// "paired" (while Ctrl+C, Ctrl+D or the end of stdin stop the wait), then run the session as
/// responder with the code. One code, one attempt: a wrong code ends the listener (exit 3).
/// </summary>
internal static class RelayWaiter
{
    public static async Task<int> RunAsync(SessionSetup setup, PeerAddress relay, IChatOutput output, CancellationToken stop)
    {
        RelayAllocation allocation;
        try
        {
            allocation = await RelayClient.AllocateAsync(relay, cancellationToken: stop).ConfigureAwait(false);
        }
        catch (RelayException e)
        {
            Fault fault = Faults.FromRelay(e);
            output.Error(fault);
            return fault.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok;
        }

        using (allocation)
        {
            setup.UseCode(Code.Generate(allocation.Nameplate, setup.Settings.Code!.Words));
            string relayText = relay.Key;
            output.ListeningWithCode(new CodeListening(relayText, allocation.Nameplate, null, 0, [], setup.Code!.ToDisplayString(), $"securechat connect --relay {relayText}", allocation.ExpiresIn));
            using var input = new WaitingInput(SessionSetup.CreateInput(setup.Settings.Json, output), output);
            try
            {
                input.BeginWait();
                (Stream? stream, Fault? failed) = await WaitAsync(allocation, input, output, stop).ConfigureAwait(false);
                if (failed is not null)
                {
                    output.Error(failed);
                    return failed.ExitCode;
                }

                if (stream is null)
                {
                    return ExitCodes.Ok;
                }

                string peer = $"the peer (through {relayText})";
                input.HandshakeStarted();
                (IChatSession? started, Fault? fault) = await setup.TryStartAsync(stream, initiator: false, output, peer, stop).ConfigureAwait(false);
                input.HandshakeEnded(started is not null);
                if (started is not IAuthenticatedSession session)
                {
                    return fault?.ExitCode ?? ExitCodes.Other;
                }

                output.Connected(peer, authenticating: false);
                output.Handshake(session, remembered: false);
                ConversationEnd end = await new Conversation(session, input, output, peer, setup.Settings).RunAsync(stop).ConfigureAwait(false);
                return end.ExitCode;
            }
            finally
            {
                output.LineSink = null;
                output.StatusSink = null;
            }
        }
    }

    /// <summary>The peer's connection; (null, null) when the user stopped; a fault when the relay ended the wait.</summary>
    private static async Task<(Stream? Stream, Fault? Fault)> WaitAsync(RelayAllocation allocation, WaitingInput input, IChatOutput output, CancellationToken stop)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Task<Stream> paired = allocation.WaitForPeerAsync(waiting.Token);
        Task<bool> idle = IdleInput.ReadAsync(input.Typed, output, input.Hold, waiting.Token);
        Task first = await Task.WhenAny(paired, idle).ConfigureAwait(false);
        await waiting.CancelAsync().ConfigureAwait(false);
        try
        {
            await idle.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped because the peer came.
        }

        try
        {
            Stream stream = await paired.ConfigureAwait(false);
            if (first == idle || stop.IsCancellationRequested)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                return (null, null);
            }

            return (stream, null);
        }
        catch (OperationCanceledException)
        {
            return (null, null);
        }
        catch (RelayException e)
        {
            return first == idle ? (null, null) : (null, Faults.FromRelay(e));
        }
    }
}
