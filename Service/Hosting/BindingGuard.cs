using System.Net;

namespace Coord.Service.Hosting;

/// <summary>
/// Tells loopback addresses from reachable ones, and whether any address is configured at all (<c>urls</c> /
/// ASPNETCORE_URLS / --urls, <c>http_ports</c> / ASPNETCORE_HTTP_PORTS, <c>Kestrel:Endpoints:*:Url</c>) so
/// that dev mode can pick its loopback default. The refusal itself checks what was bound (<see cref="ListenGuard"/>).
/// </summary>
public static class BindingGuard
{
    /// <summary>Where dev mode listens when nothing is configured.</summary>
    public const string DevModeUrl = "http://127.0.0.1:5080";

    /// <summary>The addresses configured, or an empty list when nothing is.</summary>
    public static IReadOnlyList<string> ConfiguredAddresses(IConfiguration configuration)
    {
        var addresses = new List<string>();
        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url)
                addresses.Add(url);
        }
        if (addresses.Count > 0)
            return addresses; // Kestrel:Endpoints override urls and ports.
        if (configuration["urls"] is { Length: > 0 } urls)
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var (key, scheme) in new[] { ("http_ports", "http"), ("https_ports", "https") })
        {
            if (configuration[key] is { Length: > 0 } ports)
                addresses.AddRange(ports.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p => $"{scheme}://*:{p}"));
        }
        return addresses;
    }

    /// <summary>The first address that is reachable from other machines, or null when all are loopback.</summary>
    public static string? FirstNonLoopback(IEnumerable<string> addresses)
        => addresses.FirstOrDefault(a => !IsLoopback(a));

    public static bool IsLoopback(string address)
    {
        var host = HostOf(address);
        if (host is null)
            return false;
        if (host.StartsWith("unix:", StringComparison.OrdinalIgnoreCase) || address.Contains("unix:/", StringComparison.OrdinalIgnoreCase))
            return true; // a Unix socket is reachable only through this machine's file system
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return true;
        return IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }

    private static string? HostOf(string address)
    {
        var schemeEnd = address.IndexOf("://", StringComparison.Ordinal);
        var rest = schemeEnd >= 0 ? address[(schemeEnd + 3)..] : address;
        var pathStart = rest.IndexOf('/');
        if (pathStart >= 0 && !rest.StartsWith("unix:", StringComparison.OrdinalIgnoreCase))
            rest = rest[..pathStart];
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            return close > 0 ? rest[..(close + 1)] : null;
        }
        var colon = rest.LastIndexOf(':');
        return colon >= 0 && !rest.StartsWith("unix:", StringComparison.OrdinalIgnoreCase) ? rest[..colon] : rest;
    }
}
