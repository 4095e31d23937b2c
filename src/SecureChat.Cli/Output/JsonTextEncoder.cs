using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace SecureChat.Cli.Output;

/// <summary>
/// The encoder for --json: <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/> (so é, 中 and
/// emoji stay readable UTF-8, and '"', '\' and C0 controls are escaped as JSON requires), plus a
/// \uXXXX escape for every code point that is invisible or changes how text around it is shown:
/// controls (general category Cc, so C1 as well), format characters (Cf: bidi overrides and
/// isolates U+202A–U+202E and U+2066–U+2069, zero-width U+200B–U+200F and U+2060–U+2064, U+FEFF,
/// U+061C, U+180E, tag characters, …) and the line and paragraph separators U+2028/U+2029.
/// A consumer that prints a decoded field must still sanitise it; this keeps the raw line safe to
/// look at (a log, `cat`, a JavaScript embedding) and makes hostile characters visible in it.
/// Unlike the relaxed encoder alone, assigned code points above U+FFFF (emoji) stay readable too.
/// Unpaired surrogates cannot be written as UTF-8: the writer replaces them with U+FFFD.
/// </summary>
internal sealed class JsonTextEncoder : JavaScriptEncoder
{
    private static readonly JavaScriptEncoder Inner = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>The one instance; the encoder has no state.</summary>
    public static JsonTextEncoder Instance { get; } = new();

    private JsonTextEncoder()
    {
    }

    /// <summary>"\uXXXX\uXXXX" for a code point outside the BMP (a surrogate pair, each escaped).</summary>
    public override int MaxOutputCharactersPerInputCharacter => Math.Max(12, Inner.MaxOutputCharactersPerInputCharacter);

    public override bool WillEncode(int unicodeScalar) =>
        MustEscape(unicodeScalar) || (unicodeScalar <= 0xFFFF ? Inner.WillEncode(unicodeScalar) : !IsAssignedPublic(unicodeScalar));

    /// <summary>
    /// The relaxed encoder escapes every code point above U+FFFF, emoji included; those stay raw here
    /// unless unassigned or private use, which the relaxed encoder escapes in the BMP too.
    /// </summary>
    private static bool IsAssignedPublic(int unicodeScalar) =>
        Rune.IsValid(unicodeScalar)
        && Rune.GetUnicodeCategory(new Rune(unicodeScalar)) is not (UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse);

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        var span = new ReadOnlySpan<char>(text, textLength);
        int index = 0;
        while (index < span.Length)
        {
            if (Rune.DecodeFromUtf16(span[index..], out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                return index; // an unpaired surrogate
            }

            if (WillEncode(rune.Value))
            {
                return index;
            }

            index += used;
        }

        return -1;
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text)
    {
        int index = 0;
        while (index < utf8Text.Length)
        {
            if (Rune.DecodeFromUtf8(utf8Text[index..], out Rune rune, out int used) != System.Buffers.OperationStatus.Done)
            {
                return index; // invalid UTF-8
            }

            if (WillEncode(rune.Value))
            {
                return index;
            }

            index += used;
        }

        return -1;
    }

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        if (!MustEscape(unicodeScalar))
        {
            return Inner.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);
        }

        var destination = new Span<char>(buffer, bufferLength);
        Span<char> units = stackalloc char[2];
        int count = (Rune.IsValid(unicodeScalar) ? new Rune(unicodeScalar) : Rune.ReplacementChar).EncodeToUtf16(units);
        numberOfCharactersWritten = 0;
        if (destination.Length < count * 6)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            bool written = destination[(i * 6)..].TryWrite(CultureInfo.InvariantCulture, $"\\u{(int)units[i]:X4}", out _);
            if (!written)
            {
                return false;
            }
        }

        numberOfCharactersWritten = count * 6;
        return true;
    }

    /// <summary>The code points escaped on top of what the relaxed encoder escapes.</summary>
    internal static bool MustEscape(int unicodeScalar)
    {
        if (!Rune.IsValid(unicodeScalar))
        {
            return true;
        }

        return Rune.GetUnicodeCategory(new Rune(unicodeScalar)) is UnicodeCategory.Control
            or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator
            || IsInvisible(unicodeScalar);
    }

    /// <summary>
    /// Invisible code points that are not format characters: the rest of Unicode's
    /// Default_Ignorable_Code_Point property (combining grapheme joiner, Hangul fillers, Khmer
    /// inherent vowels, Mongolian and other variation selectors, U+FFF0–U+FFF8, the tag and
    /// variation-selector supplement block U+E0000–U+E0FFF), plus the blank braille pattern and the
    /// object replacement character, which render as nothing or as a box a peer could use to hide text.
    /// </summary>
    private static bool IsInvisible(int c) => c switch
    {
        0x034F or 0x3164 or 0xFFA0 or 0x2800 or 0xFFFC => true,
        >= 0x115F and <= 0x1160 => true,
        >= 0x17B4 and <= 0x17B5 => true,
        >= 0x180B and <= 0x180F => true,
        >= 0x2060 and <= 0x206F => true,
        >= 0xFE00 and <= 0xFE0F => true,
        >= 0xFFF0 and <= 0xFFF8 => true,
        >= 0x1BCA0 and <= 0x1BCA3 => true,
        >= 0x1D173 and <= 0x1D17A => true,
        >= 0xE0000 and <= 0xE0FFF => true,
        _ => false,
    };
}
