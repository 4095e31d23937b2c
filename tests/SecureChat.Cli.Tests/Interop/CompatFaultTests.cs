using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SecureChat.Cli.Tests.Support;

namespace SecureChat.Cli.Tests.Interop;

/// <summary>
/// The compatibility modes against peers that misbehave: hand-made bytes on a raw socket where the
/// Python re-creations of the originals would be too polite.
/// </summary>
public class CompatFaultTests
{
    private static Dictionary<string, string> Env(string passphrase) => new() { ["SECURECHAT_SEED_AES_PASSPHRASE"] = passphrase };

    private static async Task<NetworkStream> ConnectAsync(int port)
    {
        var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        return client.GetStream();
    }

    /// <summary>Reads the listener's PEM key, as the original client does, and answers with a fresh one.</summary>
    private static async Task<(NetworkStream Stream, RSA Listener, RSA Ours)> SeedRsaClientAsync(int port)
    {
        NetworkStream stream = await ConnectAsync(port);
        var pem = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (!pem.ToString().Contains("-----END PUBLIC KEY-----\n", StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer);
            Assert.NotEqual(0, read);
            pem.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        var listener = RSA.Create();
        listener.ImportFromPem(pem.ToString());
        var ours = RSA.Create(2048);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(ours.ExportSubjectPublicKeyInfoPem() + "\n"));
        return (stream, listener, ours);
    }

