using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using SecureChat.Crypto;
using SecureChat.Framing;
using SecureChat.Identity;
using SecureChat.Noise;

namespace SecureChat.Session;

/// <summary>
/// An authenticated, encrypted conversation with one peer (docs/PROTOCOL.md, protocol v2): Noise
/// XXhfs or XXhfs+psk3 over X25519 and ML-KEM-768 (the psk from CPace), AES-256-GCM and SHA-256, one
/// Noise transport message per TRANSPORT frame, and a rekey after
/// every message in each direction, so each message has a key of its own that is erased after it.
/// One reader loop decrypts incoming frames in order; writes are serialised. The first fault ends
/// the session, erases its keys and is thrown again from every later call.
/// </summary>
public sealed partial class SecureChatSession : IAuthenticatedSession
{
    /// <summary>The most UTF-8 bytes one text message holds (65535 − 16-byte tag − 1 type byte).</summary>
    public const int MaxTextBytes = TransportLimits.MaxBodyLength;

    private static readonly TimeSpan CloseLinger = TimeSpan.FromSeconds(2);

    private readonly Stream _stream;
    private readonly FrameReader _reader;
    private readonly NoiseTransport _transport;
    private readonly KeepAlive _keepAlive;
    private readonly IdentityKeyPair? _ownedIdentity;
    private readonly KeyLog? _keyLog;
    private readonly SessionOptions _options;
    private readonly FrameWriter _writer;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Channel<SessionEvent> _events = Channel.CreateBounded<SessionEvent>(
        new BoundedChannelOptions(64) { SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });

    private readonly IMessageHandler[] _handlers;

    /// <summary>
    /// Events of the session's end that found the application's queue full (a transfer the end cut
    /// off): delivered after the queue, before <see cref="SessionClosed"/>. At most one per transfer.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<SessionEvent> _endEvents = new();

    /// <summary>1 once a receiver has been given the end (SessionClosed or the fault): no event follows it.</summary>
    private int _endTold;

    private readonly TaskCompletionSource _shutdownDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _readLoop = Task.CompletedTask;
    private SessionClosed? _closed;

    /// <summary>1 once the socket's sending side is shut down (its FIN sent), by the close or the shutdown, whichever came first.</summary>
    private int _sendShutDown;
    private readonly SessionLifecycle _lifecycle = new();

    private SecureChatSession(
        Stream stream,
        FrameReader reader,
        HandshakeResult handshake,
        bool isInitiator,
        IdentityKeyPair identity,
        IdentityKeyPair? ownedIdentity,
        KeyLog? keyLog,
        SessionOptions options)
    {
        _stream = stream;
        _reader = reader;
        _transport = new NoiseTransport(handshake.Send, handshake.Receive);
        _writer = new FrameWriter(stream, _transport, OnWriteFailed);
        _ownedIdentity = ownedIdentity;
        _keyLog = keyLog;
        _options = options;
        _keepAlive = new KeepAlive(
            options,
            async (type, body) => await SendMessageAsync(type, body, captureCiphertext: false, CancellationToken.None).ConfigureAwait(false),
            fault => FailAsync(fault, fromReadLoop: false));
        IsInitiator = isInitiator;
        _handlers = SessionFeatures.Create(this);
        ProtocolName = handshake.ProtocolName;
        HandshakeHash = handshake.HandshakeHash;
        PeerStaticPublicKey = handshake.PeerStaticPublicKey;
        PeerFingerprint = Fingerprint.Of(handshake.PeerStaticPublicKey);
        LocalFingerprint = identity.Fingerprint;
        SessionCode = handshake.SessionCode;
        PeerHandshakePayload = handshake.PeerPayload;
        PeerInfo = handshake.Peer;
        PeerTrust = handshake.Verdict.Trust;
        RemoteEndPoint = (stream as NetworkStream)?.Socket.RemoteEndPoint;
    }

    /// <summary>True for the connecting side.</summary>
    public bool IsInitiator { get; }

    /// <summary>The Noise protocol name, e.g. Noise_XXhfs_25519+MLKEM768_AESGCM_SHA256.</summary>
    public string ProtocolName { get; }

    /// <summary>This side's identity fingerprint.</summary>
    public string LocalFingerprint { get; }

    /// <summary>The peer's identity fingerprint (SHA256:…), authenticated by the handshake.</summary>
    public string PeerFingerprint { get; }

    /// <summary>The peer's 32-byte X25519 static public key.</summary>
    public ReadOnlyMemory<byte> PeerStaticPublicKey { get; }

    /// <summary>The session code both people compare to rule out a man in the middle: "dddd dddd dddd".</summary>
    public string SessionCode { get; }

    /// <summary>The peer's handshake payload, a JSON object (hostile input: unknown fields are to be ignored).</summary>
    public JsonElement PeerHandshakePayload { get; }

    /// <summary>The peer's address, when the session runs over a socket.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The peer as the handshake authenticated it and <see cref="SessionOptions.VerifyPeer"/> saw it.</summary>
    public PeerInfo PeerInfo { get; }

