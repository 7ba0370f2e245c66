using System.Text.Json;
using System.Text.Json.Serialization;

namespace Coord.Service.Locks;

/// <summary>
/// Source-generated JSON for the lock routes' bodies and answers: they are read and written on every
/// lock request, and generated code skips the reflection-built converters' per-property indirection.
/// Inserted ahead of the default resolver, so the service's <c>JsonOptions</c> (strict numbers) still apply.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(AcquireLockBody))]
[JsonSerializable(typeof(RenewLockBody))]
[JsonSerializable(typeof(LockLeaseResponse))]
[JsonSerializable(typeof(LockRenewalResponse))]
[JsonSerializable(typeof(LockStatusResponse))]
[JsonSerializable(typeof(Coord.Service.Semaphores.AcquirePermitBody))]
[JsonSerializable(typeof(Coord.Service.Semaphores.PermitLeaseResponse))]
[JsonSerializable(typeof(Coord.Service.Elections.CampaignBody))]
[JsonSerializable(typeof(Coord.Service.Elections.LeadershipResponse))]
[JsonSerializable(typeof(Coord.Service.Elections.ElectionLeaderResponse))]
internal sealed partial class LockJsonContext : JsonSerializerContext;
