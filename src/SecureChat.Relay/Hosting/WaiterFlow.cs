using System.Globalization;
using System.Net.Sockets;
using SecureChat.Relay.Forwarding;
using SecureChat.Relay.Limits;
using SecureChat.Relay.Nameplates;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// The waiting side after {"op":"allocate"}: the limits, a nameplate, "allocated", then a watch on
/// the socket: a one-byte peek into a shared byte, so a waiter holds no buffer of its own. The
/// watch wakes when the waiter sends (impatient), closes (left), the wait expires (timeout) — or,
/// once a claim has paired it, when the waiter's first bytes for the joiner arrive; the same task
/// then forwards them.
/// </summary>
internal static class WaiterFlow
{
    public static async Task RunAsync(RelayContext context, ClientConnection connection)
    {
        ClientAddress client = connection.Client;
        if (context.Draining)
        {
            await Answers.RefuseAsync(context, connection, RelayErrorCodes.Busy, "The relay is shutting down; try another relay or later.").ConfigureAwait(false);
            return;
        }

        if (!client.Exempt && !context.Rates.TryAllocate(client.Keys))
        {
            await Answers.RefuseAsync(context, connection, RelayErrorCodes.RateLimited, "Too many allocations from your address; wait a minute.").ConfigureAwait(false);
            return;
        }

        CountLease? lease = context.Waiting.TryAcquire(client.Keys, client.Exempt);
        if (lease is null)
        {
            await Answers.RefuseAsync(context, connection, RelayErrorCodes.Busy, "Too many waiting; try again later.").ConfigureAwait(false);
            return;
        }

        var waiter = new Waiter(connection) { WaitingLease = lease };
        if (await context.Registry.AllocateAsync(waiter).ConfigureAwait(false) is not { } nameplate)
        {
            waiter.StopWaiting();
            string why = context.Registry is IRegistryHealth { IsUp: false } ? "The relay cannot reach its nameplate store" : "No free nameplate";
            await Answers.RefuseAsync(context, connection, RelayErrorCodes.Busy, $"{why}; try again later.").ConfigureAwait(false);
            return;
        }

        string name = nameplate.ToString(CultureInfo.InvariantCulture);
        int expiresIn = (int)Math.Ceiling(context.Options.WaitTimeout.TotalSeconds);
        waiter.ExpiryTimer = context.Time.CreateTimer(static state => ((Waiter)state!).Expire(), waiter, context.Options.WaitTimeout, Timeout.InfiniteTimeSpan);

        // Open before "allocated" is written, or a joiner quick to claim would find nobody; a claim
        // that comes in the meantime waits for AllocatedSent before it writes "paired".
        if (!waiter.TryOpen())
        {
            await EndAsync(context, waiter, waiter.EndReason ?? "shutdown").ConfigureAwait(false);
            connection.Close();
            return;
        }

        context.Emit(new NameplateAllocated(name, client.LoggedAddress));
        bool sent;
        try
        {
            await connection.Socket.SendAsync(RelayControl.Encode(new RelayAllocated(name, expiresIn)), SocketFlags.None).ConfigureAwait(false);
            sent = true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            sent = false;
        }

        waiter.AllocatedSent.TrySetResult(sent);
        if (!sent)
        {
            // If a claim took it meanwhile, the claim sees the failure and closes the pair.
            if (waiter.TryEnd())
            {
                await EndAsync(context, waiter, "left").ConfigureAwait(false);
                connection.Close();
            }

            return;
        }

        await WatchAsync(context, waiter).ConfigureAwait(false);
    }

    private static async Task WatchAsync(RelayContext context, Waiter waiter)
    {
        ClientConnection connection = waiter.Connection;
        bool sent = false;
        try
        {
            sent = await SocketInput.WaitAsync(connection.Socket, waiter.Watch.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Expired, shut down, or the connection failed: the state says which.
        }

        if (waiter.TryEnd())
        {
            // The waiter itself woke the watch: bytes before "paired", its FIN, or a failure.
            await EndAsync(context, waiter, sent ? "impatient" : context.Stopped ? "shutdown" : "left").ConfigureAwait(false);
            if (sent)
            {
                await Answers.RefuseAsync(context, connection, RelayErrorCodes.Impatient, "You sent data before \"paired\"; wait for it.").ConfigureAwait(false);
            }
            else
            {
                connection.Close();
            }

            return;
        }

        if (waiter.HasPaired)
        {
            if (await waiter.PairStarted.Task.ConfigureAwait(false) is { } pair)
            {
                await pair.RunAsync(pair.ToJoiner).ConfigureAwait(false);
            }

            return;
        }

        // Ended by the expiry timer.
        await EndAsync(context, waiter, waiter.EndReason ?? "expired").ConfigureAwait(false);
        await Answers.RefuseAsync(context, connection, RelayErrorCodes.Timeout, $"Nobody claimed the nameplate within {context.Options.WaitTimeout.TotalSeconds:0} s.").ConfigureAwait(false);
    }

    private static async Task EndAsync(RelayContext context, Waiter waiter, string reason)
    {
        waiter.StopWaiting();
        await context.Registry.ReleaseAsync(waiter).ConfigureAwait(false);
        context.Emit(new WaiterEnded(waiter.Nameplate.ToString(CultureInfo.InvariantCulture), reason));
    }
}
