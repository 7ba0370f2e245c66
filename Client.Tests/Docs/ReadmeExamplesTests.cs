using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Coord.Client.Tests.Docs;

/// <summary>
/// Every <c>```csharp</c> block of the READMEs compiles against the Coord assemblies this test loads, so
/// an API change that breaks a usage example fails here instead of in a reader's editor. Blocks are
/// fragments: each compiles as top-level statements, with every Coord namespace imported and the names
/// an example only alludes to (its order, its token, its DI container) declared in <see cref="Context"/>.
/// </summary>
public sealed partial class ReadmeExamplesTests
{
    // Shadowed by the block's own locals where it declares them (a local beats a using-static member).
    private const string Context = """
        global using System;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Hosting;
        global using Coord.Client;
        global using Coord.Ids;
        global using Coord.Ids.Segment;
        global using Coord.Ids.Snowflake;
        global using Coord.Ids.Uuid;
        global using Coord.Ids.WorkerIds;
        global using Coord.Locks;
        global using Coord.Locks.Etcd;
        global using Coord.Locks.InMemory;
        global using Coord.Locks.Postgres;
        global using Coord.Locks.Redis;
        global using Coord.Locks.ZooKeeper;
        global using static ReadmeContext;

        public static class ReadmeContext
        {
            public static CancellationToken ct => default;
            public static object order => new();
            public static Task SaveOrderAsync(object order, long fencingToken, CancellationToken lost) => Task.CompletedTask;
            public static IHostApplicationBuilder builder => null!;
            public static IServiceCollection services => null!;
            public static ILock locks => null!;
            public static CoordClient coord => null!;
            public static string cs => "";
        }
        """;

    public static TheoryData<string, string> Blocks()
    {
        var root = RepositoryRoot();
        var data = new TheoryData<string, string>();
        var readmes = Directory.GetFiles(root, "README.md", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Order(StringComparer.Ordinal);
        foreach (var readme in readmes)
        {
            var text = File.ReadAllText(readme);
            foreach (Match block in CSharpBlock().Matches(text))
            {
                var line = text.AsSpan(0, block.Index).Count('\n') + 1;
                data.Add($"{Path.GetRelativePath(root, readme)}:{line}", block.Groups[1].Value);
            }
        }
        return data;
    }

    [Fact]
    public void The_readmes_have_csharp_examples()
        => Assert.True(Blocks().Count >= 10, $"Found only {Blocks().Count} ```csharp blocks; the README search is looking in the wrong place.");

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Example_compiles(string where, string code)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create("ReadmeExample",
            [CSharpSyntaxTree.ParseText(code, path: where), CSharpSyntaxTree.ParseText(Context, path: "ReadmeContext.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"The example at {where} does not compile:\n{string.Join('\n', errors)}\n\n{code}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Coord.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Coord.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"^```csharp[ \t]*\r?\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex CSharpBlock();
}
