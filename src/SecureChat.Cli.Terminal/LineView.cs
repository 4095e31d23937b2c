using System.Globalization;
using System.Text;

namespace SecureChat.Cli.Terminal;

/// <summary>What to draw on the input row and where the cursor goes.</summary>
/// <param name="Text">Prompt, markers and the visible part of the line; at most width − 1 columns wide.</param>
/// <param name="CursorColumn">0-based column of the cursor.</param>
/// <param name="Start">First visible cluster; pass it back as the previous start on the next redraw.</param>
internal readonly record struct LineLayout(string Text, int CursorColumn, int Start);

/// <summary>
/// Fits prompt + line into exactly one terminal row, with no I/O. A line too long for the row scrolls
/// horizontally: a window around the cursor is shown, with '&lt;' and '&gt;' marking text hidden on
/// either side. The last column is never used, so the terminal never wraps the row. The window stays
/// put while the cursor moves inside it; when the cursor leaves it, it jumps so that the cursor lands
/// in the middle, so typing at the end of a long line does not scroll at every key.
/// </summary>
internal static class LineView
{
    public const char LeftMarker = '<';
    public const char RightMarker = '>';

    /// <summary>Columns always left for the line, however long the prompt; the prompt is cut to fit.</summary>
    public const int MinInputColumns = 16;

    /// <summary>Below this many columns for the line, no markers are drawn.</summary>
    private const int MinColumnsForMarkers = 8;

    /// <summary>Used when the console reports no usable width.</summary>
    public const int FallbackWidth = 80;

    public static LineLayout Compute(string prompt, EditBuffer buffer, int width, int previousStart)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(buffer);

        int usable = Math.Max(1, (width > 0 ? width : FallbackWidth) - 1);
        string shownPrompt = Truncate(prompt, usable - Math.Min(usable, MinInputColumns), out int promptWidth);
        var window = new Window(buffer, usable - promptWidth);
        int start = window.Place(previousStart);
        Window.Fit fit = window.FitFrom(start);

        var text = new StringBuilder(shownPrompt, shownPrompt.Length + buffer.Text.Length + 2);
        if (fit.LeftMarker)
        {
            text.Append(LeftMarker);
        }

        int[] bounds = buffer.Boundaries;
        text.Append(buffer.Text, bounds[start], bounds[fit.End] - bounds[start]);
        if (fit.RightMarker)
        {
            text.Append(RightMarker);
        }

        int cursorColumn = promptWidth + (fit.LeftMarker ? 1 : 0) + window.Columns(start, buffer.CursorCluster);
        return new LineLayout(text.ToString(), cursorColumn, start);
    }

    /// <summary>The longest prefix of <paramref name="text"/> (whole clusters) at most <paramref name="maxWidth"/> columns wide.</summary>
    public static string Truncate(string text, int maxWidth, out int width)
    {
        ArgumentNullException.ThrowIfNull(text);
        width = 0;
        int index = 0;
        while (index < text.Length)
        {
            int length = StringInfo.GetNextTextElementLength(text, index);
            int cluster = DisplayWidth.OfCluster(text.AsSpan(index, length));
            if (width + cluster > maxWidth)
            {
                return text[..index];
            }

            width += cluster;
            index += length;
        }

        return text;
    }

    /// <summary>The horizontal-scrolling arithmetic over cluster widths.</summary>
    private sealed class Window
    {
        private readonly int[] _position; // position[i] = columns taken by clusters 0..i-1
        private readonly int _count;
        private readonly int _cursor;
        private readonly int _available;
        private readonly bool _markers;

        public Window(EditBuffer buffer, int available)
        {
            int[] bounds = buffer.Boundaries;
            _count = bounds.Length - 1;
            _position = new int[_count + 1];
            for (int i = 0; i < _count; i++)
            {
                _position[i + 1] = _position[i] + DisplayWidth.OfCluster(buffer.Text.AsSpan(bounds[i], bounds[i + 1] - bounds[i]));
            }

            _cursor = buffer.CursorCluster;
            _available = Math.Max(1, available);
            _markers = _available >= MinColumnsForMarkers;
        }

        public readonly record struct Fit(int End, int Used, bool LeftMarker, bool RightMarker);

        public int Columns(int from, int to) => _position[to] - _position[from];

        /// <summary>The first visible cluster for this redraw, given the one used by the previous redraw.</summary>
        public int Place(int previousStart)
        {
            int start = Math.Clamp(previousStart, 0, _count);
            if (_cursor < start || !CursorVisible(start))
            {
                start = StartPutting(_cursor, _available / 2);
            }

            while (!CursorVisible(start))
            {
                start++;
            }

            // Text was deleted at the end and most of the row is empty while text is hidden on the
            // left: scroll back so the end of the line sits about two thirds of the way in.
            int twoThirds = _available - (_available / 3);
            Fit fit = FitFrom(start);
            if (start > 0 && fit.End == _count && RoomFor(fit) - fit.Used > twoThirds)
            {
                start = Math.Min(_cursor, StartPutting(_count, twoThirds));
                while (!CursorVisible(start))
                {
                    start++;
                }
            }

            return start;
        }

        /// <summary>The clusters that fit from <paramref name="start"/>, with markers where text is hidden.</summary>
        public Fit FitFrom(int start)
        {
            bool left = _markers && start > 0;
            int room = _available - (left ? 1 : 0);
            int end = start;
            while (end < _count && Columns(start, end + 1) <= room)
            {
                end++;
            }

            bool right = _markers && end < _count;
            if (right)
            {
                while (end > start && Columns(start, end) > room - 1)
                {
                    end--;
                }
            }

            return new Fit(end, Columns(start, end), left, right);
        }

        private int RoomFor(Fit fit) => _available - (fit.LeftMarker ? 1 : 0) - (fit.RightMarker ? 1 : 0);

        private bool CursorVisible(int start)
        {
            if (_cursor < start)
            {
                return false;
            }

            if (_cursor == start)
            {
                return true; // always reachable, even if the cluster itself is too wide to show
            }

            Fit fit = FitFrom(start);
            return _cursor < _count
                ? _cursor < fit.End
                : fit.End == _count && fit.Used + 1 <= RoomFor(fit); // the cursor needs a column after the text
        }

        /// <summary>The start that puts the cursor (at cluster <paramref name="target"/>) at most <paramref name="columns"/> columns from the left edge.</summary>
        private int StartPutting(int target, int columns)
        {
            int start = target;
            while (start > 0 && Columns(start - 1, target) <= columns)
            {
                start--;
            }

            return start;
        }
    }
}
