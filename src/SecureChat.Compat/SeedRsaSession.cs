using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Session;

namespace SecureChat.Compat;

/// <summary>
/// --compat seed-rsa: the wire protocol of the RSA chat programs of document 000 (server1.py,
/// Client1.py). Each side makes an RSA-2048 key for the session; the listener sends its public key
/// as PEM SubjectPublicKeyInfo and then reads the connector's (the connector reads first). A
/// message is RSA-OAEP(SHA-256) of the UTF-8 text under the peer's key (256 bytes) followed by an
/// RSA-PSS(SHA-256, maximum salt) signature of the text (256 bytes), written as two sends.
/// WEAK BY DESIGN: the key exchange is unauthenticated (a man in the middle can swap both keys),
/// messages can be replayed, reordered or dropped, and a message holds at most 190 bytes.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SeedRsaSession : IChatSession
{
    /// <summary>The longest text RSA-OAEP with SHA-256 carries under a 2048-bit key: 256 − 2·32 − 2.</summary>
    public const int MaxTextBytes = 190;

    private const int BlockBytes = 256;
    private const int MaxPemBytes = 4096;
    private static readonly TimeSpan PartGap = TimeSpan.FromMilliseconds(60);

    private readonly Stream _stream;
    private readonly RSAOpenSsl _key;
    private readonly RSAOpenSsl _peer;
    private readonly byte[] _leftover;
    private readonly CompatEvents _events = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private Task _readLoop = Task.CompletedTask;
    private int _closed;
    private volatile bool _exitSent;
    private volatile bool _exitReceived;

    private SeedRsaSession(Stream stream, RSAOpenSsl key, RSAOpenSsl peer, byte[] leftover, bool isInitiator)
    {
        _stream = stream;
        _key = key;
        _peer = peer;
        _leftover = leftover;
        IsInitiator = isInitiator;
        byte[] spki = peer.ExportSubjectPublicKeyInfo();
        PeerKeyFingerprint = "SHA256:" + Convert.ToBase64String(SHA256.HashData(spki)).TrimEnd('=');
    }

    /// <inheritdoc/>
    public bool IsInitiator { get; }

    /// <inheritdoc/>
    public string ProtocolName => "seed-rsa";

    /// <inheritdoc/>
    public bool KeysErased { get; private set; }

    /// <summary>SHA-256 of the peer's public key (DER SubjectPublicKeyInfo), in the fingerprint format. Unauthenticated.</summary>
    public string PeerKeyFingerprint { get; }

    /// <summary>Exchanges keys as the original programs do, then starts reading messages.</summary>
    /// <param name="stream">The connection; the session owns it.</param>
    /// <param name="isInitiator">True for the connecting side, which reads the listener's key first.</param>
    /// <param name="timeout">How long the key exchange may take (a peer that sends nothing must not hold the connection).</param>
    /// <param name="cancellationToken">Cancels the key exchange.</param>
    /// <exception cref="ProtocolViolationException">The peer's key is not an RSA-2048 public key in PEM.</exception>
    /// <exception cref="ConnectionLostException">The connection ended during the exchange.</exception>
    /// <exception cref="SessionTimeoutException">The exchange took longer than <paramref name="timeout"/>.</exception>
    public static async ValueTask<SeedRsaSession> StartAsync(Stream stream, bool isInitiator, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        var key = new RSAOpenSsl(2048);
        RSAOpenSsl? peer = null;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        CancellationToken exchange = deadline.Token;
        try
        {
            byte[] ours = Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem() + "\n");
            byte[] leftover;
            if (isInitiator)
            {
                (peer, leftover) = await ReadPeerKeyAsync(stream, exchange).ConfigureAwait(false);
                await stream.WriteAsync(ours, exchange).ConfigureAwait(false);

                // The original listener reads our key with one recv(2048) and drops whatever came
                // with it: keep a first message from travelling in the same segment.
                await Task.Delay(PartGap * 2, exchange).ConfigureAwait(false);
            }
            else
            {
                await stream.WriteAsync(ours, exchange).ConfigureAwait(false);
                (peer, leftover) = await ReadPeerKeyAsync(stream, exchange).ConfigureAwait(false);
            }

            var session = new SeedRsaSession(stream, key, peer, leftover, isInitiator);
            session._readLoop = Task.Run(session.ReadLoopAsync, CancellationToken.None);
            return session;
        }
        catch (Exception e)
        {
            key.Dispose();
            peer?.Dispose();
            await stream.DisposeAsync().ConfigureAwait(false);
            if (e is IOException or SocketException)
            {
                throw new ConnectionLostException("The connection was lost during the key exchange.", e);
            }

            if (e is OperationCanceledException && deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new SessionTimeoutException($"The seed-rsa key exchange did not finish within {timeout.TotalSeconds:0.#} seconds.", e);
            }

            throw;
        }
    }

    /// <summary>Reads a PEM public key up to its end line, as many reads as it takes (the original reads it with one recv(2048)).</summary>
    private static async Task<(RSAOpenSsl Key, byte[] Leftover)> ReadPeerKeyAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] endLine = "-----END PUBLIC KEY-----\n"u8.ToArray();
        byte[] buffer = new byte[MaxPemBytes];
        int length = 0;
        while (true)
        {
            int end = buffer.AsSpan(0, length).IndexOf(endLine);
            if (end >= 0)
            {
                int pemLength = end + endLine.Length;
                var peer = new RSAOpenSsl();
                try
                {
                    peer.ImportFromPem(Encoding.ASCII.GetString(buffer, 0, pemLength));
                }
                catch (Exception e) when (e is ArgumentException or CryptographicException)
                {
                    peer.Dispose();
                    throw new ProtocolViolationException("The peer's public key is not a PEM SubjectPublicKeyInfo RSA key.", e);
                }

                if (peer.KeySize != 2048)
                {
                    peer.Dispose();
                    throw new ProtocolViolationException($"The peer's RSA key has {peer.KeySize} bits; the seed-rsa protocol uses 2048.");
                }

                return (peer, buffer[pemLength..length]);
            }

            if (length == buffer.Length)
            {
                throw new ProtocolViolationException($"No PEM public key within {MaxPemBytes} bytes: is the peer a seed-rsa program?");
            }

            int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new ConnectionLostException("The peer closed the connection before sending its public key.");
            }

            length += read;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The text is longer than 190 bytes of UTF-8; nothing was sent.</exception>
    public async ValueTask<SentText> SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] plaintext = Encoding.UTF8.GetBytes(text);
        try
        {
            if (plaintext.Length > MaxTextBytes)
            {
                throw new ArgumentException($"The message is {plaintext.Length} bytes of UTF-8; RSA-OAEP in the seed-rsa protocol carries at most {MaxTextBytes}. Nothing was sent.", nameof(text));
            }

            await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (Volatile.Read(ref _closed) != 0)
                {
                    throw new InvalidOperationException("The session is closed.");
                }

                byte[] ciphertext = _peer.Encrypt(plaintext, RSAEncryptionPadding.OaepSHA256);
                byte[] signature = RsaPss.SignMaxSalt(_key, plaintext);

                // The original receiver reads the two parts with two recv calls and fails when both
                // arrive in one: leave a gap so that they travel, and are read, separately.
                await _stream.WriteAsync(ciphertext, _lifetime.Token).ConfigureAwait(false);
                await _stream.FlushAsync(_lifetime.Token).ConfigureAwait(false);
                await Task.Delay(PartGap, _lifetime.Token).ConfigureAwait(false);

                // Marked before the last part leaves: the original acts on "exit" (and hangs up)
                // as soon as it has both parts, possibly before this write's continuation runs,
                // and that hang-up is the normal end, not a lost connection.
                if (text.Trim().Equals("exit", StringComparison.OrdinalIgnoreCase))
                {
                    _exitSent = true;
                }

                await _stream.WriteAsync(signature, _lifetime.Token).ConfigureAwait(false);

                return new SentText(DateTimeOffset.Now, ciphertext);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new ConnectionLostException("The connection was lost while sending.", e);
            }
            finally
            {
                _sendLock.Release();
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ConnectionLostException">The connection ended without the peer's "exit".</exception>
    /// <exception cref="ProtocolViolationException">The connection ended in the middle of a message.</exception>
    public ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken = default) => _events.ReceiveAsync(cancellationToken);

    private async Task ReadLoopAsync()
    {
        byte[] message = new byte[2 * BlockBytes];
        int length = 0;

        // What arrived with the peer's key (under load, several whole messages may have) is read
        // first, a message at a time, then the socket.
        int leftover = 0;
        try
        {
            while (true)
            {
                // Exactly 256 + 256 bytes, however the stream is cut.
                while (length < message.Length)
                {
                    int read;
                    if (leftover < _leftover.Length)
                    {
                        read = Math.Min(message.Length - length, _leftover.Length - leftover);
                        _leftover.AsSpan(leftover, read).CopyTo(message.AsSpan(length));
                        leftover += read;
                    }
                    else
                    {
                        read = await _stream.ReadAsync(message.AsMemory(length), _lifetime.Token).ConfigureAwait(false);
                    }

                    if (read == 0 && (_exitSent || Volatile.Read(ref _closed) != 0))
                    {
                        // We said "exit" and the peer hung up, as the originals do.
                        return;
                    }

                    if (read == 0)
                    {
                        // The originals say "exit" before they close; anything else is a loss.
                        _events.Fail(length == 0
                            ? new ConnectionLostException("The seed-rsa peer closed the connection without saying \"exit\".")
                            : new ProtocolViolationException($"The connection ended {length} bytes into a {message.Length}-byte seed-rsa message."));
                        return;
                    }

                    length += read;
                }

                length = 0;
                SessionEvent evt = Open(message);
                bool exit = evt is TextReceived { Text: var text } && text.Trim().Equals("exit", StringComparison.OrdinalIgnoreCase);

                // Known before anyone hears of it: a close that follows must not say "exit" back to
                // a peer that has already hung up.
                _exitReceived |= exit;
                await _events.WriteAsync(evt, _lifetime.Token).ConfigureAwait(false);
                if (exit)
                {
                    // Whoever receives "exit" ends the chat, as the original does.
                    await _events.WriteAsync(new SessionClosed(ByPeer: true, Reason: "exit"), _lifetime.Token).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (Volatile.Read(ref _closed) == 0 && !_exitSent)
            {
                _events.Fail(new ConnectionLostException("The connection to the seed-rsa peer failed.", e));
            }
        }
        catch (Exception e)
        {
            // Whatever the peer's data did to the reader, it ends this session, not the program.
            _events.Fail(new ProtocolViolationException("The seed-rsa peer's data could not be read: " + e.GetType().Name + ".", e));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(message);
            await ShutdownAsync(fromReadLoop: true).ConfigureAwait(false);
        }
    }

    private SessionEvent Open(byte[] message)
    {
        byte[] ciphertext = message[..BlockBytes];
        byte[]? plaintext = null;
        try
        {
            plaintext = _key.Decrypt(ciphertext, RSAEncryptionPadding.OaepSHA256);
            bool valid = RsaPss.Verify(_peer, plaintext, message.AsSpan(BlockBytes));
            string text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(plaintext);
            return new TextReceived(text, DateTimeOffset.Now, ciphertext) { Check = new TextCheck(TextCheckKind.Signature, valid) };
        }
        catch (CryptographicException)
        {
            return new UnreadableData("a message could not be decrypted with this session's key (tampered with, or not meant for us)");
        }
        catch (DecoderFallbackException)
        {
            return new UnreadableData("a message decrypted to text that is not UTF-8");
        }
        finally
        {
            if (plaintext is not null)
            {
                CryptographicOperations.ZeroMemory(plaintext);
            }
        }
    }

    /// <summary>Ends the chat as the original does: sends "exit" (encrypted and signed) unless either side has said it already, closes, and erases the keys.</summary>
    public async ValueTask CloseAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _closed) == 0 && !_exitSent && !_exitReceived)
        {
            try
            {
                // Bounded: a peer that stopped reading must not keep the keys alive.
                await SendTextAsync("exit", cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SecureChatException or InvalidOperationException or OperationCanceledException or TimeoutException)
            {
                // Closing anyway.
            }
        }

        await ShutdownAsync(fromReadLoop: false).ConfigureAwait(false);
    }

    private async Task ShutdownAsync(bool fromReadLoop)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            if (!fromReadLoop)
            {
                await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            return;
        }

        try
        {
            if (_stream is NetworkStream network)
            {
                network.Socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (SocketException)
        {
            // Already gone.
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (!fromReadLoop)
        {
            await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _sendLock.WaitAsync().ConfigureAwait(false);
        _key.Dispose();
        _peer.Dispose();
        _sendLock.Release();
        KeysErased = true;
        _events.Complete();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => CloseAsync();
}
