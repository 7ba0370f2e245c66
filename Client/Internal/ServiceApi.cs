using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Coord.Ids.Snowflake;
using Coord.Locks;

namespace Coord.Client.Internal;

/// <summary>
/// The service's HTTP routes, one method each. Every call is bounded (the wait it asks for plus
/// <see cref="LockOptions.ConnectTimeout"/>), and every failure comes out as a <see cref="CoordServiceException"/>
/// carrying the problem's status, code and detail. Holder tokens travel only in a header and never reach a message.
/// </summary>
internal sealed class ServiceApi(HttpClient http, CoordClientOptions options)
{
    private const string HolderTokenHeader = "Coord-Holder-Token";
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly TimeProvider _time = options.TimeProvider;
    private readonly string _backendQuery = options.Backend is null ? "" : "?backend=" + Uri.EscapeDataString(options.Backend);

    public const string LockRoute = "v1/locks/";
    public const string SemaphoreRoute = "v1/semaphores/";
    public const string ElectionRoute = "v1/elections/";

    public Uri BaseAddress => http.BaseAddress!;

    /// <summary>
    /// POST to <paramref name="route"/>: the hold, or null when the lock (every permit) stayed held through
    /// <paramref name="wait"/> (409 lock_held, semaphore_full). A semaphore's <paramref name="maxCount"/> that
    /// differs from the one in use comes back as a reply without a holder token.
    /// </summary>
    /// <param name="route">The route family.</param>
    /// <param name="name">The lock, semaphore or election name.</param>
    /// <param name="ttl">The lease length asked for.</param>
    /// <param name="wait">How long the service may wait before answering.</param>
    /// <param name="attemptId">This request's attempt id.</param>
    /// <param name="maxCount">A semaphore's permits; null otherwise.</param>
    /// <param name="campaignValue">An election candidate's value, sent to <c>{name}/campaign</c>; null otherwise.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public async Task<AcquireReply?> AcquireAsync(string route, string name, TimeSpan ttl, TimeSpan wait, string attemptId, int? maxCount, string? campaignValue, CancellationToken cancellationToken)
    {
        var count = maxCount is { } m ? $"\"maxCount\":{m.ToString(CultureInfo.InvariantCulture)}," : "";
        if (campaignValue is not null)
            count += $"\"value\":{JsonSerializer.Serialize(campaignValue)},";
        using var request = new HttpRequestMessage(HttpMethod.Post, NamePath(route, name, campaignValue is null ? "" : "/campaign"))
        {
            Content = Body($"{{{count}\"ttlMs\":{Milliseconds(ttl)},\"waitMs\":{Milliseconds(wait)},\"attemptId\":\"{attemptId}\"}}"),
        };
        using var answer = await SendAsync(request, "acquire", wait, cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode == HttpStatusCode.OK)
        {
            using var document = await ReadJsonAsync(answer, cancellationToken).ConfigureAwait(false);
            var root = document.RootElement;
            var token = root.GetProperty("holderToken").GetString() ?? throw Malformed("acquire", "holderToken");
            // An election's grant calls its fencing token the term.
            long? fence = (root.TryGetProperty("fencingToken", out var f) || root.TryGetProperty("term", out f)) && f.ValueKind == JsonValueKind.String
                ? long.Parse(f.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture)
                : null;
            return new AcquireReply(token, fence);
        }
        var problem = await ServiceProblem.ReadAsync(answer, cancellationToken).ConfigureAwait(false);
        if (problem is { Status: HttpStatusCode.Conflict, Code: "lock_held" or "semaphore_full" or "not_elected" })
            return null;
        if (problem is { Status: HttpStatusCode.Conflict, Code: "count_mismatch", ActiveMaxCount: { } active })
            return new AcquireReply(null, null, active);
        throw Failure("acquire", problem);
    }

