using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using SecureChat.Cli.Output;
using SecureChat.Session;
using SecureChat.Trust;

namespace SecureChat.Cli.Commands;

/// <summary>
/// The listener's wait for a peer: it accepts connections and runs up to
/// <see cref="MaxHandshakes"/> handshakes at once; the first that completes authentication (and,
/// with --authorized-peers, is authorized) gets the chat. The others in progress then finish (each
/// within the handshake timeout) and are told "busy" with an authenticated CLOSE, or, while they
/// still wait for a passphrase turn, with a REFUSE before any cryptography: a peer that connected
/// at the same moment learns why, instead of losing its connection. They are stopped only when the
/// listener stops. So an idle or hostile connection holds one slot for at most the handshake
/// timeout, not the whole listener; beyond the limit a connection is refused as busy. A failed
/// handshake is reported and the wait goes on. Meanwhile the user's input is read too: a typed line
/// is not sent to anyone, and Ctrl+C, Ctrl+D or the end of stdin stop the wait.
/// </summary>
internal sealed class HandshakeContest(TcpListener listener, SessionSetup setup, AuthorizedPeers? authorized, string? authorizedPath, IChatOutput output, bool keepOpen) : IDisposable
{
    /// <summary>The most handshakes in progress at once (docs/PROTOCOL.md §8).</summary>
    public const int MaxHandshakes = 8;

    /// <summary>
    /// The most of those from one source: an IPv4 address, or an IPv6 /64 (one host usually has a
    /// whole /64). One host alone cannot hold every slot.
    /// </summary>
    public const int MaxHandshakesPerSource = MaxHandshakes / 2;

    private const string BusyReason = "busy: too many connections are being set up; try again in a few seconds";

    private const string InConversationReason = "busy: this peer is in another conversation";

    /// <summary>
    /// Stops every handshake in progress: cancelled when the listener stops (the user, a signal, a
    /// used-up passphrase attempt), not when a round is won.
    /// </summary>
    private readonly CancellationTokenSource _abandon = new();

    private readonly Dictionary<UInt128, int> _perSource = [];
    private readonly AuthorizedPeersPolicy? _policy = authorized is null ? null : new AuthorizedPeersPolicy(authorized);
    private readonly ConditionalWeakTable<PeerInfo, string> _notices = [];
    private int _inFlight;

    private const string PskBusyReason = "busy: another passphrase handshake is in progress; try again in a few seconds";

    /// <summary>The sources with a passphrase handshake queued or running (at most one each).</summary>
    private readonly HashSet<UInt128> _pskSources = [];

    /// <summary>
    /// Completed when a one-shot passphrase listener's one attempt was used up by a wrong
    /// passphrase (docs/PROTOCOL.md §8): the listener ends with that fault (exit 3).
    /// </summary>
    private readonly TaskCompletionSource<Fault> _attemptUsedUp = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when the last round ended because the passphrase attempt was used up (see above).</summary>
    public Fault? EndedBy { get; private set; }

    /// <summary>Set for a passphrase or code listener: its handshakes run one at a time (so concurrent connections cannot each guess a code before the first wrong guess ends the listener), with a growing pause after failures.</summary>
    private readonly PskBackoff? _backoff = setup.Passphrase is null && setup.Code is null ? null : new PskBackoff(output);

    /// <summary>
    /// What the policy asked to tell the user about an accepted peer (e.g. "add its new fingerprint
    /// to the authorized peers file"), looked up by the session's <see cref="SecureChatSession.PeerInfo"/>; null when nothing.
    /// </summary>
    public string? NoticeFor(PeerInfo peer) => _notices.TryGetValue(peer, out string? notice) ? notice : null;

    private PeerVerificationCallback? VerifyPeer => _policy is null ? null : Verify;

    private PeerVerdict Verify(PeerInfo peer)
    {
        PeerVerdict verdict = _policy!.Verify(peer);
        if (verdict.Notice is { } notice)
        {
            _notices.AddOrUpdate(peer, notice);
        }

        return verdict;
    }

