namespace ControlPlane.Infrastructure;

/// <summary>
/// Endpoint metadata: the endpoint keeps its own Idempotency-Key durably in the transaction of the change it makes
/// (live change batches), so the general idempotency middleware leaves its requests alone.
/// </summary>
public sealed class HandlesIdempotencyKey;
