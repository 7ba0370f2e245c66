using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections;

namespace Coord.Service.Hosting;

/// <summary>Start-up failures an operator can fix, said in one line instead of a stack trace.</summary>
public static partial class StartFailure
{
    /// <summary>One line saying what went wrong and what to change, or null for a failure that needs its stack trace.</summary>
    public static string? Describe(Exception ex) => ex switch
    {
        IOException { InnerException: AddressInUseException } => PortTaken(ex.Message),
        InvalidOperationException => ex.Message, // the listen guard's refusal
        _ => null,
    };

    /// <summary>2 for a configuration the service refuses, 1 for an environment problem such as a taken port.</summary>
    public static int ExitCode(Exception ex) => ex is InvalidOperationException ? 2 : 1;

    private static string PortTaken(string kestrelMessage)
    {
        var address = BindAddress().Match(kestrelMessage) is { Success: true } m ? m.Groups["address"].Value : null;
        var port = address is not null && Uri.TryCreate(address.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
        return port is null
            ? $"{kestrelMessage} Choose another port with --urls (for example --urls http://127.0.0.1:5081) or ASPNETCORE_URLS."
            : $"port {port} ({address}) is already in use by another process. Stop that process, or choose another port with --urls (for example --urls http://127.0.0.1:{(port == "5081" ? "5082" : "5081")}) or the ASPNETCORE_URLS environment variable.";
    }

    [GeneratedRegex(@"address (?<address>\S+): address already in use", RegexOptions.IgnoreCase)]
    private static partial Regex BindAddress();
}
