using System.Globalization;

namespace SecureChat.Cli.Commands;

/// <summary>
/// Sizes typed on the command line (--max-file-size): bytes ("1048576"), or a number with K, M, G
/// or T for powers of 1024, as in head -c and dd ("500M", "2G", "1.5T"; case does not matter, a
/// trailing B or iB is allowed).
/// </summary>
internal static class ByteSize
{
    private const string Units = "KMGT";

    /// <summary>The number of bytes <paramref name="text"/> stands for; false when it is not a size or overflows.</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        string number = text.Trim();
        if (number.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
        {
            number = number[..^2];
        }
        else if (number.EndsWith('B') || number.EndsWith('b'))
        {
            number = number[..^1];
        }

        int power = 0;
        if (number.Length > 0 && Units.IndexOf(char.ToUpperInvariant(number[^1]), StringComparison.Ordinal) is int unit and >= 0)
        {
            power = unit + 1;
            number = number[..^1];
        }

        // Digits, with a fraction only before a unit (there is no half byte).
        if (number.Length == 0 || !number.All(c => char.IsAsciiDigit(c) || (c == '.' && power > 0))
            || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
        {
            return false;
        }

        try
        {
            decimal total = decimal.Round(value * (decimal)Math.Pow(1024, power), MidpointRounding.AwayFromZero);
            if (total > long.MaxValue)
            {
                return false;
            }

            bytes = (long)total;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
