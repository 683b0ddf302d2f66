namespace ControlPlane.Cli;

/// <summary>
/// What the process exit code means; scripts branch on these, so they never change meaning (README, "CLI").
/// </summary>
public static class ExitCodes
{
    /// <summary>Done; for <c>--wait</c>, the publication is Live.</summary>
    public const int Ok = 0;

    /// <summary>Something unexpected: a 500 from the server, an answer the CLI cannot read.</summary>
    public const int Error = 1;

    /// <summary>The command line is wrong (unknown option, missing value, unreadable file).</summary>
    public const int Usage = 2;

    /// <summary>The server rejected the request: 400, 404, 409, 413, 415, 422 (what and where is printed).</summary>
    public const int Rejected = 3;

    /// <summary>The token is missing, wrong, expired or revoked (401), or its role may not do this (403).</summary>
    public const int Unauthorized = 4;

    /// <summary>The control plane could not be reached, or answered 502/503/504 (e.g. its PostgreSQL is down).</summary>
    public const int Unreachable = 5;

    /// <summary>The publication failed before the switch; nothing changed for readers.</summary>
    public const int Failed = 6;

    /// <summary>Some agents did not switch in time; they keep retrying and rollback is offered.</summary>
    public const int Partial = 7;

    /// <summary><c>--timeout</c> passed while the publication was still in flight; it goes on without the CLI.</summary>
    public const int TimedOut = 8;

    /// <summary>The release waits for approval before it can go live.</summary>
    public const int WaitingForApproval = 9;

    /// <summary>The publication was aborted (waves already live went back to the previous release).</summary>
    public const int Aborted = 10;

    /// <summary>
    /// With <c>--wait</c> on a publication in waves: a wave is live and the next waits for <c>cpctl promote</c> (no hold
    /// time was given). Not a failure: the script decides whether to promote or abort.
    /// </summary>
    public const int Holding = 11;

    /// <summary>Waiting was interrupted (Ctrl+C); the publication goes on.</summary>
    public const int Interrupted = 130;

    public static readonly IReadOnlyList<(int Code, string Meaning)> All =
    [
        (Ok, "done; with --wait: the publication is Live"),
        (Error, "unexpected error (server error 500, unreadable answer)"),
        (Usage, "wrong command line or unreadable input file"),
        (Rejected, "rejected by the server: validation or conflict (400, 404, 409, 413, 415, 422)"),
        (Unauthorized, "authentication or permission failure (401, 403)"),
        (Unreachable, "control plane unreachable or unavailable (connection failed, 502, 503, 504)"),
        (Failed, "publication failed; nothing was switched"),
        (Partial, "publication partial: some agents did not switch"),
        (TimedOut, "--timeout passed while the publication was in flight"),
        (WaitingForApproval, "the release waits for approval"),
        (Aborted, "the publication was aborted"),
        (Holding, "waves: a wave is live and the next waits for 'cpctl promote' (or 'cpctl abort')"),
        (Interrupted, "interrupted while waiting; the publication goes on"),
    ];
}