    /// <summary>The authenticated session and its peer's address; null when the user stopped.</summary>
    public async Task<(SecureChatSession Session, string Peer)?> RunAsync(WaitingInput input, CancellationToken stop)
    {
        input.BeginWait();
        using CancellationTokenRegistration stopping = stop.UnsafeRegister(static state => ((HandshakeContest)state!).Abandon(), this);
        using var round = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var winner = new TaskCompletionSource<(SecureChatSession Session, string Peer)>(TaskCreationOptions.RunContinuationsAsynchronously);
        Task accepting = AcceptAsync(winner, input, round.Token);
        Task<bool> idle = IdleInput.ReadAsync(input.Typed, output, input.Hold, round.Token);
        await Task.WhenAny(winner.Task, idle, accepting, _attemptUsedUp.Task).ConfigureAwait(false);

        // The handshakes still in progress end with the round (closed, without a report); they
        // are not awaited, so the winner's chat starts at once.
        await round.CancelAsync().ConfigureAwait(false);
        bool userStopped = false;
        try
        {
            userStopped = await idle.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped because a peer won.
        }

        try
        {
            await accepting.ConfigureAwait(false); // a listening socket that fails throws here
        }
        catch
        {
            Abandon();
            throw;
        }

        // From here no handshake can win any more: one that finishes now closes its own session
        // (it sees TrySetResult fail), so no session is left running unseen.
        winner.TrySetCanceled(CancellationToken.None);
        if (!winner.Task.IsCompletedSuccessfully)
        {
            // No chat: the listener ends, and so does every handshake still in progress.
            Abandon();
            if (winner.Task.IsFaulted)
            {
                await winner.Task.ConfigureAwait(false);
            }

            EndedBy = _attemptUsedUp.Task.IsCompleted ? _attemptUsedUp.Task.Result : null;
            return null;
        }

        (SecureChatSession session, string peer) = winner.Task.Result;
        if (userStopped || stop.IsCancellationRequested)
        {
            Abandon();
            await session.CloseAsync("the listener was stopped", CancellationToken.None).ConfigureAwait(false);
            return null;
        }

        return (session, peer);
    }