    /// <summary>How far the peer is trusted: the verdict of <see cref="SessionOptions.VerifyPeer"/>.</summary>
    public PeerTrust PeerTrust { get; }

    /// <summary>True once every key of the session has been erased (after a close or a fault).</summary>
    public bool KeysErased { get; private set; }

    /// <summary>Tests only: true while the session holds a receive or send buffer (an idle session holds neither).</summary>
    internal bool HoldsIoBuffers => _reader.HoldsBuffer || _writer.HoldsBuffer;

    /// <summary>Tests only: true while the keep-alive's timer exists (from the start until the session ends).</summary>
    internal bool HasKeepAliveTimer => _keepAlive.HasTimer;

    /// <summary>The final handshake hash h.</summary>
    internal byte[] HandshakeHash { get; }

    /// <summary>
    /// Connects to a SecureChat listener over TCP and runs the handshake as the initiator.
    /// </summary>
    /// <exception cref="SocketException">Nothing listens at that address, or it cannot be reached.</exception>
    /// <exception cref="SecureChatException">The handshake failed; see the concrete type.</exception>
    public static async ValueTask<SecureChatSession> ConnectAsync(string host, int port, SessionOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await ConnectAsync(new NetworkStream(socket, ownsSocket: true), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the handshake as the initiator over a connected stream, which the session then owns.</summary>
    /// <exception cref="SecureChatException">The handshake failed; the stream has been closed.</exception>
    /// <exception cref="IOException">The key log (<see cref="SessionOptions.KeyLogFile"/>) is unsafe to use; the stream has been closed.</exception>
    public static ValueTask<SecureChatSession> ConnectAsync(Stream stream, SessionOptions options, CancellationToken cancellationToken = default) =>
        HandshakeAsync(stream, options, initiator: true, cancellationToken);

    /// <summary>Runs the handshake as the responder over an accepted stream, which the session then owns.</summary>
    /// <exception cref="SecureChatException">The handshake failed (refusals included); the stream has been closed.</exception>
    /// <exception cref="IOException">The key log (<see cref="SessionOptions.KeyLogFile"/>) is unsafe to use; the stream has been closed.</exception>
    public static ValueTask<SecureChatSession> AcceptAsync(Stream stream, SessionOptions options, CancellationToken cancellationToken = default) =>
        HandshakeAsync(stream, options, initiator: false, cancellationToken);

    /// <summary>
    /// Refuses a connection with a REFUSE frame (for example <see cref="RefusalCode.Busy"/>) and closes it.
    /// It first reads the peer's hello, so that closing does not reset the connection before the refusal arrives.
    /// </summary>
    public static async ValueTask RefuseAsync(Stream stream, RefusalCode code, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(reason);
        using var reader = new FrameReader(stream);
        try
        {
            // Each step has a time of its own: a peer that sends no hello still gets the refusal.
            bool version1 = false;
            using (var hello = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                hello.CancelAfter(TimeSpan.FromSeconds(2));
                try
                {
                    version1 = await reader.ReadFrameAsync(hello.Token).ConfigureAwait(false) is { } body && Hello.IsVersion1(body.Span);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException or SecureChatException)
                {
                    // Refuse anyway.
                }
            }

            if (version1)
            {
                // A v1 client cannot read a v2 REFUSE: tell it what it can act on.
                using var answer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                answer.CancelAfter(TimeSpan.FromSeconds(2));
                await HandshakeDriver.AnswerVersion1Async(stream, answer.Token).ConfigureAwait(false);
                return;
            }

            using var send = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            send.CancelAfter(TimeSpan.FromSeconds(2));
            await HandshakeDriver.SendRefusalAsync(stream, reader, code, reason, drainFirst: true, send.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The peer does not read: close without the refusal.
        }
        finally
        {
            await CloseGracefullyAsync(stream, reader).ConfigureAwait(false);
        }
    }

    private static async ValueTask<SecureChatSession> HandshakeAsync(Stream stream, SessionOptions options, bool initiator, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        KeyLog? keyLog;
        try
        {
            keyLog = KeyLog.Open(options.KeyLogFile);
        }
        catch (IOException)
        {
            // The key log is unsafe to use (the message says why): nothing was sent, but the
            // connection is ours to close.
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        IdentityKeyPair? owned = options.Identity is null ? IdentityKeyPair.Generate() : null;
        IdentityKeyPair identity = options.Identity ?? owned!;
        var reader = new FrameReader(stream);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HandshakeTimeout);
        HandshakeResult? result = null;
        HandshakeDriver? driver = null;
        SecureChatSession session;
        try
        {
            driver = new HandshakeDriver(stream, reader, options, identity.KeyPair, keyLog);
            result = initiator
                ? await driver.RunInitiatorAsync(timeout.Token).ConfigureAwait(false)
                : await driver.RunResponderAsync(timeout.Token).ConfigureAwait(false);
            session = new SecureChatSession(stream, reader, result, initiator, identity, owned, keyLog, options);
            session.Start();
        }
        catch (Exception e)
        {
            result?.Send.Dispose();
            result?.Receive.Dispose();
            owned?.Dispose();
            keyLog?.Dispose();
            await CloseGracefullyAsync(stream, reader).ConfigureAwait(false);
            reader.Dispose();
            Exception mapped = e switch
            {
                OperationCanceledException when !cancellationToken.IsCancellationRequested =>
                    new SessionTimeoutException($"The handshake did not finish within {options.HandshakeTimeout.TotalSeconds:0.#} s."),
                IOException or ObjectDisposedException => new ConnectionLostException("The connection was lost during the handshake.", e),
                OperationCanceledException when driver is { AttemptSpent: true } =>
                    // Stopped by the caller, but the passphrase was already put to the test: the
                    // attempt is spent whatever follows (docs/PROTOCOL.md §8), so say so.
                    new ConnectionLostException("The handshake was stopped after the passphrase or code had been sent.", e),
                _ => e,
            };
            if (mapped is SecureChatException fault && driver is { AttemptSpent: true })
            {
                fault.PassphraseAttemptSpent = true;
            }

            ExceptionDispatchInfo.Throw(mapped);
            throw;
        }

        return session;
    }

    /// <summary>
    /// Starts the read loop on this thread: it runs until its first read waits (at once, unless
    /// frames came with the handshake's last message), so that no thread-pool hop is spent on it.
    /// If those frames end the session, the keep-alive's timer is never made (it was stopped first).
    /// </summary>
    private void Start()
    {
        _keepAlive.Touch();
        _readLoop = ReadLoopAsync();
        _keepAlive.Start();
    }

    /// <summary>Sends a text message.</summary>
    /// <exception cref="ArgumentException">The text is longer than <see cref="MaxTextBytes"/> UTF-8 bytes; nothing was sent and the session goes on.</exception>
    /// <exception cref="SecureChatException">The session has failed (the fault that ended it).</exception>
    /// <exception cref="InvalidOperationException">The session was closed.</exception>
    public async ValueTask<SentText> SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        int length = Encoding.UTF8.GetByteCount(text);
        if (length > MaxTextBytes)
        {
            throw new ArgumentException($"The message is {length:N0} bytes of UTF-8; one message holds at most {MaxTextBytes:N0}. Nothing was sent.", nameof(text));
        }

        byte[] body = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
        try
        {
            int written = Encoding.UTF8.GetBytes(text, body);
            byte[]? ciphertext = await SendMessageAsync(MessageType.Text, body.AsMemory(0, written), _options.CaptureCiphertext, cancellationToken).ConfigureAwait(false);
            return new SentText(DateTimeOffset.Now, ciphertext);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(body, clearArray: true);
        }
    }

    /// <summary>
    /// The next event: a text from the peer, or <see cref="SessionClosed"/> once the session has ended
    /// cleanly (returned again on every later call).
    /// </summary>
    /// <exception cref="SecureChatException">The fault that ended the session.</exception>
    public async ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _events.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Once the end has been told (SessionClosed, or the fault), nothing follows it.
            if (Volatile.Read(ref _endTold) == 0 && _endEvents.TryDequeue(out SessionEvent? late))
            {
                return late;
            }

            Volatile.Write(ref _endTold, 1);
            ThrowIfFaulted();
            return _closed ?? new SessionClosed(ByPeer: false, Reason: null);
        }
    }

