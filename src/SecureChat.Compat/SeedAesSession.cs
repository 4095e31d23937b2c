using System.Buffers;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using SecureChat.Identity;
using SecureChat.Session;

namespace SecureChat.Compat;

/// <summary>
/// --compat seed-aes: the wire protocol of the AES chat program of document 002, for talking to
/// people who still run it. AES-256 in ECB mode with key = SHA-256(passphrase), no handshake, no
/// framing, each message one write of a '~'-padded JSON object (see <see cref="SeedAesMessage"/>).
/// WEAK BY DESIGN: nothing authenticates the peer or the messages (the "hash" is recomputable),
/// messages can be replayed, reordered or dropped, and equal messages look equal on the wire.
/// </summary>
public sealed class SeedAesSession : IChatSession
{
    /// <summary>The original receiver reads one message with recv(1024).</summary>
    public const int MaxCiphertextBytes = 1024;

    private readonly Stream _stream;
    private readonly PinnedSecret _key = new(32);
    private readonly SeedAesStreamDecoder _decoder;
    /// <summary>
    /// The original reads each message with one recv(1024) and fails on two that arrive together:
    /// consecutive messages leave at least this far apart, so that they travel and are read apart.
    /// </summary>
    private static readonly TimeSpan MessageGap = TimeSpan.FromMilliseconds(60);

    private readonly CompatEvents _events = new();
    private long _lastWrite = long.MinValue;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Task _readLoop;
    private int _closed;

    private SeedAesSession(Stream stream, Passphrase passphrase, bool isInitiator)
    {
        _stream = stream;
        IsInitiator = isInitiator;
        passphrase.UseUtf8(_key, static (utf8, key) => SHA256.HashData(utf8, key.Span));
        _decoder = new SeedAesStreamDecoder(Decrypt);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <inheritdoc/>
    public bool IsInitiator { get; }

    /// <inheritdoc/>
    public string ProtocolName => "seed-aes";

    /// <inheritdoc/>
    public bool KeysErased { get; private set; }

    /// <summary>Starts a seed-aes conversation over a connected stream (either role: the protocol has no handshake).</summary>
    /// <param name="stream">The connection; the session owns it.</param>
    /// <param name="passphrase">The pre-shared passphrase (stays owned by the caller).</param>
    /// <param name="isInitiator">True for the connecting side (informational only).</param>
    public static SeedAesSession Start(Stream stream, Passphrase passphrase, bool isInitiator)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(passphrase);
        return new SeedAesSession(stream, passphrase, isInitiator);
    }

    /// <summary>The padded plaintext length of a text, to check it against <see cref="MaxCiphertextBytes"/> before sending.</summary>
    public static int EncodedLength(string text) => SeedAesMessage.Encode(text, "00:00:00").Length;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The message would exceed the 1024 bytes the original program reads at once.</exception>
    public async ValueTask<SentText> SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        DateTimeOffset now = DateTimeOffset.Now;
        byte[] plaintext = SeedAesMessage.Encode(text, now.ToString("HH:mm:ss", CultureInfo.InvariantCulture));
        if (plaintext.Length > MaxCiphertextBytes)
        {
            CryptographicOperations.ZeroMemory(plaintext);
            throw new ArgumentException($"This message encrypts to {plaintext.Length} bytes; the seed-aes program reads at most {MaxCiphertextBytes} bytes per message (non-ASCII characters take 6 bytes each). Nothing was sent.", nameof(text));
        }

        byte[] ciphertext = Encrypt(plaintext);
        CryptographicOperations.ZeroMemory(plaintext);
        await _sendLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_closed != 0, this);
            if (_lastWrite != long.MinValue)
            {
                TimeSpan wait = MessageGap - System.Diagnostics.Stopwatch.GetElapsedTime(_lastWrite);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _lifetime.Token).ConfigureAwait(false);
                }
            }

            await _stream.WriteAsync(ciphertext, _lifetime.Token).ConfigureAwait(false);
            _lastWrite = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new ConnectionLostException("The connection was lost while sending.", e);
        }
        finally
        {
            _sendLock.Release();
        }

        return new SentText(now, ciphertext);
    }

    /// <inheritdoc/>
    /// <exception cref="ConnectionLostException">The connection failed (reset), as opposed to the peer closing it.</exception>
    /// <exception cref="ProtocolViolationException">The peer's data broke the reader.</exception>
    public ValueTask<SessionEvent> ReceiveAsync(CancellationToken cancellationToken = default) => _events.ReceiveAsync(cancellationToken);

    private async Task ReadLoopAsync()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(MaxCiphertextBytes);
        try
        {
            while (true)
            {
                int read = await _stream.ReadAsync(buffer.AsMemory(0, MaxCiphertextBytes), _lifetime.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    // The original's quit() just closes the socket: that is the normal end.
                    await _events.WriteAsync(new SessionClosed(ByPeer: true, Reason: null), _lifetime.Token).ConfigureAwait(false);
                    break;
                }

                foreach (SessionEvent evt in Decode(buffer.AsSpan(0, read)))
                {
                    await _events.WriteAsync(evt, _lifetime.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            if (Volatile.Read(ref _closed) == 0)
            {
                _events.Fail(new ConnectionLostException("The connection to the seed-aes peer failed (it was reset, not closed).", e));
            }
        }
        catch (Exception e)
        {
            // Whatever the peer's data did to the reader, it ends this session, not the program.
            _events.Fail(new ProtocolViolationException("The seed-aes peer's data could not be read: " + e.GetType().Name + ".", e));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
            ArrayPool<byte>.Shared.Return(buffer);
            await ShutdownAsync(fromReadLoop: true).ConfigureAwait(false);
        }
    }

    private List<SessionEvent> Decode(ReadOnlySpan<byte> received)
    {
        var events = new List<SessionEvent>();
        try
        {
            _decoder.Feed(received);
            while (_decoder.TakeMessage() is { } json)
            {
                try
                {
                    SeedAesDecoded message = SeedAesMessage.Decode(json);
                    events.Add(new TextReceived(message.Text, DateTimeOffset.Now, Ciphertext: null)
                    {
                        Check = new TextCheck(TextCheckKind.Checksum, message.Verified),
                        SenderTimestamp = message.Timestamp,
                    });
                }
                catch (InvalidDataException e)
                {
                    events.Add(new UnreadableData(e.Message));
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(json);
                }
            }
        }
        catch (InvalidDataException e)
        {
            events.Add(new UnreadableData(e.Message));
        }

        return events;
    }

    private byte[] Encrypt(byte[] plaintext)
    {
        using var aes = Aes.Create();
        aes.SetKey(_key.Span);
        return aes.EncryptEcb(plaintext, PaddingMode.None);
    }

    private void Decrypt(ReadOnlySpan<byte> blocks, Span<byte> plaintext)
    {
        using var aes = Aes.Create();
        aes.SetKey(_key.Span);
        aes.DecryptEcb(blocks, plaintext, PaddingMode.None);
    }

    /// <inheritdoc/>
    public async ValueTask CloseAsync(string? reason = null, CancellationToken cancellationToken = default)
    {
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

        await _lifetime.CancelAsync().ConfigureAwait(false);
        try
        {
            if (_stream is NetworkStream network)
            {
                network.Socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (SocketException)
        {
            // Already gone.
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        if (!fromReadLoop)
        {
            await _readLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await _sendLock.WaitAsync().ConfigureAwait(false);
        _key.Dispose();
        _decoder.Dispose();
        _sendLock.Release();
        KeysErased = true;
        _events.Complete();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => CloseAsync();
}
