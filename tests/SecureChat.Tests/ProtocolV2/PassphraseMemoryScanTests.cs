using System.Security.Cryptography;
using SecureChat.Crypto;
using SecureChat.Identity;
using SecureChat.Session;
using SecureChat.Tests.Support;

namespace SecureChat.Tests.ProtocolV2;

/// <summary>The passphrase must not survive in memory outside its pinned, wiped buffers.</summary>
[Collection(nameof(SecureChat.Tests.Session.MemoryScans))]
public sealed class PassphraseMemoryScanTests
{
    [Fact]
    public void Nfc_normalising_a_passphrase_leaves_no_copy_of_it_in_memory()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // 20 random vowels each followed by U+0301: NFC composes every pair (á é í ó ú ý ...), so ICU works.
        const string Vowels = "aeiouyAEIOUY";
        const string Composed = "\u00e1\u00e9\u00ed\u00f3\u00fa\u00fd\u00c1\u00c9\u00cd\u00d3\u00da\u00dd";
        byte[] picks = RandomNumberGenerator.GetBytes(20);
        char[] typed = GC.AllocateArray<char>(40, pinned: true);
        Span<byte> utf16 = stackalloc byte[32];
        Span<byte> utf8 = stackalloc byte[32];
        var needles = new List<ProcessMemory.MaskedKey>();
        try
        {
            for (int i = 0; i < 20; i++)
            {
                int v = picks[i] % Vowels.Length;
                typed[2 * i] = Vowels[v];
                typed[(2 * i) + 1] = '\u0301';
                char c = Composed[v];
                if (i < 16)
                {
                    utf16[2 * i] = (byte)c;
                    utf16[(2 * i) + 1] = (byte)(c >> 8);
                    utf8[2 * i] = (byte)(0xC0 | (c >> 6));
                    utf8[(2 * i) + 1] = (byte)(0x80 | (c & 0x3F));
                }
            }

            needles.Add(ProcessMemory.Needle("NFC passphrase as UTF-16", utf16));
            needles.Add(ProcessMemory.Needle("NFC passphrase as UTF-8", utf8));
            using (Passphrase.FromChars(typed))
            {
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(System.Runtime.InteropServices.MemoryMarshal.AsBytes(typed.AsSpan()));
            utf16.Clear();
            utf8.Clear();
            CryptographicOperations.ZeroMemory(picks);
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Empty(ProcessMemory.FindKeys(needles));
    }
}