    /// <summary>
    /// Ends the conversation: sends an authenticated CLOSE, waits briefly for the peer to finish, and
    /// erases every key. Safe to call more than once and after a fault.
    /// </summary>
    public async ValueTask CloseAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        if (_lifecycle.TryBeginClose())
        {
            try
            {
                await SendCloseAsync(reason is null ? null : Truncate(reason, 1024), CloseLinger, cancellationToken).ConfigureAwait(false);
                ShutDownSending();

                // Give the peer a moment to read the CLOSE and hang up, so that our close does not
                // reset the connection under its feet. The linger's timer goes as soon as the read
                // loop ends (a delay raced against it would stay queued for the whole linger).
                if (!_readLoop.IsCompleted)
                {
                    await _readLoop.WaitAsync(CloseLinger, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            catch (Exception e) when (e is SecureChatException or InvalidOperationException or IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The session is ending anyway; the keys are erased below.
            }
        }

        _closed ??= new SessionClosed(ByPeer: false, Reason: reason);
        await ShutdownAsync(fromReadLoop: false).ConfigureAwait(false);
    }

    /// <summary>
    /// Shuts down the socket's sending side (FIN), once: the close does it after its CLOSE, the
    /// shutdown before closing the socket, and when both run at once only the first makes the call.
    /// </summary>
    private void ShutDownSending()
    {
        if (_stream is NetworkStream network && Interlocked.Exchange(ref _sendShutDown, 1) == 0)
        {
            network.Socket.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>Closes the session (see <see cref="CloseAsync"/>).</summary>
    public ValueTask DisposeAsync() => CloseAsync();

    private static string Truncate(string text, int maxChars) => text.Length <= maxChars ? text : text[..maxChars];

    private void ThrowIfFaulted()
    {
        if (_lifecycle.Fault is { } fault)
        {
            throw fault.Copy();
        }
    }
}
