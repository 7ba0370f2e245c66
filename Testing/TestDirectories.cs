namespace Coord.Testing;

/// <summary>
/// Temporary directories for server data. Every path starts with <see cref="Root"/>, so
/// <c>scripts/stop-test-servers</c> can find whatever a crashed run left behind. <c>scripts/test</c>
/// sets COORD_TEST_RUN so that it cleans up after its own run only, not after a neighbour's.
/// </summary>
internal static class TestDirectories
{
    public static readonly string Root = "/tmp/coord-test-" + RunLabel();

    private static string RunLabel()
    {
        var run = Environment.GetEnvironmentVariable("COORD_TEST_RUN");
        return string.IsNullOrWhiteSpace(run) || !run.All(char.IsAsciiLetterOrDigit) ? "" : run + "-";
    }

    public static string Create(string kind)
    {
        var path = $"{Root}{kind}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}";
        Directory.CreateDirectory(path);
        return path;
    }

    public static void Delete(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
            // A server still writing; the OS cleans /tmp and stop-test-servers removes the rest.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