    /// <summary>PUT: true when renewed, false when the token does not hold the lock (409 not_holder).</summary>
    public async Task<bool> RenewAsync(string route, string name, string holderToken, TimeSpan ttl, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, NamePath(route, name)) { Content = Body($"{{\"ttlMs\":{Milliseconds(ttl)}}}") };
        request.Headers.Add(HolderTokenHeader, holderToken);
        return await ExpectHolderAsync(request, "renew", HttpStatusCode.OK, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>DELETE: true when released, false when the token does not hold the lock (409 not_holder).</summary>
    public async Task<bool> ReleaseAsync(string route, string name, string holderToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, NamePath(route, name));
        request.Headers.Add(HolderTokenHeader, holderToken);
        return await ExpectHolderAsync(request, "release", HttpStatusCode.NoContent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// DELETE the acquire sent with <paramref name="attemptId"/>: answered once the service keeps nothing for it
    /// (its wait stopped, its grant released, or the acquire marked to be refused should it still arrive).
    /// </summary>
    public async Task CancelAttemptAsync(string attemptId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, "v1/lock-attempts/" + attemptId);
        using var answer = await SendAsync(request, "cancel", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode != HttpStatusCode.NoContent)
            throw Failure("cancel", await ServiceProblem.ReadAsync(answer, cancellationToken).ConfigureAwait(false));
    }

    public async Task<LockStatus> StatusAsync(string name, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, NamePath(LockRoute, name));
        using var answer = await SendAsync(request, "status", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode != HttpStatusCode.OK)
            throw Failure("status", await ServiceProblem.ReadAsync(answer, cancellationToken).ConfigureAwait(false));
        using var document = await ReadJsonAsync(answer, cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        TimeSpan? expiresIn = root.TryGetProperty("expiresInMs", out var e) && e.ValueKind == JsonValueKind.Number ? TimeSpan.FromMilliseconds(e.GetInt64()) : null;
        long? fence = root.TryGetProperty("fencingToken", out var f) && f.ValueKind == JsonValueKind.String
            ? long.Parse(f.GetString()!, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;
        return new LockStatus(root.GetProperty("name").GetString() ?? name, root.GetProperty("held").GetBoolean(), expiresIn, fence);
    }

    /// <summary>GET <c>v1/elections/{name}</c>: the leader, or null when nobody leads.</summary>
    public async Task<ElectionLeader?> LeaderAsync(string name, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, NamePath(ElectionRoute, name));
        using var answer = await SendAsync(request, "leader", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode != HttpStatusCode.OK)
            throw Failure("leader", await ServiceProblem.ReadAsync(answer, cancellationToken).ConfigureAwait(false));
        using var document = await ReadJsonAsync(answer, cancellationToken).ConfigureAwait(false);
        return Leader(document.RootElement, name, "leader");
    }

    /// <summary>
    /// GET <c>v1/elections/{name}/observe</c> as server-sent events: each <c>leader</c> event's data, in order. The service
    /// sends a comment every <paramref name="keepAlive"/>; a stream silent for twice that plus the connect timeout is
    /// taken for dead and fails, so no read waits unbounded.
    /// </summary>
    public async IAsyncEnumerable<ElectionLeader> ObserveAsync(string name, TimeSpan keepAlive, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, NamePath(ElectionRoute, name, "/observe", "keepAliveMs=" + Milliseconds(keepAlive)));
        using var answer = await SendHeadersAsync(request, "observe", cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode != HttpStatusCode.OK)
            throw Failure("observe", await ServiceProblem.ReadAsync(answer, cancellationToken).ConfigureAwait(false));
        using var reader = new StreamReader(await answer.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), Encoding.UTF8);
        var silence = keepAlive * 2 + options.ConnectTimeout;
        string? kind = null;
        var data = new StringBuilder();
        while (true)
        {
            string? line;
            using (var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                quiet.CancelAfter(silence);
                try
                {
                    line = await reader.ReadLineAsync(quiet.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new CoordServiceException($"The Coord service at {BaseAddress} sent nothing on the observation of election '{name}' for {silence.TotalMilliseconds:0} ms; the stream is taken for dead.",
                        null, null, null, new TimeoutException(ex.Message, ex));
                }
            }
            if (line is null)
                throw new CoordServiceException($"The Coord service at {BaseAddress} ended the observation of election '{name}'.", null, null, null);
            if (line.Length == 0)
            {
                if (kind == "leader" && data.Length > 0)
                {
                    using var document = JsonDocument.Parse(data.ToString());
                    if (Leader(document.RootElement, name, "observe") is { } leader)
                        yield return leader;
                }
                else if (kind == "error" && data.Length > 0)
                {
                    using var document = JsonDocument.Parse(data.ToString());
                    var root = document.RootElement;
                    var code = root.TryGetProperty("code", out var c) ? c.GetString() : null;
                    var detail = root.TryGetProperty("detail", out var d) ? d.GetString() : null;
                    throw new CoordServiceException($"The Coord service at {BaseAddress} ended the observation of election '{name}': {code}: {detail}", HttpStatusCode.ServiceUnavailable, code, detail);
                }
                kind = null;
                data.Clear();
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                kind = line["event:".Length..].Trim();
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Append(line["data:".Length..].TrimStart(' '));
            }
        }
    }

    private ElectionLeader? Leader(JsonElement root, string name, string operation)
    {
        if (!root.GetProperty("hasLeader").GetBoolean())
            return null;
        var value = root.GetProperty("value").GetString() ?? throw Malformed(operation, "value");
        var term = root.GetProperty("term").GetString() ?? throw Malformed(operation, "term");
        return new ElectionLeader(name, value, long.Parse(term, NumberStyles.None, CultureInfo.InvariantCulture));
    }

