using System.Net;
using System.Net.Sockets;
using SecureChat.Cli.Chat;
using SecureChat.Cli.Output;
using SecureChat.Rendezvous;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>
/// securechat connect with a code: through a relay (claim the nameplate, then the session as
/// initiator on the relayed stream) or directly (connect HOST --code). The code authenticates the
/// peer, so nothing is pinned. One code, one attempt: after message 3 nothing is retried.
/// </summary>
internal static class CodeJoiner
{
    public static async Task<int> RunAsync(SessionSetup setup, PeerAddress? relay, PeerAddress? direct, IChatOutput output, CancellationToken stop)
    {
        (Stream? stream, string peer, Fault? failed) = relay is not null
            ? await ClaimAsync(setup.Code!, relay, stop).ConfigureAwait(false)
            : await ConnectAsync(direct!, stop).ConfigureAwait(false);
        if (failed is not null)
        {
            output.Error(failed);
            return failed.ExitCode;
        }

        output.Connected(peer, authenticating: true);
        (IChatSession? started, Fault? fault) = await setup.TryStartAsync(stream!, initiator: true, output, peer, stop).ConfigureAwait(false);
        if (started is not IAuthenticatedSession session)
        {
            return fault?.ExitCode ?? ExitCodes.Other;
        }

        output.Handshake(session, remembered: false);
        using IChatInput input = SessionSetup.CreateInput(setup.Settings.Json, output);
        ConversationEnd end = await new Conversation(session, input, output, peer, setup.Settings).RunAsync(stop).ConfigureAwait(false);
        return end.ExitCode;
    }

    private static async Task<(Stream?, string, Fault?)> ClaimAsync(Code code, PeerAddress relay, CancellationToken stop)
    {
        string peer = $"the peer (through {relay.Key})";
        try
        {
            Stream stream = await RelayClient.ClaimAsync(relay, code.Nameplate!, cancellationToken: stop).ConfigureAwait(false);
            return (stream, peer, null);
        }
        catch (RelayException e)
        {
            return (null, peer, Faults.FromRelay(e));
        }
        catch (OperationCanceledException)
        {
            return (null, peer, Fault.Stopped("Cancelled."));
        }
    }

    private static async Task<(Stream?, string, Fault?)> ConnectAsync(PeerAddress address, CancellationToken stop)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(address.Host, address.Port, stop).ConfigureAwait(false);
            string peer = socket.RemoteEndPoint is IPEndPoint remote ? ConnectCommand.Format(remote) : address.Key;
            return (new NetworkStream(socket, ownsSocket: true), peer, null);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return (null, address.Key, e is OperationCanceledException ? Fault.Stopped("Cancelled.") : Fault.From(e, address.Key, duringHandshake: true, initiator: true));
        }
    }
}