    private async Task AcceptAsync(TaskCompletionSource<(SecureChatSession, string)> winner, WaitingInput input, CancellationToken round)
    {
        try
        {
            while (true)
            {
                Socket socket = await listener.AcceptSocketAsync(round).ConfigureAwait(false);

                // Stopped handshakes of an earlier round count until they have closed.
                UInt128 source = SourceOf(socket);
                if (!TryTakeSlot(source))
                {
                    BusyRefusals.Refuse(socket, BusyReason, compat: false);
                    continue;
                }

                input.HandshakeStarted();
                CancellationToken abandon = _abandon.Token;
                _ = Task.Run(async () =>
                {
                    bool won = false;
                    try
                    {
                        won = await HandshakeAsync(socket, winner, round, abandon).ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        winner.TrySetException(e); // a bug, not the peer's doing: end the listener with it
                    }
                    finally
                    {
                        ReleaseSlot(source);
                        input.HandshakeEnded(won);
                    }
                }, CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (round.IsCancellationRequested)
        {
            // A peer won, or the user stopped.
        }
    }

    private bool TryTakeSlot(UInt128 source)
    {
        lock (_perSource)
        {
            int fromSource = _perSource.GetValueOrDefault(source);
            if (_inFlight >= MaxHandshakes || fromSource >= MaxHandshakesPerSource)
            {
                return false;
            }

            _inFlight++;
            _perSource[source] = fromSource + 1;
            return true;
        }
    }

    private void ReleaseSlot(UInt128 source)
    {
        lock (_perSource)
        {
            _inFlight--;
            if (--_perSource[source] == 0)
            {
                _perSource.Remove(source);
            }
        }
    }

    /// <summary>
    /// Waits for this connection's turn at a passphrase handshake (they run one at a time, with the
    /// back-off's pause after failures), within the handshake time limit counted from the accept,
    /// and with at most one connection of each source queued or running. A connection that cannot
    /// have a turn in time, or whose source already has one, is refused as busy — not counted as a
    /// failed attempt, so idle or abandoned connections cannot lock the right passphrase out or
    /// grow the pause. Returns null when it was refused.
    /// </summary>
    private async Task<IDisposable?> TakePassphraseTurnAsync(Socket socket, CancellationToken round, CancellationToken abandon)
    {
        UInt128 source = SourceOf(socket);
        lock (_pskSources)
        {
            if (!_pskSources.Add(source))
            {
                BusyRefusals.Refuse(socket, PskBusyReason, compat: false);
                return null;
            }
        }

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(round);
            deadline.CancelAfter(setup.Settings.HandshakeTimeout);
            IDisposable turn = await _backoff!.TakeTurnAsync(deadline.Token).ConfigureAwait(false);
            return new SourceTurn(turn, this, source);
        }
        catch (OperationCanceledException) when (!abandon.IsCancellationRequested)
        {
            // Out of time, or another peer got the chat meanwhile: busy either way, before any cryptography.
            ReleasePskSource(source);
            BusyRefusals.Refuse(socket, round.IsCancellationRequested ? InConversationReason : PskBusyReason, compat: false);
            return null;
        }
        catch
        {
            ReleasePskSource(source);
            throw;
        }
    }

    private void ReleasePskSource(UInt128 source)
    {
        lock (_pskSources)
        {
            _pskSources.Remove(source);
        }
    }

    /// <summary>A passphrase turn and its source's place in the queue, given back together.</summary>
    private sealed class SourceTurn(IDisposable turn, HandshakeContest contest, UInt128 source) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Dispose();
                contest.ReleasePskSource(source);
            }
        }
    }

    /// <summary>The source a connection counts against: its IPv4 address, or its IPv6 address's /64.</summary>
    private static UInt128 SourceOf(Socket socket)
    {
        if (socket.RemoteEndPoint is not IPEndPoint { Address: var address })
        {
            return UInt128.Zero;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out int written);
        if (written == 4)
        {
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
        }

        // IPv6: the first 64 bits, kept apart from every IPv4 address by the top bit.
        return ((UInt128)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes) << 1) | ((UInt128)1 << 127) | 1;
    }

    /// <summary>
    /// True when this handshake got the chat. <paramref name="round"/> ends when a peer has won (or
    /// the listener stops): failures after that are not reported; <paramref name="abandon"/> stops
    /// the handshake itself, only when the listener stops.
    /// </summary>
    private async Task<bool> HandshakeAsync(Socket socket, TaskCompletionSource<(SecureChatSession, string)> winner, CancellationToken round, CancellationToken abandon)
    {
        string peer = socket.RemoteEndPoint is IPEndPoint remote ? ConnectCommand.Format(remote) : "a peer";
        SecureChatSession session;
        IDisposable? turn = null;
        bool authenticated = false;
        try
        {
            socket.NoDelay = true;
            if (_backoff is not null)
            {
                turn = await TakePassphraseTurnAsync(socket, round, abandon).ConfigureAwait(false);
                if (turn is null)
                {
                    return false; // refused as busy, not counted as an attempt
                }

                if (winner.Task.IsCompleted)
                {
                    // Another peer won while this one waited: busy, before any cryptography.
                    BusyRefusals.Refuse(socket, InConversationReason, compat: false);
                    return false;
                }
            }

            session = await SecureChatSession.AcceptAsync(new NetworkStream(socket, ownsSocket: true), setup.SessionOptions(VerifyPeer), abandon).ConfigureAwait(false);
            _backoff?.Succeeded();
            authenticated = true;
        }
        catch (PeerRejectedException e) when (e is { ByPeer: false, Peer: { } rejected })
        {
            // The handshake refused it with the authenticated "not authorized" CLOSE (docs/PROTOCOL.md §8).
            output.HandshakeFailed(peer, Fault.From(e, peer, duringHandshake: true, initiator: false) with
            {
                Message = $"Refused {peer}: its fingerprint {rejected.Fingerprint} is not in {authorizedPath}. To let it in, add that line to the file (after checking it with its owner).",
            });
            return false;
        }
        catch (Exception e) when (e is SecureChatException or IOException or SocketException or OperationCanceledException)
        {
            socket.Dispose(); // closed already unless the wait for a passphrase turn was stopped
            if (e is SecureChatException { PassphraseAttemptSpent: true } && keepOpen)
            {
                _backoff?.Failed();
            }

            if (!keepOpen && e is AuthenticationFailedException { Reason: AuthenticationFailure.WrongPassphrase } && !round.IsCancellationRequested)
            {
                // One passphrase, one attempt (docs/PROTOCOL.md §8): without --keep-open the
                // listener ends here rather than let the next connection guess again.
                _attemptUsedUp.TrySetResult(Fault.From(e, peer, duringHandshake: true, initiator: false) with
                {
                    Message = setup.Code is not null
                        ? Faults.WrongCodeListener
                        : $"Authentication failed: the passphrase from {peer} did not match (a wrong passphrase, or the handshake was changed on the way), and this listener's one attempt is used up. Check the passphrase with your peer and start again (with --keep-open the listener goes on, pausing longer after each failure).",
                });
                return false;
            }

            if (!round.IsCancellationRequested)
            {
                output.HandshakeFailed(peer, Fault.From(e, peer, duringHandshake: true, initiator: false, code: setup.Code is not null));
            }

            return false;
        }

        finally
        {
            if (!authenticated)
            {
                turn?.Dispose();
            }
        }

        // An authenticated handshake gives its passphrase turn back only once the round is
        // decided, so a queued connection cannot start an attempt, without the back-off's pause,
        // while this one wins.
        bool won = winner.TrySetResult((session, peer));
        turn?.Dispose();
        if (won)
        {
            return true;
        }

        // Another peer got the chat earlier: an authenticated "busy".
        await session.CloseAsync(InConversationReason, CancellationToken.None).ConfigureAwait(false);
        return false;
    }

    private void Abandon()
    {
        try
        {
            _abandon.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The listener has ended already.
        }
    }

    /// <summary>Stops the handshakes still in progress (the listener ends).</summary>
    public void Dispose()
    {
        Abandon();
        _abandon.Dispose();
    }
}
