namespace Fleet.Cli;

/// <summary>The exit codes of the fleet command line.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked.</summary>
    public const int Success = 0;

    /// <summary>The server refused or failed the request.</summary>
    public const int ServerRefused = 1;

    /// <summary>The command line was wrong: unknown options, missing arguments, bad values, missing files.</summary>
    public const int Usage = 2;

    /// <summary>The server could not be reached.</summary>
    public const int Unreachable = 3;

    /// <summary>A rollout the command waited for was rolled back.</summary>
    public const int RolledBack = 4;

    /// <summary>A rollout the command waited for was paused, or did not end before the wait timed out.</summary>
    public const int NotFinished = 5;

    /// <summary>A backtest found the candidate worse than the versions that served the logged traffic.</summary>
    public const int BacktestWorse = 6;

    /// <summary>The user cancelled the command (Ctrl+C).</summary>
    public const int Cancelled = 130;
}
