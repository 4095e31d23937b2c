using System.Globalization;
using SecureChat.Session;
using SecureChat.Transfer;

namespace SecureChat.Cli.Output;

/// <summary>How transfers look for people: sizes, speeds, and one progress line per transfer.</summary>
internal static class TransferText
{
    private const int BarWidth = 20;

    /// <summary>Progress rows shown above the input line at most; the rest are counted in one more row.</summary>
    public const int MaxStatusRows = 3;

    /// <summary>1 234 567 bytes → "1.2 MB" (decimal units, as disks and networks count).</summary>
    public static string Size(double bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        int unit = 0;
        while (bytes >= 1000 && unit < units.Length - 1)
        {
            bytes /= 1000;
            unit++;
        }

        return unit == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes:0} B")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {units[unit]}");
    }

    public static string Duration(double seconds)
    {
        if (double.IsNaN(seconds) || double.IsInfinity(seconds) || seconds < 0)
        {
            return "--:--";
        }

        var time = TimeSpan.FromSeconds(Math.Ceiling(seconds));
        return time.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{time.Minutes}:{time.Seconds:00}");
    }

    /// <summary>
    /// The rows of the status area: the first <see cref="MaxStatusRows"/> progress lines, then
    /// "… and N more transfers" when there are more (a peer may start many at once).
    /// </summary>
    public static IReadOnlyList<string> StatusRows(IReadOnlyList<string> lines) =>
        lines.Count <= MaxStatusRows
            ? lines
            : [.. lines.Take(MaxStatusRows), string.Create(CultureInfo.InvariantCulture, $"… and {lines.Count - MaxStatusRows} more transfer{(lines.Count - MaxStatusRows == 1 ? "" : "s")}")];

    /// <summary>"⇣ 2 report.pdf [#########-----------]  45%  12.3 MB/27.0 MB  1.1 GB/s  0:03 left".</summary>
    public static string ProgressLine(FileProgress progress, string name)
    {
        double fraction = progress.Total == 0 ? 1 : Math.Clamp((double)progress.Bytes / progress.Total, 0, 1);
        int filled = (int)Math.Round(fraction * BarWidth);
        string arrow = progress.Direction == TransferDirection.Incoming ? "⇣" : "⇡";
        double left = progress.BytesPerSecond > 0 ? (progress.Total - progress.Bytes) / progress.BytesPerSecond : double.NaN;
        return string.Create(CultureInfo.InvariantCulture,
            $"{arrow} {progress.Id} {name} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {fraction * 100,3:0}%  {Size(progress.Bytes)}/{Size(progress.Total)}  {Size(progress.BytesPerSecond)}/s  {Duration(left)} left");
    }
}
