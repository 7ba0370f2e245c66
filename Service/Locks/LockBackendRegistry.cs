using Coord.Locks;
using Coord.Service.Hosting;

namespace Coord.Service.Locks;

/// <summary>
/// The lock backends this service instance serves, by the name the configuration gives them
/// (<c>Coord:Locks:Backends:&lt;name&gt;</c>), and the default one a request gets when it names none.
/// </summary>
public sealed class LockBackendRegistry : IAsyncDisposable
{
    public const string SectionName = "Coord:Locks";

    /// <summary>The backend dev mode runs when no backend is configured.</summary>
    public const string DevModeBackend = "inmemory";

    private readonly Dictionary<string, ConfiguredLockBackend> _backends;

    private LockBackendRegistry(Dictionary<string, ConfiguredLockBackend> backends, string defaultName, bool isDevMode)
    {
        _backends = backends;
        DefaultName = defaultName;
        IsDevMode = isDevMode;
    }

    /// <summary>Name of the backend used when a request does not say.</summary>
    public string DefaultName { get; }

    /// <summary>True when nothing was configured and the registry fell back to one in-memory backend.</summary>
    public bool IsDevMode { get; }

    public IReadOnlyCollection<ConfiguredLockBackend> Backends => _backends.Values;

    /// <summary>
    /// Builds the backends from <c>Coord:Locks</c>: <c>Backends:&lt;name&gt;:Type</c> plus that type's
    /// settings, and <c>Default</c> (optional when there is exactly one backend).
    /// </summary>
    public static LockBackendRegistry FromConfiguration(IConfiguration configuration, IEnumerable<ILockBackendFactory> factories, ILoggerFactory loggers, TimeProvider time)
    {
        var section = configuration.GetSection(SectionName);
        StrictConfiguration.RejectUnknownKeys(section, "Default", "Backends");
        var byType = factories.ToDictionary(f => f.Type, StringComparer.OrdinalIgnoreCase);
        var configured = section.GetSection("Backends").GetChildren().ToList();
        var isDevMode = configured.Count == 0;
        var backends = new Dictionary<string, ConfiguredLockBackend>(StringComparer.Ordinal);
        try
        {
            if (isDevMode)
            {
                var none = new ConfigurationBuilder().Build().GetSection("none");
                backends[DevModeBackend] = new ConfiguredLockBackend(DevModeBackend, "inmemory",
                    byType["inmemory"].Create(none, loggers, time), byType["inmemory"].CreateSemaphore(none, loggers, time), byType["inmemory"].CreateElection(none, loggers, time));
            }
            foreach (var backend in configured)
            {
                var type = backend["Type"];
                if (string.IsNullOrWhiteSpace(type))
                    throw new ArgumentException($"{backend.Path}:Type is required: one of {string.Join(", ", byType.Keys.Order(StringComparer.Ordinal))}.");
                if (!byType.TryGetValue(type, out var factory))
                    throw new ArgumentException($"{backend.Path}:Type '{type}' is not a lock backend type; use one of {string.Join(", ", byType.Keys.Order(StringComparer.Ordinal))}.");
                ValidateBackendName(backend.Key, backend.Path);
                backends[backend.Key] = new ConfiguredLockBackend(backend.Key, factory.Type, factory.Create(backend, loggers, time), factory.CreateSemaphore(backend, loggers, time), factory.CreateElection(backend, loggers, time));
            }

            var defaultName = section["Default"];
            if (string.IsNullOrEmpty(defaultName))
            {
                if (backends.Count > 1)
                    throw new ArgumentException($"{SectionName}:Default is required when more than one backend is configured; set it to one of {string.Join(", ", backends.Keys)}.");
                defaultName = backends.Keys.Single();
            }
            else if (!backends.ContainsKey(defaultName))
            {
                throw new ArgumentException($"{SectionName}:Default names '{defaultName}', which is not a configured backend; configured: {string.Join(", ", backends.Keys)}.");
            }
            return new LockBackendRegistry(backends, defaultName, isDevMode);
        }
        catch
        {
            foreach (var made in backends.Values)
            {
                made.Lock.DisposeAsync().AsTask().GetAwaiter().GetResult();
                made.Semaphore?.DisposeAsync().AsTask().GetAwaiter().GetResult();
                made.Election?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            throw;
        }
    }

    /// <summary>The backend a request named, or the default; <see cref="ArgumentException"/> listing the configured ones otherwise.</summary>
    public ConfiguredLockBackend Resolve(string? name)
    {
        if (string.IsNullOrEmpty(name))
            return _backends[DefaultName];
        if (_backends.TryGetValue(name, out var backend))
            return backend;
        throw new UnknownBackendException(
            $"Unknown lock backend '{Truncate(name)}'. This service has: {string.Join(", ", _backends.Keys.Select(k => k == DefaultName ? k + " (default)" : k))}.");
    }

    /// <summary>
    /// The backend a request named (or the default) with one of its optional providers (semaphores, elections);
    /// <see cref="NotSupportedException"/> (501) naming the configured backends that have one when it has none.
    /// </summary>
    /// <param name="name">The backend the request named, or null for the default.</param>
    /// <param name="provider">Picks the provider from a backend; null when the backend has none.</param>
    /// <param name="serves">What the provider serves, for the message (e.g. "semaphores").</param>
    /// <param name="typesThatCan">The backend types that can serve it, for the message.</param>
    public (ConfiguredLockBackend Target, T Provider) ResolveServing<T>(string? name, Func<ConfiguredLockBackend, T?> provider, string serves, string typesThatCan)
        where T : class
    {
        var target = Resolve(name);
        if (provider(target) is { } found)
            return (target, found);
        var serving = Backends.Where(b => provider(b) is not null).Select(b => b.Name).ToList();
        throw new NotSupportedException(
            $"Backend '{target.Name}' ({target.Type}) serves no {serves} over REST" +
            (serving.Count > 0 ? $"; these configured backends do: {string.Join(", ", serving)}." : $"; none of the configured backends does ({typesThatCan} can)."));
    }

    private static void ValidateBackendName(string name, string path)
    {
        if (name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"{path}: a backend name is 1 to 64 ASCII letters, digits, '-' or '_'; '{name}' is not.");
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in _backends.Values)
        {
            await backend.Lock.DisposeAsync().ConfigureAwait(false);
            if (backend.Semaphore is { } semaphore)
                await semaphore.DisposeAsync().ConfigureAwait(false);
            if (backend.Election is { } election)
                await election.DisposeAsync().ConfigureAwait(false);
        }
    }
}
