using System.Security.Cryptography;

namespace SecureChat.Relay.Nameplates;

/// <summary>
/// The order nameplates are handed out in (issue 13): the smallest free in 1–99, then the smallest
/// free in 100–999, then random from the system CSPRNG in 1,000–999,999. Short codes while the
/// relay is quiet; never derived from a secret.
/// </summary>
internal static class NameplateOrder
{
    /// <summary>The largest nameplate (six digits).</summary>
    public const int Max = 999_999;

    /// <summary>How many random picks are tried before the relay reports itself full.</summary>
    public const int RandomAttempts = 64;

    /// <summary>The next nameplate for which <paramref name="isFree"/> holds, or null.</summary>
    public static int? Next(Func<int, bool> isFree)
    {
        ArgumentNullException.ThrowIfNull(isFree);
        for (int n = 1; n <= 999; n++)
        {
            if (isFree(n))
            {
                return n;
            }
        }

        for (int i = 0; i < RandomAttempts; i++)
        {
            int n = RandomNumberGenerator.GetInt32(1_000, Max + 1);
            if (isFree(n))
            {
                return n;
            }
        }

        return null;
    }
}
