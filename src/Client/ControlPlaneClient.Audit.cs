namespace ControlPlane.Client;

public sealed partial class ControlPlaneClient
{
    /// <summary>GET /api/v1/audit: entries newest first, filtered; <see cref="AuditPage.NextBefore"/> asks for older ones.</summary>
    public async Task<AuditPage> ListAuditAsync(AuditFilter? filter = null, long? before = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        filter ??= new AuditFilter();
        return (await SendAsync<AuditPage>(Request(HttpMethod.Get, Query("api/v1/audit",
            ("from", filter.From?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
            ("to", filter.To?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
            ("actor", filter.Actor), ("environment", filter.Environment), ("kind", filter.Kind),
            ("before", before), ("limit", limit))), cancellationToken)).Body;
    }
}
