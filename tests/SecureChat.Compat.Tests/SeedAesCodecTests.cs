using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using SecureChat.Compat;

namespace SecureChat.Compat.Tests;

public class SeedAesCodecTests
{
    private static readonly string[] Texts =
    [
        "",
        "plain",
        "quote \" backslash \\ slash / tab \t newline \n cr \r bell \u0007 del \u007f",
        "héllo wörld — 你好",
        "emoji 👋🔐 beyond the BMP",
        "tilde ~ inside",
    ];

    /// <summary>Python's json.dumps with its defaults, run on this machine, is the reference.</summary>
    private static string PythonDumps(string text)
    {
        var info = new ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false, StandardInputEncoding = new UTF8Encoding(false) };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import json,sys; sys.stdout.write(json.dumps({'timestamp': '12:34:56', 'message': sys.stdin.read(), 'hash': 'h'}))");
        using var python = Process.Start(info)!;
        python.StandardInput.Write(text);
        python.StandardInput.Close();
        string output = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        return output;
    }

    [Fact]
    public void Json_is_written_exactly_as_python_json_dumps_writes_it()
    {
        foreach (string text in Texts)
        {
            var mine = new StringBuilder();
            mine.Append("{\"timestamp\": \"12:34:56\", \"message\": ");
            PythonJson.AppendString(mine, text);
            mine.Append(", \"hash\": \"h\"}");
            Assert.Equal(PythonDumps(text), mine.ToString());
        }
    }

    [Fact]
    public void Encoded_messages_are_ascii_padded_with_tildes_to_whole_blocks_and_decode_back()
    {
        foreach (string text in Texts)
        {
            byte[] encoded = SeedAesMessage.Encode(text, "01:02:03");
            Assert.Equal(0, encoded.Length % 16);
            Assert.All(encoded, b => Assert.InRange(b, (byte)0x20, (byte)0x7E));
            string json = Encoding.ASCII.GetString(encoded).TrimEnd('~');
            Assert.DoesNotContain('~', json.Replace("\\u007e", "", StringComparison.Ordinal));
            SeedAesDecoded decoded = SeedAesMessage.Decode(Encoding.ASCII.GetBytes(json));
            Assert.Equal(text, decoded.Text);
            Assert.Equal("01:02:03", decoded.Timestamp);
            Assert.True(decoded.Verified);
        }
    }

    [Fact]
    public void A_hash_that_does_not_match_the_text_is_reported_not_hidden()
    {
        string json = "{\"timestamp\": \"01:02:03\", \"message\": \"hi\", \"hash\": \"" + new string('0', 64) + "\"}";
        Assert.False(SeedAesMessage.Decode(Encoding.ASCII.GetBytes(json)).Verified);
        Assert.Throws<InvalidDataException>(() => SeedAesMessage.Decode("{\"message\": 5}"u8));
    }

    public static TheoryData<int> Chunks => [1, 7, 16, 33, 1024, 100_000];

    [Theory]
    [MemberData(nameof(Chunks))]
    public void Stream_decoder_finds_every_message_however_the_stream_is_cut(int chunk)
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        using var aes = Aes.Create();
        aes.Key = key;
        byte[] stream = [.. Texts.SelectMany(t => aes.EncryptEcb(SeedAesMessage.Encode(t, "00:00:00"), PaddingMode.None))];
        var decoder = new SeedAesStreamDecoder((blocks, plaintext) => aes.DecryptEcb(blocks, plaintext, PaddingMode.None));
        var found = new List<string>();
        for (int i = 0; i < stream.Length; i += chunk)
        {
            decoder.Feed(stream.AsSpan(i, Math.Min(chunk, stream.Length - i)));
            while (decoder.TakeMessage() is { } json)
            {
                found.Add(SeedAesMessage.Decode(json).Text);
            }
        }

        Assert.Equal(Texts, found);
    }

    [Fact]
    public void Stream_decoder_leaves_no_plaintext_in_its_buffer_once_messages_are_taken_or_it_is_disposed()
    {
        using var aes = Aes.Create();
        byte[] first = aes.EncryptEcb(SeedAesMessage.Encode("first secret", "00:00:00"), PaddingMode.None);
        byte[] second = aes.EncryptEcb(SeedAesMessage.Encode("second secret", "00:00:01"), PaddingMode.None);
        using var decoder = new SeedAesStreamDecoder((blocks, plaintext) => aes.DecryptEcb(blocks, plaintext, PaddingMode.None));

        // Both messages in one read, plus half of the second once more (still pending).
        decoder.Feed([.. first, .. second, .. second.AsSpan(0, 40)]);
        for (int i = 0; i < 2; i++)
        {
            byte[] json = decoder.TakeMessage()!;
            Assert.Contains("secret", Encoding.ASCII.GetString(json), StringComparison.Ordinal);
            CryptographicOperations.ZeroMemory(json);
        }

        Assert.Null(decoder.TakeMessage());
        string left = Encoding.ASCII.GetString(decoder.PlaintextBufferForTests).TrimEnd('\0');
        Assert.DoesNotContain("first secret", left, StringComparison.Ordinal);
        Assert.StartsWith("{\"timestamp\": \"00:00:01\"", left, StringComparison.Ordinal); // only the pending part
        Assert.Equal(32, left.Length);

        decoder.Dispose();
        Assert.True(decoder.PlaintextBufferForTests.IndexOfAnyExcept((byte)0) < 0);
    }

    [Fact]
    public void Stream_decoder_reports_data_under_the_wrong_key()
    {
        using var right = Aes.Create();
        using var wrong = Aes.Create();
        byte[] stream = right.EncryptEcb(SeedAesMessage.Encode("secret", "00:00:00"), PaddingMode.None);
        var decoder = new SeedAesStreamDecoder((blocks, plaintext) => wrong.DecryptEcb(blocks, plaintext, PaddingMode.None));
        decoder.Feed(stream);
        var error = Assert.Throws<InvalidDataException>(() => decoder.TakeMessage());
        Assert.Contains("passphrases differ", error.Message, StringComparison.Ordinal);
        Assert.Null(decoder.TakeMessage()); // the garbage was dropped; the stream can go on
    }

    [Fact]
    public void A_lone_surrogate_escape_is_a_format_error_not_a_crash()
    {
        var error = Assert.Throws<InvalidDataException>(() =>
            SeedAesMessage.Decode("{\"timestamp\": \"01:02:03\", \"message\": \"\\ud800\", \"hash\": \"00\"}"u8));
        Assert.Contains("Unicode", error.Message, StringComparison.Ordinal);
    }
}
