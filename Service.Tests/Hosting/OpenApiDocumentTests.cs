using System.Net;
using System.Reflection;
using System.Runtime.Loader;
using Coord.Service.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using NSwag.CodeGeneration.CSharp;

namespace Coord.Service.Tests.Hosting;

/// <summary>
/// /openapi/v1.json as a client generator meets it: it validates, declares what a client must send and
/// what it may get back, and a C# client generated from it compiles and completes a lock cycle.
/// </summary>
public sealed class OpenApiDocumentTests(DevModeFixture fixture) : IClassFixture<DevModeFixture>
{
    private const string ForeignHost = "attacker.example:8443";

    private async Task<string> DocumentTextAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v1.json");
        request.Headers.Host = ForeignHost;
        using var response = await fixture.Host.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task The_document_validates_and_does_not_echo_the_request_host()
    {
        var text = await DocumentTextAsync();
        Assert.DoesNotContain("attacker.example", text, StringComparison.Ordinal);

        var read = OpenApiDocument.Parse(text, OpenApiConstants.Json);
        Assert.True(read.Diagnostic?.Errors is null or { Count: 0 }, string.Join("\n", read.Diagnostic!.Errors.Select(e => $"{e.Pointer}: {e.Message}")));
        var document = read.Document!;
        var errors = document.Validate(ValidationRuleSet.GetDefaultRuleSet())?.ToList() ?? [];
        Assert.True(errors.Count == 0, string.Join("\n", errors.Select(e => $"{e.Pointer}: {e.Message}")));
        Assert.True(document.Servers is null or { Count: 0 }, "servers must not be taken from the request");
    }

    [Fact]
    public async Task Lock_routes_declare_their_parameters_bodies_problems_and_key()
    {
        var document = OpenApiDocument.Parse(await DocumentTextAsync(), OpenApiConstants.Json).Document!;
        var locks = document.Paths["/v1/locks/{name}"].Operations!;
        foreach (var (method, operation) in locks)
        {
            var where = $"{method} /v1/locks/{{name}}";
            var name = Assert.Single(operation.Parameters!, p => p.Name == "name");
            Assert.Equal(ParameterLocation.Path, name.In);
            Assert.True(name.Required, where);
            var holderToken = operation.Parameters!.SingleOrDefault(p => p.Name == "Coord-Holder-Token");
            if (method == HttpMethod.Put || method == HttpMethod.Delete)
            {
                Assert.True(holderToken is { In: ParameterLocation.Header, Required: true }, $"{where} must declare the holder-token header");
            }
            else
            {
                Assert.Null(holderToken);
            }
            foreach (var status in new[] { "400", "401", "500", "503" }.Concat(method == HttpMethod.Get ? [] : ["409"]))
            {
                Assert.True(operation.Responses!.TryGetValue(status, out var response), $"{where} does not declare {status}");
                Assert.True(response.Content!.ContainsKey("application/problem+json"), $"{where} {status} is not problem+json");
            }
            Assert.True(operation.Security is { Count: > 0 }, $"{where} must say it needs the API key");
        }
        Assert.True(locks[HttpMethod.Put].RequestBody!.Required, "renew needs a body");
        Assert.Contains("ttlMs", document.Components!.Schemas!["RenewLockBody"].Required!);

        var health = document.Paths["/healthz"].Operations![HttpMethod.Get];
        Assert.True(health.Security is null or { Count: 0 }, "/healthz needs no key");
        Assert.True(document.Paths["/readyz"].Operations![HttpMethod.Get].Security is { Count: > 0 });
        Assert.True(document.Security is null or { Count: 0 }, "which routes need a key is said per route, so /healthz can be open");
    }

