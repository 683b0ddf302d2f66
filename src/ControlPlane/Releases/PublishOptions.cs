using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Releases;

public sealed class PublishOptions
{
    public const string SectionName = "Publish";

    /// <summary>A publication whose agents have not all staged by then fails; nothing changed for readers.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan StageTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A publication whose agents have not all switched by then is marked Partial; agents keep retrying.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SwitchTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often deadlines are checked.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(1);
}
