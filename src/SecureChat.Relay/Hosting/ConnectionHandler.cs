using System.Net;
using System.Net.Sockets;
using SecureChat.Relay.Control;
using SecureChat.Relay.Limits;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// One accepted connection up to its first frame: the socket options, the limit on connections
/// without a first frame, the absolute 10 s deadline for that frame, then the allocate or claim
/// flow. Never throws: whatever a client sends, the worst outcome is its own connection closing.
/// </summary>
internal static class ConnectionHandler
{
    public static async Task RunAsync(RelayContext context, Socket socket)
    {
        ClientConnection connection;
        try
        {
            SocketTuning.Apply(socket, context.Limits);
            IPAddress address = ((IPEndPoint)socket.RemoteEndPoint!).Address;
            var client = new ClientAddress(AddressKeys.Of(address), context.Exempt.Contains(address), context.Options.LogAddresses ? address : null);
            connection = context.Track(socket, client);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            context.ReleaseSlot();
            return;
        }

        try
        {
            await ServeAsync(context, connection).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            connection.Close();
        }
#pragma warning disable CA1031 // The last line of defence: nothing a client does may end the relay or leak its socket.
        catch (Exception)
#pragma warning restore CA1031
        {
            connection.Close();
        }
    }

    private static async Task ServeAsync(RelayContext context, ClientConnection connection)
    {
        RelayMessage? request;

        // The deadline runs from the accept, and exists before the connection is counted.
        using var deadline = new CancellationTokenSource(context.Limits.FirstFrameTimeout, context.Time);
        using (CountLease? lease = context.FirstFrame.TryAcquire(connection.Client.Keys, connection.Client.Exempt))
        {
            if (lease is null)
            {
                await Answers.RefuseAsync(context, connection, RelayErrorCodes.Busy, "Too many connections without a request; try again later.").ConfigureAwait(false);
                return;
            }

            try
            {
                request = await ControlFrameReader.ReadAsync(connection.Socket, deadline.Token).ConfigureAwait(false);
            }
            catch (RelayRequestException e)
            {
                await Answers.RefuseAsync(context, connection, e.Code, e.Message).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                await Answers.RefuseAsync(context, connection, RelayErrorCodes.Timeout, $"No complete request within {context.Limits.FirstFrameTimeout.TotalSeconds:0.#} s of connecting.").ConfigureAwait(false);
                return;
            }
        }

        switch (request)
        {
            case null:
                connection.Close();
                break;
            case RelayAllocate:
                await WaiterFlow.RunAsync(context, connection).ConfigureAwait(false);
                break;
            case RelayClaim claim:
                await ClaimFlow.RunAsync(context, connection, claim).ConfigureAwait(false);
                break;
            default:
                await Answers.RefuseAsync(context, connection, RelayErrorCodes.BadRequest, "Unknown request.").ConfigureAwait(false);
                break;
        }
    }
}
