using System.Collections;
using System.Reflection;

namespace Coord.Service.Hosting;

/// <summary>
/// Binds a configuration section onto an options object so that every key is either applied or
/// refused at start-up. The configuration binder silently skips a key it has no property for, a
/// read-only property, a property of an immutable type, a single value given for a list and a value
/// given for a whole section; each of those would leave a default in force that the operator thinks
/// they changed.
/// </summary>
public static class StrictConfiguration
{
    /// <summary>
    /// Checks every key under <paramref name="section"/> against <typeparamref name="T"/>, then binds.
    /// <paramref name="handledElsewhere"/> names keys the caller reads itself (such as <c>Type</c>).
    /// Throws <see cref="ArgumentException"/> naming the key and what would be accepted.
    /// </summary>
    public static T Bind<T>(IConfigurationSection section, T target, params string[] handledElsewhere)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(target);
        Check(section, typeof(T), target, handledElsewhere);
        try
        {
            // Keys the caller handles itself are skipped by the check above, so the binder may not refuse them.
            section.Bind(target);
        }
        catch (InvalidOperationException ex)
        {
            // The binder's message names the key and the type it could not convert to.
            throw new ArgumentException(ex.InnerException is { } inner ? $"{ex.Message} {inner.Message}" : ex.Message, ex);
        }
        return target;
    }

    /// <summary>Refuses any child of <paramref name="section"/> not in <paramref name="known"/>.</summary>
    public static void RejectUnknownKeys(IConfigurationSection section, params string[] known)
    {
        ArgumentNullException.ThrowIfNull(section);
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                throw new ArgumentException($"{child.Path}: unknown setting '{child.Key}'. {section.Path} takes: {string.Join(", ", known)}.");
        }
    }

    private static void Check(IConfigurationSection section, Type type, object? current, IReadOnlyCollection<string> handledElsewhere)
    {
        var settable = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is { IsPublic: true })
            .Where(p => Kind(p, current) != SettingKind.NotSettable)
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (handledElsewhere.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                continue;
            if (!settable.TryGetValue(child.Key, out var property))
            {
                var known = settable.Keys.Concat(handledElsewhere).Order(StringComparer.Ordinal);
                var why = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase) is null
                    ? $"unknown setting '{child.Key}'"
                    : $"'{child.Key}' cannot be set from configuration";
                throw new ArgumentException($"{child.Path}: {why}. Settings of {section.Path}: {string.Join(", ", known)}.");
            }
            var hasChildren = child.GetChildren().Any();
            switch (Kind(property, current))
            {
                case SettingKind.Value when hasChildren:
                    throw new ArgumentException($"{child.Path} is a single value, not a section; give it as {child.Path}=<value>.");
                case SettingKind.List when child.Value is not null && !hasChildren:
                    throw new ArgumentException($"{child.Path} is a list; give its items as {child.Path}:0, {child.Path}:1, … (in JSON an array).");
                case SettingKind.List:
                    foreach (var item in child.GetChildren())
                    {
                        if (!int.TryParse(item.Key, out _) || item.GetChildren().Any())
                            throw new ArgumentException($"{item.Path}: the items of the list {child.Path} are single values numbered 0, 1, …; '{item.Key}' is not one.");
                    }
                    break;
                case SettingKind.Section when child.Value is not null && !hasChildren:
                    throw new ArgumentException($"{child.Path} is a section with settings of its own, not a single value.");
                case SettingKind.Section:
                    // Inspect what the binder will fill: the instance already there, else a fresh one.
                    var nested = (current is null ? null : property.GetValue(current)) ?? Activator.CreateInstance(property.PropertyType);
                    Check(child, property.PropertyType, nested, []);
                    break;
            }
        }
    }

    private enum SettingKind
    {
        NotSettable,
        Value,
        List,
        Section,
    }

    private static SettingKind Kind(PropertyInfo property, object? owner)
    {
        var type = property.PropertyType;
        var writable = property.SetMethod is { IsPublic: true };
        if (IsValue(type))
            return writable ? SettingKind.Value : SettingKind.NotSettable;
        if (ListItemType(type) is { } item)
            return IsValue(item) && (writable || (owner is not null && property.GetValue(owner) is IList)) ? SettingKind.List : SettingKind.NotSettable;
        if (!type.IsClass || type.IsAbstract)
            return SettingKind.NotSettable;
        // A nested section is applied by setting a new instance, or by binding into the one already there.
        var creatable = writable && type.GetConstructor(Type.EmptyTypes) is not null;
        var existing = owner is not null && property.GetValue(owner) is not null;
        var anySettable = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0);
        return (creatable || existing) && anySettable ? SettingKind.Section : SettingKind.NotSettable;
    }

    private static bool IsValue(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan)
            || t == typeof(DateTimeOffset) || t == typeof(DateTime) || t == typeof(Guid) || t == typeof(Uri);
    }

    private static Type? ListItemType(Type type)
    {
        if (type.IsArray)
            return type.GetElementType();
        if (type.IsGenericType && type.GetGenericArguments() is [var item]
            && (type.GetGenericTypeDefinition() == typeof(List<>) || type.GetGenericTypeDefinition() == typeof(IList<>)
                || type.GetGenericTypeDefinition() == typeof(IReadOnlyList<>) || type.GetGenericTypeDefinition() == typeof(IEnumerable<>)))
            return item;
        return null;
    }
}
