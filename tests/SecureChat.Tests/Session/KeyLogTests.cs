using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.Session;

public class KeyLogTests
{
    private static List<(string Label, byte[] Key)> Read(string path) =>
        [.. File.ReadAllLines(path).Select(line => line.Split(' ')).Select(p => (p[0], Convert.FromHexString(p[1])))];

    [Fact]
    public async Task Key_log_names_every_secret_and_its_transport_keys_decrypt_the_traffic()
    {
        string clientLog = Path.GetTempFileName();
        try
        {
            var (client, server) = await Loopback.PairAsync(
                new SessionOptions { KeyLogFile = clientLog },
                new SessionOptions { KeyLogFile = null, CaptureCiphertext = true });
            await using (client)
            await using (server)
            {
                for (int i = 0; i < 3; i++)
                {
                    await client.SendTextAsync($"logged {i}");
                }

                var received = new List<TextReceived>();
                for (int i = 0; i < 3; i++)
                {
                    received.Add(await server.NextAsync<TextReceived>());
                }

                var lines = Read(clientLog);
                Assert.All(lines, l => Assert.Equal(32, l.Key.Length));
                // XXhfs (mode 1): MixKey for ee, ff, es, se — each logs the chaining key and the handshake key.
                Assert.Equal(4, lines.Count(l => l.Label == "CHAINING_KEY"));
                Assert.Equal(4, lines.Count(l => l.Label == "HANDSHAKE_KEY"));
                Assert.DoesNotContain(lines, l => l.Label == "PSK");
                // After Split, and after each of the three messages' rekeys.
                var sendKeys = lines.Where(l => l.Label == "TRANSPORT_KEY_I2R").Select(l => l.Key).ToList();
                Assert.Equal(4, sendKeys.Count);
                // After Split, and after the rekey that follows READY (the responder's first transport message).
                Assert.Equal(2, lines.Count(l => l.Label == "TRANSPORT_KEY_R2I"));
                Assert.Equal(sendKeys.Count, sendKeys.Distinct(ByteArrayComparer.Instance).Count());

                // A reviewer with the log reads the traffic: message n was sealed under key n at nonce n.
                for (int n = 0; n < 3; n++)
                {
                    byte[] frame = received[n].Ciphertext!;
                    byte[] nonce = new byte[12];
                    nonce[11] = (byte)n;
                    byte[] plaintext = new byte[frame.Length - 16];
                    using var aes = new AesGcm(sendKeys[n], 16);
                    aes.Decrypt(nonce, frame.AsSpan(0, frame.Length - 16), frame.AsSpan(frame.Length - 16), plaintext);
                    Assert.Equal(0x01, plaintext[0]);
                    Assert.Equal($"logged {n}", System.Text.Encoding.UTF8.GetString(plaintext.AsSpan(1)));

                    // ...and no other key opens it: each message has a key of its own.
                    using var other = new AesGcm(sendKeys[(n + 1) % 4], 16);
                    Assert.Throws<AuthenticationTagMismatchException>(() =>
                        other.Decrypt(nonce, frame.AsSpan(0, frame.Length - 16), frame.AsSpan(frame.Length - 16), plaintext));
                }
            }
        }
        finally
        {
            File.Delete(clientLog);
        }
    }

