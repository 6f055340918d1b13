using System.Globalization;

namespace Fleet.Cli;

/// <summary>Shows an upload's progress on one terminal line (rewritten in place with '\r').</summary>
internal sealed class UploadProgress : IProgress<long>
{
    /// <summary>Uploads smaller than this finish too fast to need a progress line.</summary>
    public const long Threshold = 1 << 20;

    private readonly TextWriter _writer;
    private readonly long _total;
    private readonly Lock _lock = new();
    private int _lastPercent = -1;
    private int _lastLength;

    /// <summary>Creates the reporter for an upload of <paramref name="total"/> bytes.</summary>
    public UploadProgress(TextWriter writer, long total)
    {
        _writer = writer;
        _total = Math.Max(1, total);
    }

    /// <summary>Reports that <paramref name="value"/> bytes have been sent so far.</summary>
    public void Report(long value)
    {
        var percent = (int)Math.Clamp(value * 100 / _total, 0, 100);
        lock (_lock)
        {
            if (percent == _lastPercent)
            {
                return;
            }

            _lastPercent = percent;
            var line = percent < 100
                ? string.Create(CultureInfo.InvariantCulture, $"uploading {percent,3}% ({Display.Size(Math.Min(value, _total))} of {Display.Size(_total)})")
                : $"uploaded {Display.Size(_total)}; the server is checking the model...";
            _writer.Write("\r" + line.PadRight(_lastLength));
            _lastLength = line.Length;
            _writer.Flush();
        }
    }

    /// <summary>Clears the progress line so the next output starts on a clean line.</summary>
    public void Finish()
    {
        lock (_lock)
        {
            if (_lastLength > 0)
            {
                _writer.Write("\r" + new string(' ', _lastLength) + "\r");
                _writer.Flush();
                _lastLength = 0;
            }
        }
    }
}
