using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Webhooks;

public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    /// <summary>How long one delivery attempt may take before it counts as failed (a hanging receiver).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per delivery, the first included; after the last failed one the delivery is Failed.</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Wait before the second attempt; doubled for each further one, up to <see cref="MaxBackoff"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(5);

    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00")]
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often each instance looks for due deliveries.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Deliveries one instance runs at the same time, so one slow receiver does not hold up the others.</summary>
    [Range(1, 256)]
    public int MaxConcurrentDeliveries { get; set; } = 8;

    /// <summary>Wait before attempt <paramref name="attempt"/> + 1 after attempt <paramref name="attempt"/> failed.</summary>
    public TimeSpan BackoffAfter(int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 1, 30));
        var wait = InitialBackoff.TotalMilliseconds * factor;
        return TimeSpan.FromMilliseconds(Math.Min(wait, MaxBackoff.TotalMilliseconds));
    }
}