    [Fact]
    public async Task Seed_rsa_peer_that_never_sends_its_key_times_out_with_exit_5()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--compat", "seed-rsa", "--handshake-timeout", "1");
        await using (listener)
        using (NetworkStream silent = await ConnectAsync(port))
        {
            JsonElement error = await listener.EventAsync("error");
            Assert.Equal("timeout", error.GetProperty("code").GetString());
            Assert.Contains("seed-rsa", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal(5, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Seed_rsa_peer_that_disappears_without_exit_is_a_lost_connection()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--compat", "seed-rsa");
        await using (listener)
        {
            var (stream, listenerKey, ours) = await SeedRsaClientAsync(port);
            using (listenerKey)
            using (ours)
            {
                await listener.EventAsync("compat");
                stream.Dispose();
            }

            Assert.Equal("connection-lost", (await listener.EventAsync("closed")).GetProperty("reason").GetString());
            Assert.Equal(5, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Seed_rsa_message_cut_short_is_a_protocol_error()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--compat", "seed-rsa");
        await using (listener)
        {
            var (stream, listenerKey, ours) = await SeedRsaClientAsync(port);
            using (listenerKey)
            using (ours)
            {
                await listener.EventAsync("compat");
                await stream.WriteAsync(listenerKey.Encrypt("cut"u8.ToArray(), RSAEncryptionPadding.OaepSHA256));
                stream.Dispose();
            }

            JsonElement error = await listener.EventAsync("error");
            Assert.Equal("protocol", error.GetProperty("code").GetString());
            Assert.Contains("seed-rsa", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("SecureChat peer", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Equal(4, await listener.ExitCodeAsync());
        }
    }

    [Fact]
    public async Task Seed_rsa_message_with_a_bad_signature_is_shown_as_invalid_not_accepted()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, null, "--compat", "seed-rsa");
        await using (listener)
        {
            var (stream, listenerKey, ours) = await SeedRsaClientAsync(port);
            using (stream)
            using (listenerKey)
            using (ours)
            {
                await listener.EventAsync("compat");
                byte[] text = "forged"u8.ToArray();
                await stream.WriteAsync(listenerKey.Encrypt(text, RSAEncryptionPadding.OaepSHA256));
                // Signed by a key that is not the one this peer sent: a forgery.
                using var other = RSA.Create(2048);
                await stream.WriteAsync(other.SignData(text, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
                JsonElement received = await listener.EventAsync("received");
                Assert.Equal("forged", received.GetProperty("text").GetString());
                Assert.False(received.GetProperty("signature_valid").GetBoolean());

                // A .NET PSS signature (salt 32) by the right key verifies: any salt length is accepted.
                text = "genuine"u8.ToArray();
                await stream.WriteAsync(listenerKey.Encrypt(text, RSAEncryptionPadding.OaepSHA256));
                await stream.WriteAsync(ours.SignData(text, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
                received = await listener.EventAsync("received");
                Assert.Equal("genuine", received.GetProperty("text").GetString());
                Assert.True(received.GetProperty("signature_valid").GetBoolean());
            }
        }
    }

    private static byte[] SeedAesEncrypt(string passphrase, string json)
    {
        int padded = (json.Length + 15) / 16 * 16;
        using var aes = Aes.Create();
        aes.Key = SHA256.HashData(Encoding.UTF8.GetBytes(passphrase));
        return aes.EncryptEcb(Encoding.ASCII.GetBytes(json.PadRight(padded, '~')), PaddingMode.None);
    }

    [Fact]
    public async Task Seed_aes_text_that_is_not_unicode_is_an_integrity_error_and_the_chat_goes_on()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, Env("pw"), "--compat", "seed-aes");
        await using (listener)
        using (NetworkStream stream = await ConnectAsync(port))
        {
            await listener.EventAsync("compat");
            await stream.WriteAsync(SeedAesEncrypt("pw", "{\"timestamp\": \"01:02:03\", \"message\": \"\\ud800\", \"hash\": \"00\"}"));
            JsonElement error = await listener.EventAsync("error");
            Assert.Equal("integrity", error.GetProperty("code").GetString());
            Assert.Contains("Unicode", error.GetProperty("message").GetString(), StringComparison.Ordinal);

            await Task.Delay(100);
            string hash = Convert.ToHexStringLower(SHA256.HashData("still here"u8));
            await stream.WriteAsync(SeedAesEncrypt("pw", "{\"timestamp\": \"01:02:04\", \"message\": \"still here\", \"hash\": \"" + hash + "\"}"));
            JsonElement received = await listener.EventAsync("received");
            Assert.Equal("still here", received.GetProperty("text").GetString());
            Assert.True(received.GetProperty("verified").GetBoolean());

            // An upper-case hash is not what the original writes: shown, but not verified.
            await Task.Delay(100);
            await stream.WriteAsync(SeedAesEncrypt("pw", "{\"timestamp\": \"01:02:05\", \"message\": \"still here\", \"hash\": \"" + hash.ToUpperInvariant() + "\"}"));
            Assert.False((await listener.EventAsync("received")).GetProperty("verified").GetBoolean());
        }
    }

    [Fact]
    public async Task Seed_aes_passphrase_is_used_byte_for_byte_as_the_original_does()
    {
        // "é" as e + U+0301: NFC would change the bytes, and so the original's key.
        const string decomposed = "cafe\u0301 pass";
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, Env(decomposed), "--compat", "seed-aes");
        await using (listener)
        await using (SeedPeer original = SeedPeer.Start("seed_aes_peer.py", "client", port, decomposed))
        {
            await original.EventAsync("connected");
            await original.SendAsync("same bytes, same key");
            JsonElement received = await listener.EventAsync("received");
            Assert.Equal("same bytes, same key", received.GetProperty("text").GetString());
            Assert.True(received.GetProperty("verified").GetBoolean());
        }
    }

    [Fact]
    public async Task Seed_aes_listener_in_a_conversation_hangs_up_on_others_without_sending_anything()
    {
        using var home = new TempHome();
        var (listener, port) = await Launch.ListenAsync(home.Path, Env("pw"), "--compat", "seed-aes");
        await using (listener)
        using (NetworkStream first = await ConnectAsync(port))
        {
            await listener.EventAsync("compat");
            using NetworkStream second = await ConnectAsync(port);
            byte[] buffer = new byte[64];
            using var timeout = new CancellationTokenSource(CliProcess.Timeout);
            int read;
            try
            {
                read = await second.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                read = 0; // reset: also nothing received
            }

            Assert.Equal(0, read);
        }
    }
}
