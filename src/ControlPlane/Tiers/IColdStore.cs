namespace ControlPlane.Tiers;

/// <summary>
/// Where archives live: a folder or an S3-compatible bucket. Objects are written whole and never changed in
/// place, so a reader sees an object entirely or not at all.
/// </summary>
public interface IColdStore
{
    /// <summary>Short description for views and logs, e.g. <c>folder:/srv/cold</c> or <c>s3:bucket/prefix</c>.</summary>
    string Name { get; }

    Task PutAsync(string key, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>The object's bytes, or null when there is no such object.</summary>
    Task<byte[]?> GetAsync(string key, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>The cold store could not be reached or refused an operation; retried later, nothing is removed from warm.</summary>
public sealed class ColdStoreUnavailableException(string store, string key, Exception inner)
    : Exception($"Cold store {store} failed on '{key}': {inner.Message}", inner)
{
    public string Store { get; } = store;

    public string Key { get; } = key;
}
