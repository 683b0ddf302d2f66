using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Scheduling;

public sealed class ScheduleOptions
{
    public const string SectionName = "Schedules";

    /// <summary>How long before the activation (and the revert) the release is staged on every agent; a schedule may set its own.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan LeadTime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A step whose trigger fires late (the control plane was down at its time and no agent held it) still runs when it
    /// is at most this late; later, the schedule is marked Missed and an alert raised. Never silently late.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan Lateness { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often every instance moves schedules along on their publications' outcomes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan FollowUpInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>False plans no Quartz triggers (tests that fire the steps by hand on a fake clock); schedules are still served.</summary>
    public bool RunTriggers { get; set; } = true;

    /// <summary>How far ahead recurring windows are checked for overlaps.</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan ConflictHorizon { get; set; } = TimeSpan.FromDays(366);
}
