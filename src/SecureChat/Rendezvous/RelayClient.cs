using System.Net;
using SecureChat.Trust;

namespace SecureChat.Rendezvous;

/// <summary>
/// The client side of a relay (docs/RELAY.md): the waiter allocates a nameplate and waits for
/// "paired"; the joiner claims it and is paired at once. The relay is treated as an attacker who
/// may answer in the peer's place: its frames are checked against the protocol, a redirect is
/// followed at most once and only to public unicast addresses (unless the first relay was not
/// public itself), and the code — checked by CPace inside the session — never reaches it.
/// </summary>
public static class RelayClient
{
    /// <summary>The relay's default port.</summary>
    public const int DefaultPort = 4747;

    /// <summary>Allocates a nameplate (the waiter, later the session's responder).</summary>
    /// <param name="relay">The relay's host and port.</param>
    /// <param name="options">Timeouts; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the allocation.</param>
    /// <returns>The allocation, owned by the caller.</returns>
    /// <exception cref="RelayException">Unreachable, refused, timed out, or a protocol violation.</exception>
    public static async Task<RelayAllocation> AllocateAsync(PeerAddress relay, RelayClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relay);
        options ??= new RelayClientOptions();
        options.Validate();
        RelayConnection connection = await RelayConnection.ConnectAsync(relay.Host, relay.Port, accept: null, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        try
        {
            await connection.SendAsync(new RelayAllocate(), cancellationToken).ConfigureAwait(false);
            RelayMessage answer = await connection.ReceiveAsync(options.AnswerTimeout, cancellationToken).ConfigureAwait(false);
            return answer switch
            {
                RelayAllocated allocated => new RelayAllocation(connection, allocated.Nameplate, TimeSpan.FromSeconds(allocated.ExpiresInSeconds), options.WaitTimeout),
                RelayError error => throw ErrorFor(error, null, joiner: false),
                _ => throw new RelayException(RelayFailure.ProtocolViolation, "The relay did not answer the allocation with allocated or an error."),
            };
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Claims <paramref name="nameplate"/> (the joiner, later the session's initiator) and returns
    /// the connection to the waiter, owned by the caller. Follows one redirect.
    /// </summary>
    /// <param name="relay">The relay's host and port.</param>
    /// <param name="nameplate">The code's nameplate.</param>
    /// <param name="options">Timeouts; null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <exception cref="ArgumentException">Not a nameplate.</exception>
    /// <exception cref="RelayException">Unreachable, refused, unknown nameplate, timed out, a refused redirect, or a protocol violation.</exception>
    public static async Task<Stream> ClaimAsync(PeerAddress relay, string nameplate, RelayClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relay);
        if (!RelayControl.IsValidNameplate(nameplate))
        {
            throw new ArgumentException("A nameplate is 1-6 digits without a leading zero.", nameof(nameplate));
        }

        options ??= new RelayClientOptions();
        options.Validate();
        RelayConnection connection = await RelayConnection.ConnectAsync(relay.Host, relay.Port, accept: null, options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        bool firstIsPublic = options.TreatFirstRelayAsPublic || PublicAddress.IsPublicUnicast(connection.Address);
        for (int redirects = 0; ; redirects++)
        {
            try
            {
                await connection.SendAsync(new RelayClaim(nameplate), cancellationToken).ConfigureAwait(false);
                RelayMessage answer = await connection.ReceiveAsync(options.AnswerTimeout, cancellationToken).ConfigureAwait(false);
                switch (answer)
                {
                    case RelayPaired:
                        return connection.HandOver();
                    case RelayError error:
                        throw ErrorFor(error, nameplate, joiner: true);
                    case RelayRedirect when redirects > 0:
                        throw new RelayException(RelayFailure.RedirectRefused, "The relay redirected the claim a second time; a redirect is followed only once.");
                    case RelayRedirect redirect:
                        if (!PeerAddress.TryParse(redirect.Address, DefaultPort, out PeerAddress? target, out _) || target!.Port is < 1 or > 65535)
                        {
                            throw new RelayException(RelayFailure.RedirectRefused, "The relay redirected the claim to something that is not a host:port.");
                        }

                        connection.Dispose();
                        connection = await RelayConnection.ConnectAsync(target.Host, target.Port, addresses => CheckRedirect(addresses, firstIsPublic), options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        throw new RelayException(RelayFailure.ProtocolViolation, "The relay did not answer the claim with paired, redirect or an error.");
                }
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        }
    }

    /// <summary>A redirect from a public relay may only lead to public unicast addresses, every one of them.</summary>
    private static RelayException? CheckRedirect(IPAddress[] addresses, bool firstIsPublic) =>
        !firstIsPublic || addresses.All(PublicAddress.IsPublicUnicast)
            ? null
            : new RelayException(RelayFailure.RedirectRefused, "The relay redirected the claim to a private, loopback or otherwise non-public address; that redirect was not followed.");

    /// <summary>The exception for a relay's error frame.</summary>
    internal static RelayException ErrorFor(RelayError error, string? nameplate, bool joiner)
    {
        string message = error.Code switch
        {
            RelayErrorCodes.UnknownNameplate => joiner
                ? $"The relay says nobody is waiting under {nameplate} — if you just got this code, someone else may have used it. Ask for a new code."
                : "The relay says its nameplate is unknown.",
            RelayErrorCodes.Busy => "The relay is busy (its limits are reached, or it is shutting down). Try again in a moment, or use another relay.",
            RelayErrorCodes.RateLimited => "The relay refuses: too many requests from this address. Wait a while before trying again.",
            RelayErrorCodes.Timeout => joiner ? "The relay timed out the claim." : "Nobody came in time: the relay ended the wait. Start again for a new code.",
            RelayErrorCodes.Impatient => "The relay says this side sent data before it was paired.",
            RelayErrorCodes.BadRequest => "The relay did not understand the request (bad-request). Is it a SecureChat relay of the same version?",
            _ => "The relay refused with an unknown error code.",
        };
        RelayFailure reason = error.Code switch
        {
            RelayErrorCodes.UnknownNameplate => RelayFailure.UnknownNameplate,
            RelayErrorCodes.Timeout => RelayFailure.Timeout,
            _ => RelayFailure.Refused,
        };
        return new RelayException(reason, message, error.Code, error.Message);
    }
}
