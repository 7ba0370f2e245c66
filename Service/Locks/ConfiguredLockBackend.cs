using Coord.Locks;

namespace Coord.Service.Locks;

/// <summary>One backend of the registry: the name requests use, its type, the lock provider and, where the backend has ones the service can use, the semaphore and leader-election providers.</summary>
public sealed record ConfiguredLockBackend(string Name, string Type, ILockLeases Lock, SemaphoreProvider? Semaphore = null, LeaderElectionProvider? Election = null);