    [Fact]
    public async Task A_generated_CSharp_client_compiles_and_completes_acquire_renew_release()
    {
        var nswagDocument = await NSwag.OpenApiDocument.FromJsonAsync(await DocumentTextAsync());
        var settings = new CSharpClientGeneratorSettings { ClassName = "CoordClient", UseBaseUrl = true, GenerateClientInterfaces = false };
        settings.CSharpGeneratorSettings.Namespace = "Generated";
        settings.CSharpGeneratorSettings.JsonLibrary = NJsonSchema.CodeGeneration.CSharp.CSharpJsonLibrary.SystemTextJson;
        var code = new CSharpClientGenerator(nswagDocument, settings).GenerateFile();

        var assembly = Compile(code);
        var clientType = assembly.GetType("Generated.CoordClient", throwOnError: true)!;
        using var http = fixture.Host.NewClient(ServiceHost.ApiKey);
        var client = Activator.CreateInstance(clientType, fixture.Host.BaseAddress.ToString(), http)!;
        var name = $"generated/{Guid.NewGuid():N}";

        var lease = await CallAsync(client, "AcquireLockAsync", name, Body(assembly, "AcquireLockBody", ("TtlMs", 5_000L)), token: null);
        var holderToken = (string)lease!.GetType().GetProperty("HolderToken")!.GetValue(lease)!;
        Assert.Matches("^[0-9a-f]{32}$", holderToken);
        Assert.True((await new LockApi(http).StatusJsonAsync(name)).GetProperty("held").GetBoolean());

        var renewal = await CallAsync(client, "RenewLockAsync", name, Body(assembly, "RenewLockBody", ("TtlMs", 10_000L)), holderToken);
        Assert.Equal(10_000L, renewal!.GetType().GetProperty("TtlMs")!.GetValue(renewal));

        await CallAsync(client, "ReleaseLockAsync", name, body: null, holderToken);
        Assert.False((await new LockApi(http).StatusJsonAsync(name)).GetProperty("held").GetBoolean());
    }

