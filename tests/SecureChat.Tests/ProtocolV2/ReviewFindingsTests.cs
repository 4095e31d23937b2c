using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.ProtocolV2;

/// <summary>Findings of the review of protocol v2, kept as regression tests (each asserts what issue 12 / docs/PROTOCOL.md requires).</summary>
public sealed class ReviewFindingsTests
{
    /// <summary>FIPS 203 §7.2 modulus check (docs/PROTOCOL.md §3.3): an ek with a coefficient ≥ q must abort.</summary>
    [Fact]
    public void An_ML_KEM_encapsulation_key_with_a_coefficient_above_q_is_refused()
    {
        using MlKem768KeyPair pair = MlKem768KeyPair.Generate();
        byte[] ek = pair.PublicKey.ToArray();
        ek[0] = 0xFF;
        ek[1] |= 0x0F; // coefficient 0 = 0xFFF = 4095 ≥ q = 3329
        byte[] ct = new byte[MlKem768KeyPair.CiphertextSize];
        byte[] ss = new byte[MlKem768KeyPair.SharedSecretSize];
        Assert.Throws<ProtocolViolationException>(() => MlKem768KeyPair.Encapsulate(ek, ct, ss));
    }

    /// <summary>
    /// docs/PROTOCOL.md §3.5, responder on msg1, step (3): in mode 2 a failed decryption of msg1's f or
    /// payload is a protocol error ("no secret is involved yet"), not an integrity failure.
    /// </summary>
    [Fact]
    public async Task A_tampered_mode2_msg1_is_a_protocol_error()
    {
        using var pa = Passphrase.FromChars("pw");
        using var pb = Passphrase.FromChars("pw");
        using var listener = Loopback.Listen();
        Task<SecureChatSession> server = Loopback.AcceptOneAsync(listener, Loopback.Options(pb));
        await using var proxy = new TamperingProxy(listener.Port(), (index, body) =>
        {
            if (index == 1)
            {
                body = (byte[])body.Clone();
                body[1 + 32 + 10] ^= 1; // inside enc(ek)
            }

            return [body];
        });
        Task<SecureChatSession> client = SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Loopback.Options(pa)).AsTask();
        Exception error = await Assert.ThrowsAnyAsync<SecureChatException>(() => server.WaitAsync(Loopback.Timeout));
        Assert.IsType<ProtocolViolationException>(error); // today: IntegrityException
        await Assert.ThrowsAnyAsync<Exception>(() => client.WaitAsync(Loopback.Timeout));
    }

    /// <summary>
    /// docs/PROTOCOL.md §8: once msg3 is sent the attempt is spent "whatever follows". A cancelled
    /// handshake (Ctrl+C, or a caller's token) after msg3 surfaces as a bare OperationCanceledException
    /// that carries no PassphraseAttemptSpent, so the caller cannot tell the code is used up.
    /// </summary>
    [Fact]
    public async Task Cancelling_after_msg3_still_reports_the_attempt_as_spent()
    {
        using var pa = Passphrase.FromChars("pw");
        using var pb = Passphrase.FromChars("pw");
        using var listener = Loopback.Listen();
        Task<SecureChatSession> server = Loopback.AcceptOneAsync(listener, Loopback.Options(pb));
        var msg3Seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var proxy = new TamperingProxy(
            listener.Port(),
            (index, body) =>
            {
                if (index == 2)
                {
                    msg3Seen.TrySetResult();
                }

                return [body];
            },
            (index, body) => index == 1 ? [] : [body]); // READY never arrives
        using var cancel = new CancellationTokenSource();
        Task<SecureChatSession> client = SecureChatSession.ConnectAsync("127.0.0.1", proxy.Port, Loopback.Options(pa), cancel.Token).AsTask();
        await msg3Seen.Task.WaitAsync(Loopback.Timeout);
        await cancel.CancelAsync();
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => client.WaitAsync(Loopback.Timeout));
        Assert.True(error is SecureChatException { PassphraseAttemptSpent: true }, $"got {error.GetType().Name} without PassphraseAttemptSpent");
        try
        {
            await (await server.WaitAsync(Loopback.Timeout)).DisposeAsync();
        }
        catch (SecureChatException)
        {
        }
    }
}