    [Fact]
    public async Task Key_log_in_psk_mode_names_the_psk_and_the_e_mix_keys_and_both_sides_log_the_same_keys()
    {
        string clientLog = Path.GetTempFileName();
        string serverLog = Path.GetTempFileName();
        try
        {
            using var a = SecureChat.Identity.Passphrase.FromChars("logged passphrase");
            using var b = SecureChat.Identity.Passphrase.FromChars("logged passphrase");
            var (client, server) = await Loopback.PairAsync(
                new SessionOptions { Passphrase = a, KeyLogFile = clientLog },
                new SessionOptions { Passphrase = b, KeyLogFile = serverLog });
            await client.DisposeAsync();
            await server.DisposeAsync();

            var clientLines = Read(clientLog);
            var serverLines = Read(serverLog);

            // XXhfs+psk3 (mode 2): MixKey for the two e tokens (Noise §9), ee, ff, es, se, and the psk's MixKeyAndHash.
            Assert.Equal(7, clientLines.Count(l => l.Label == "CHAINING_KEY"));
            Assert.Equal(7, clientLines.Count(l => l.Label == "HANDSHAKE_KEY"));
            var psk = Assert.Single(clientLines, l => l.Label == "PSK");
            Assert.Equal(psk.Key, Assert.Single(serverLines, l => l.Label == "PSK").Key);

            // Both sides went through the same handshake keys, in the same order.
            Assert.Equal(
                clientLines.Where(l => l.Label is "CHAINING_KEY" or "HANDSHAKE_KEY").Select(l => Convert.ToHexString(l.Key)),
                serverLines.Where(l => l.Label is "CHAINING_KEY" or "HANDSHAKE_KEY").Select(l => Convert.ToHexString(l.Key)));
            Assert.Equal(
                clientLines.Where(l => l.Label == "TRANSPORT_KEY_R2I").Select(l => Convert.ToHexString(l.Key)).First(),
                serverLines.Where(l => l.Label == "TRANSPORT_KEY_R2I").Select(l => Convert.ToHexString(l.Key)).First());
        }
        finally
        {
            File.Delete(clientLog);
            File.Delete(serverLog);
        }
    }

    [Fact]
    public async Task Key_log_file_is_created_readable_by_its_owner_only()
    {
        string directory = Directory.CreateTempSubdirectory("securechat-keylog-").FullName;
        string log = Path.Combine(directory, "keys.log");
        try
        {
            var (client, server) = await Loopback.PairAsync(new SessionOptions { KeyLogFile = log }, new SessionOptions { KeyLogFile = null });
            await client.DisposeAsync();
            await server.DisposeAsync();
            Assert.True(new FileInfo(log).Length > 0);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(log));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string NewDirectory() => Directory.CreateTempSubdirectory("securechat-keylog-").FullName;

    [Fact]
    public void An_existing_key_log_readable_by_others_is_refused_with_what_to_do()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string directory = NewDirectory();
        string log = Path.Combine(directory, "keys.log");
        try
        {
            File.WriteAllText(log, "");
            File.SetUnixFileMode(log, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            var error = Assert.Throws<IOException>(() => KeyLog.Open(log));
            Assert.Contains($"chmod 600 {log}", error.Message, StringComparison.Ordinal);
            Assert.Contains("0644", error.Message, StringComparison.Ordinal);

            // After the fix it suggests, the same file is used (and its mode kept).
            File.SetUnixFileMode(log, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            using (KeyLog? opened = KeyLog.Open(log))
            {
                opened!.Write("TEST", [1, 2]);
            }

            Assert.Equal("TEST 0102\n", File.ReadAllText(log));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_key_log_path_that_is_a_symbolic_link_is_refused_and_its_target_untouched()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string directory = NewDirectory();
        string target = Path.Combine(directory, "target");
        string link = Path.Combine(directory, "keys.log");
        string dangling = Path.Combine(directory, "dangling.log");
        try
        {
            File.WriteAllText(target, "mine\n");
            File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.CreateSymbolicLink(link, target);
            var error = Assert.Throws<IOException>(() => KeyLog.Open(link));
            Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
            Assert.Equal("mine\n", File.ReadAllText(target));

            // A link to nothing yet would create its target with whatever the link says: refused too.
            File.CreateSymbolicLink(dangling, Path.Combine(directory, "created-through-link"));
            Assert.Throws<IOException>(() => KeyLog.Open(dangling));
            Assert.False(File.Exists(Path.Combine(directory, "created-through-link")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_key_log_path_that_is_not_a_regular_file_is_refused()
    {
        string directory = NewDirectory();
        try
        {
            var error = Assert.Throws<IOException>(() => KeyLog.Open(directory));
            Assert.Contains("new file", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => BitConverter.ToInt32(obj, 0);
    }
}
