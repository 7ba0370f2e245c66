using System.Text;
using System.Text.Json;
using Coord.Locks;
using Coord.Service.Errors;
using Coord.Service.Locks;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Coord.Service.Elections;

/// <summary>
/// <c>GET /v1/elections/{name}/observe</c> as server-sent events: a <c>leader</c> event for the leader now and each
/// change after (the provider's <see cref="ILeaderElection.ObserveAsync"/>, so terms never go back), a comment every
/// keep-alive interval so proxies and clients can tell a quiet election from a dead connection, and an <c>error</c>
/// event carrying a problem if the backend fails once the stream has begun. It ends when the client goes away.
/// </summary>
internal static class ElectionObserveStream
{
    public const string ContentType = "text/event-stream";

    public static readonly TimeSpan DefaultKeepAlive = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan MinimumKeepAlive = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaximumKeepAlive = TimeSpan.FromSeconds(60);

    public static TimeSpan KeepAlive(long? keepAliveMs)
    {
        if (keepAliveMs is not { } ms)
            return DefaultKeepAlive;
        var min = (long)MinimumKeepAlive.TotalMilliseconds;
        var max = (long)MaximumKeepAlive.TotalMilliseconds;
        if (ms < min || ms > max)
            throw new ArgumentException($"keepAliveMs must be between {min} and {max} milliseconds; it was {ms}.");
        return TimeSpan.FromMilliseconds(ms);
    }

    public static async Task RunAsync(HttpContext http, string backend, LeaderElectionProvider election, string name, TimeSpan keepAlive, TimeProvider time)
    {
        var gone = http.RequestAborted;
        // Ours, so that the finally below can end a pending read whatever stopped the loop.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(gone);
        var stopped = stop.Token;
        // Validates the name before anything is sent, so a bad one is still an ordinary 400 problem.
        var leaders = election.ObserveAsync(name, stopped);
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-cache";
        // Proxies that buffer (nginx) would hold events back until the buffer fills.
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var json = http.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;

        var enumerator = leaders.GetAsyncEnumerator(stopped);
        using var ticks = new PeriodicTimer(keepAlive, time);
        Task<bool>? next = null;
        Task<bool>? tick = null;
        try
        {
            await WriteAsync(response, $": observing election {Quote(name)} on backend {Quote(backend)}\n\n", stopped);
            while (true)
            {
                next ??= enumerator.MoveNextAsync().AsTask();
                tick ??= ticks.WaitForNextTickAsync(stopped).AsTask();
                if (await Task.WhenAny(next, tick) == next)
                {
                    if (!await next)
                        return;
                    next = null;
                    var leader = ElectionEndpoints.Describe(name, backend, enumerator.Current);
                    var data = JsonSerializer.Serialize(leader, LockJsonContext.Default.ElectionLeaderResponse);
                    await WriteAsync(response, $"event: leader\nid: {leader.Term}\ndata: {data}\n\n", stopped);
                }
                else
                {
                    await tick;
                    tick = null;
                    await WriteAsync(response, ": keep-alive\n\n", stopped);
                }
            }
        }
        catch (OperationCanceledException) when (gone.IsCancellationRequested)
        {
            // The client went away: nothing more to say, and nobody to say it to.
        }
        catch (LockBackendException failure)
        {
            var problem = Problems.Details(StatusCodes.Status503ServiceUnavailable, ProblemCodes.BackendUnavailable, BackendFailure.Detail(failure, http.TraceIdentifier));
            await WriteAsync(response, $"event: error\ndata: {JsonSerializer.Serialize(problem, json)}\n\n", CancellationToken.None);
        }
        finally
        {
            // An async iterator may not be disposed while a MoveNext is still running: stop it and let it end first.
            await stop.CancelAsync();
            await Settle(next);
            ticks.Dispose();
            await Settle(tick);
            await enumerator.DisposeAsync();
        }
    }

    private static async Task Settle(Task? pending)
    {
        if (pending is null)
            return;
        try
        {
            await pending;
        }
        catch (Exception)
        {
            // Ended by the cancellation or failure already handled above.
        }
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    // A comment line must not break: the name and backend are free text.
    private static string Quote(string text) => "'" + text.Replace('\n', ' ').Replace('\r', ' ') + "'";
}
