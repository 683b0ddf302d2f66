using System.ComponentModel.DataAnnotations;

namespace ControlPlane.Infrastructure;

public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>Npgsql connection string of the warm tier and coordinator (I7).</summary>
    [Required]
    public string ConnectionString { get; set; } = "";

    /// <summary>Apply pending migrations on start; several instances may do so at once.</summary>
    public bool MigrateOnStart { get; set; } = true;
}
