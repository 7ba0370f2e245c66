namespace Coord.Testing;

/// <summary>A server binary the tests need is not installed; the message names the install command.</summary>
public sealed class ServerBinaryMissingException(string binary, string installCommand)
    : Exception($"The test server binary '{binary}' was not found. Install it with: {installCommand}")
{
    public string Binary { get; } = binary;
    public string InstallCommand { get; } = installCommand;
}
