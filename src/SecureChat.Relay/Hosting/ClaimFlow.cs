using System.Globalization;
using System.Net.Sockets;
using SecureChat.Relay.Forwarding;
using SecureChat.Relay.Limits;
using SecureChat.Relay.Nameplates;
using SecureChat.Rendezvous;

namespace SecureChat.Relay.Hosting;

/// <summary>
/// The joining side after {"op":"claim"}: the rate limits, the registry's claim (which takes the
/// pair limits only for a waiter held on this node, before the nameplate is consumed; a redirect to
/// another node is not subject to them), then "paired" to the waiter, "paired" to the joiner, and
/// only then the first forwarded byte, in that order. This task goes on as the joiner-to-waiter
/// direction.
/// </summary>
internal static class ClaimFlow
{
    public static async Task RunAsync(RelayContext context, ClientConnection joiner, RelayClaim claim)
    {
        ClientAddress client = joiner.Client;
        long start = context.Time.GetTimestamp();
        if (!client.Exempt && !context.Rates.TryClaim(client.Keys))
        {
            context.Metrics.Claimed(RelayErrorCodes.RateLimited, context.Time.GetElapsedTime(start));
            await Answers.RefuseAsync(context, joiner, RelayErrorCodes.RateLimited, "Too many claims from your address; wait a minute.").ConfigureAwait(false);
            return;
        }

        // The pair limits are not checked here: a claim for a nameplate another node holds is
        // redirected, and a redirect makes no pair on this node, so it must not be refused because
        // this node is full. The registry asks TryTakeLeases only when the claim resolves to a
        // waiter held here, and before it consumes the nameplate (a busy claim leaves it waiting).
        var leases = new List<IDisposable>(3);
        ClaimOutcome outcome = await context.Registry.ClaimAsync(
            int.Parse(claim.Nameplate, NumberStyles.None, CultureInfo.InvariantCulture),
            waiter => TryTakeLeases(context, waiter.Connection.Client, client, leases)).ConfigureAwait(false);
        if (outcome.Result != ClaimResult.Paired)
        {
            context.Metrics.Claimed(outcome.Result switch
            {
                ClaimResult.Unknown => RelayErrorCodes.UnknownNameplate,
                ClaimResult.Busy => RelayErrorCodes.Busy,
                _ => "redirect",
            }, context.Time.GetElapsedTime(start));
        }

        switch (outcome.Result)
        {
            case ClaimResult.Unknown:
                // The waiter may have ended between the admission (which took the pair leases) and
                // the pairing: give them back, or the pair slots leak for good.
                Release(leases);
                if (!client.Exempt)
                {
                    context.Rates.RecordFailedClaim(client.Keys);
                }

                await Answers.RefuseAsync(context, joiner, RelayErrorCodes.UnknownNameplate, $"Nobody is waiting under {claim.Nameplate}.").ConfigureAwait(false);
                return;
            case ClaimResult.Busy:
                Release(leases);
                string why = context.Registry is IRegistryHealth { IsUp: false } ? "The relay cannot reach its nameplate store" : "Too many pairs";
                await Answers.RefuseAsync(context, joiner, RelayErrorCodes.Busy, $"{why}; try again later.").ConfigureAwait(false);
                return;
            case ClaimResult.Redirect:
                await Answers.EndWithAsync(context, joiner, RelayControl.Encode(new RelayRedirect(outcome.RedirectAddress!))).ConfigureAwait(false);
                return;
        }

        Waiter waiter = outcome.Waiter!;
        waiter.StopWaiting();
        var pair = new Pair(claim.Nameplate, waiter.Connection, joiner, leases, context.Forwarding, (closed, reason) =>
        {
            context.Supervisor.Remove(closed);
            context.Emit(new PairClosed(closed.Nameplate, closed.ToWaiter.Bytes, closed.ToJoiner.Bytes, closed.Age, reason));
        });
        context.Supervisor.Add(pair);
        try
        {
            if (!await waiter.AllocatedSent.Task.ConfigureAwait(false))
            {
                throw new SocketException((int)SocketError.ConnectionReset);
            }

            await waiter.Connection.Socket.SendAsync(Answers.Paired, SocketFlags.None).ConfigureAwait(false);
            await joiner.Socket.SendAsync(Answers.Paired, SocketFlags.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            pair.Close("reset");
            waiter.PairStarted.TrySetResult(null);
            return;
        }

        context.Metrics.Claimed("paired", context.Time.GetElapsedTime(start));
        context.Emit(new NameplatePaired(claim.Nameplate, waiter.Connection.Client.LoggedAddress, client.LoggedAddress));
        waiter.PairStarted.TrySetResult(pair);
        await pair.RunAsync(pair.ToWaiter).ConfigureAwait(false);
    }

    /// <summary>The global pair slot and each side's per-address pair unit (one when both sides share a key), or none.</summary>
    private static bool TryTakeLeases(RelayContext context, ClientAddress waiter, ClientAddress joiner, List<IDisposable> leases)
    {
        if (context.TryReservePair() is not { } slot)
        {
            return false;
        }

        leases.Add(slot);
        if (context.PairsPerAddress.TryAcquire(joiner.Keys, joiner.Exempt) is not { } joinerLease)
        {
            Release(leases);
            return false;
        }

        leases.Add(joinerLease);
        if (waiter.Keys.Narrow != joiner.Keys.Narrow)
        {
            if (context.PairsPerAddress.TryAcquire(waiter.Keys, waiter.Exempt) is not { } waiterLease)
            {
                Release(leases);
                return false;
            }

            leases.Add(waiterLease);
        }

        return true;
    }

    private static void Release(List<IDisposable> leases)
    {
        foreach (IDisposable lease in leases)
        {
            lease.Dispose();
        }

        leases.Clear();
    }
}
