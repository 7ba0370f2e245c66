using System.Reflection;
using Coord.Locks;

namespace Coord.Service.Locks;

/// <summary>
/// The usual shape of a backend factory: bind the section onto the backend's options type, reject
/// settings the type does not have (a typo must not silently fall back to a default), create.
/// </summary>
public abstract class LockBackendFactory<TOptions> : ILockBackendFactory
    where TOptions : LockOptions, new()
{
    public abstract string Type { get; }

    public ILock Create(IConfigurationSection settings, ILoggerFactory loggers, TimeProvider time)
    {
        RejectUnknownSettings(settings);
        var options = new TOptions();
        settings.Bind(options);
        options.TimeProvider = time;
        return Create(options, loggers);
    }

    /// <summary>Creates the provider from bound options; the options are validated by the provider.</summary>
    protected abstract ILock Create(TOptions options, ILoggerFactory loggers);

    private static void RejectUnknownSettings(IConfigurationSection settings)
    {
        var known = typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && IsBindable(p.PropertyType))
            .Select(p => p.Name)
            .Append("Type")
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var child in settings.GetChildren())
        {
            if (!known.Contains(child.Key))
                throw new ArgumentException(
                    $"{settings.Path}: unknown setting '{child.Key}' for a backend of type {typeof(TOptions).Name.Replace("Options", "", StringComparison.Ordinal)}. " +
                    $"Known settings: {string.Join(", ", known.Order(StringComparer.Ordinal))}.");
        }
    }

    // Settings that hold live objects (a shared connection, a time source) cannot come from configuration.
    private static bool IsBindable(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(TimeSpan) || t == typeof(decimal)
            || (t.IsGenericType && t.GetGenericArguments() is [var element] && element == typeof(string));
    }
}