    [Fact]
    public async Task Election_routes_declare_their_paths_holder_token_problems_and_the_event_stream()
    {
        var document = OpenApiDocument.Parse(await DocumentTextAsync(), OpenApiConstants.Json).Document!;
        var campaign = document.Paths["/v1/elections/{name}/campaign"].Operations!;
        Assert.Equal([HttpMethod.Post], campaign.Keys);
        Assert.True(campaign[HttpMethod.Post].RequestBody!.Required, "a campaign needs a body");
        Assert.Contains("value", document.Components!.Schemas!["CampaignBody"].Required!);
        var named = document.Paths["/v1/elections/{name}"].Operations!;
        Assert.Equal(new[] { "DELETE", "GET", "PUT" }, named.Keys.Select(m => m.Method).Order(StringComparer.Ordinal));
        var observe = document.Paths["/v1/elections/{name}/observe"].Operations![HttpMethod.Get];
        Assert.True(observe.Responses!["200"].Content!.ContainsKey("text/event-stream"), "observe must declare its event stream");
        Assert.Contains(observe.Parameters!, p => p is { Name: "keepAliveMs", In: ParameterLocation.Query });
        Assert.DoesNotContain(named[HttpMethod.Get].Parameters!, p => p.Name == "keepAliveMs");

        var operations = campaign.Select(o => ("/campaign", o.Key, o.Value)).Concat(named.Select(o => ("", o.Key, o.Value))).Append(("/observe", HttpMethod.Get, observe));
        foreach (var (suffix, method, operation) in operations)
        {
            var where = $"{method} /v1/elections/{{name}}{suffix}";
            var name = Assert.Single(operation.Parameters!, p => p.Name == "name");
            Assert.True(name is { In: ParameterLocation.Path, Required: true }, where);
            var holderToken = operation.Parameters!.SingleOrDefault(p => p.Name == "Coord-Holder-Token");
            Assert.True((method == HttpMethod.Put || method == HttpMethod.Delete) == holderToken is { In: ParameterLocation.Header, Required: true }, $"{where}: holder-token header");
            foreach (var status in new[] { "400", "401", "500", "501", "503" }.Concat(method == HttpMethod.Get ? [] : ["409"]))
            {
                Assert.True(operation.Responses!.TryGetValue(status, out var response), $"{where} does not declare {status}");
                Assert.True(response.Content!.ContainsKey("application/problem+json"), $"{where} {status} is not problem+json");
            }
            Assert.True(operation.Security is { Count: > 0 }, $"{where} must say it needs the API key");
        }
        Assert.DoesNotContain(document.Paths.Keys, p => p.StartsWith("/v1/elections/", StringComparison.Ordinal) && p.Contains("**", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_generated_CSharp_client_campaigns_renews_reads_the_leader_and_resigns()
    {
        var nswagDocument = await NSwag.OpenApiDocument.FromJsonAsync(await DocumentTextAsync());
        var settings = new CSharpClientGeneratorSettings { ClassName = "CoordClient", UseBaseUrl = true, GenerateClientInterfaces = false };
        settings.CSharpGeneratorSettings.Namespace = "Generated";
        settings.CSharpGeneratorSettings.JsonLibrary = NJsonSchema.CodeGeneration.CSharp.CSharpJsonLibrary.SystemTextJson;
        var assembly = Compile(new CSharpClientGenerator(nswagDocument, settings).GenerateFile());
        var clientType = assembly.GetType("Generated.CoordClient", throwOnError: true)!;
        using var http = fixture.Host.NewClient(ServiceHost.ApiKey);
        var client = Activator.CreateInstance(clientType, fixture.Host.BaseAddress.ToString(), http)!;
        // With a '/', which the generated client sends as %2F before /campaign.
        var name = $"generated/{Guid.NewGuid():N}";

        var leadership = await CallAsync(client, "CampaignAsync", name, Body(assembly, "CampaignBody", ("Value", "10.1.2.3:80"), ("TtlMs", 5_000L)), token: null);
        var holderToken = (string)leadership!.GetType().GetProperty("HolderToken")!.GetValue(leadership)!;
        var term = (string)leadership.GetType().GetProperty("Term")!.GetValue(leadership)!;
        Assert.Matches("^[0-9a-f]{32}$", holderToken);

        var leader = await CallAsync(client, "GetLeaderAsync", name, body: null, token: null);
        Assert.Equal(true, leader!.GetType().GetProperty("HasLeader")!.GetValue(leader));
        Assert.Equal("10.1.2.3:80", leader.GetType().GetProperty("Value")!.GetValue(leader));
        Assert.Equal(term, leader.GetType().GetProperty("Term")!.GetValue(leader));

        var renewal = await CallAsync(client, "RenewLeadershipAsync", name, Body(assembly, "RenewLockBody", ("TtlMs", 10_000L)), holderToken);
        Assert.Equal(10_000L, renewal!.GetType().GetProperty("TtlMs")!.GetValue(renewal));
        await CallAsync(client, "ResignAsync", name, body: null, holderToken);
        var after = await CallAsync(client, "GetLeaderAsync", name, body: null, token: null);
        Assert.Equal(false, after!.GetType().GetProperty("HasLeader")!.GetValue(after));
    }

    private static Assembly Compile(string code)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create($"Generated{Guid.NewGuid():N}", [CSharpSyntaxTree.ParseText(code)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var emitted = compilation.Emit(image);
        var errors = emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(emitted.Success, "the generated client does not compile:\n" + string.Join("\n", errors.Take(20)));
        image.Position = 0;
        return new AssemblyLoadContext("generated-client", isCollectible: true).LoadFromStream(image);
    }

    private static object Body(Assembly assembly, string typeName, params (string Property, object Value)[] values)
    {
        var type = assembly.GetType($"Generated.{typeName}", throwOnError: true)!;
        var body = Activator.CreateInstance(type)!;
        foreach (var (property, value) in values)
            type.GetProperty(property)!.SetValue(body, value);
        return body;
    }

    /// <summary>Calls the generated method by the names the document gave its parameters, without a cancellation token.</summary>
    private static async Task<object?> CallAsync(object client, string method, string name, object? body, string? token)
    {
        var candidates = client.GetType().GetMethods().Where(m => m.Name == method && m.GetParameters().All(p => p.ParameterType != typeof(CancellationToken))).ToList();
        var target = Assert.Single(candidates);
        var arguments = target.GetParameters().Select(p => p.Name switch
        {
            "name" => name,
            "body" => body,
            var n when n!.Contains("token", StringComparison.OrdinalIgnoreCase) => token,
            _ => null, // backend: the default one
        }).ToArray();
        var task = (Task)target.Invoke(client, arguments)!;
        await task;
        return task.GetType().GetProperty("Result")?.GetValue(task) is { } result && result.GetType().Name != "VoidTaskResult" ? result : null;
    }
}