    /// <summary>Sends and returns once the headers are in (bounded by the connect timeout), leaving the body to stream.</summary>
    private async Task<HttpResponseMessage> SendHeadersAsync(HttpRequestMessage request, string operation, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new CoordServiceException($"The Coord service at {BaseAddress} did not answer {operation} within {options.ConnectTimeout.TotalMilliseconds:0} ms.",
                null, null, null, new TimeoutException(ex.Message, ex));
        }
        catch (HttpRequestException ex)
        {
            throw new CoordServiceException($"The Coord service at {BaseAddress} could not be reached for {operation}: {ex.Message}", null, null, null, ex);
        }
    }

    /// <summary>GET an id list (<c>?count=</c>) and parse its decimal or UUID strings without a string per id.</summary>
    public async Task<T[]> IdsAsync<T>(string path, int count, IdParser<T> parse, CancellationToken cancellationToken)
    {
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{path}{separator}count={count.ToString(CultureInfo.InvariantCulture)}");
        using var answer = await SendAsync(request, "ids", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode != HttpStatusCode.OK)
            throw Failure("ids", await ServiceProblem.ReadAsync(answer, cancellationToken).ConfigureAwait(false));
        var body = await answer.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return IdListReader.Read(body, count, parse);
    }

    public async Task<SnowflakeIdParts> DecodeSnowflakeAsync(long id, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/ids/snowflake/" + id.ToString(CultureInfo.InvariantCulture));
        using var answer = await SendAsync(request, "decode", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode != HttpStatusCode.OK)
            throw Failure("decode", await ServiceProblem.ReadAsync(answer, cancellationToken).ConfigureAwait(false));
        using var document = await ReadJsonAsync(answer, cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        return new SnowflakeIdParts(id, root.GetProperty("timestamp").GetDateTimeOffset(), root.GetProperty("timestampMs").GetInt64(),
            root.GetProperty("workerId").GetInt32(), root.GetProperty("rollbackCounter").GetInt32(), root.GetProperty("sequence").GetInt32());
    }

    private async Task<bool> ExpectHolderAsync(HttpRequestMessage request, string operation, HttpStatusCode success, CancellationToken cancellationToken)
    {
        using var answer = await SendAsync(request, operation, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        if (answer.StatusCode == success)
            return true;
        var problem = await ServiceProblem.ReadAsync(answer, cancellationToken).ConfigureAwait(false);
        if (problem is { Status: HttpStatusCode.Conflict, Code: "not_holder" })
            return false;
        throw Failure(operation, problem);
    }

    /// <summary>Sends with a bound of <paramref name="wait"/> plus the connect timeout; failures without an answer become <see cref="CoordServiceException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, string operation, TimeSpan wait, CancellationToken cancellationToken)
    {
        var bound = wait + options.ConnectTimeout;
        using var timeout = new CancellationTokenSource(bound, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new CoordServiceException(
                $"The Coord service at {BaseAddress} did not answer {operation} within {bound.TotalMilliseconds:0} ms.",
                null, null, null, new TimeoutException(ex.Message, ex));
        }
        catch (HttpRequestException ex)
        {
            throw new CoordServiceException($"The Coord service at {BaseAddress} could not be reached for {operation}: {ex.Message}", null, null, null, ex);
        }
    }

    private CoordServiceException Failure(string operation, ServiceProblem problem)
        => new($"The Coord service at {BaseAddress} refused {operation}: {problem.Describe()}", problem.Status, problem.Code, problem.Detail);

    private CoordServiceException Malformed(string operation, string field)
        => new($"The Coord service at {BaseAddress} answered {operation} without '{field}'.", HttpStatusCode.OK, null, null);

    /// <summary>
    /// Absolute and sent exactly as built: <see cref="Uri"/> would otherwise unescape %2E and drop a name's
    /// "." or ".." as a dot segment, turning one lock's name into another's.
    /// </summary>
    private Uri NamePath(string route, string name, string action = "", string query = "")
    {
        var parameters = string.Join("&", new[] { _backendQuery.TrimStart('?'), query }.Where(q => q.Length > 0));
        return new(BaseAddress.AbsoluteUri + route + EncodeName(name) + action + (parameters.Length == 0 ? "" : "?" + parameters),
            new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
    }

    /// <summary>
    /// One path segment: every reserved character escaped, '/' included (the service decodes %2F to '/'),
    /// and '.' too, so that no name reads as a "." or ".." segment that URI normalisation would remove.
    /// </summary>
    internal static string EncodeName(string name) => Uri.EscapeDataString(name).Replace(".", "%2E", StringComparison.Ordinal);

    private static StringContent Body(string json) => new(json, Encoding.UTF8, Json);

    private static string Milliseconds(TimeSpan span) => ((long)Math.Ceiling(span.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);

    private static async Task<JsonDocument> ReadJsonAsync(HttpResponseMessage answer, CancellationToken cancellationToken)
    {
        var body = await answer.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return JsonDocument.Parse(body);
    }
}
