using Coord.Client.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Client;

/// <summary>
/// The Coord service from another process: <see cref="Locks"/> with the lock library's contract, and
/// prefetching id generators. Register it with <see cref="CoordClientServiceCollectionExtensions.AddCoordClient"/>,
/// or make a standalone one with <see cref="Create"/>. Thread-safe; one per process and service is enough.
/// </summary>
/// <example>
/// <code>
/// await using var held = await coord.Locks.AcquireAsync("orders/42", wait: TimeSpan.FromSeconds(5));
/// await store.WriteAsync(order, fencingToken: held.FencingToken, held.Lost);
/// long id = coord.Snowflake.Next();
/// </code>
/// </example>
public sealed class CoordClient : IAsyncDisposable
{
    private readonly ServiceApi _api;
    private readonly CoordClientOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly Lazy<CoordSnowflakeIds> _snowflake;
    private readonly Lazy<CoordUuidIds> _uuidV7;
    private readonly Lazy<CoordUuidIds> _uuidV4;
    private readonly Lazy<CoordSegmentIds> _segments;
    private readonly Lazy<CoordServiceSemaphore> _semaphores;
    private readonly Lazy<CoordServiceLeaderElection> _elections;

    internal CoordClient(HttpClient http, CoordClientOptions options, ILoggerFactory? loggers, IAsyncDisposable? owned = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _loggers = loggers ?? NullLoggerFactory.Instance;
        _api = new ServiceApi(http, options);
        Locks = new CoordServiceLock(_api, options, _loggers.CreateLogger<CoordServiceLock>(), owned);
        _semaphores = new(() => new CoordServiceSemaphore(_api, options, _loggers.CreateLogger<CoordServiceSemaphore>()));
        _elections = new(() => new CoordServiceLeaderElection(_api, options, _loggers.CreateLogger<CoordServiceLeaderElection>()));
        _snowflake = new(() => new CoordSnowflakeIds(Buffer("snowflake", "v1/ids/snowflake", IdListReader.Int64), _api));
        _uuidV7 = new(() => new CoordUuidIds(Buffer("uuid-v7", "v1/ids/uuid?version=7", IdListReader.Uuid), 7));
        _uuidV4 = new(() => new CoordUuidIds(Buffer("uuid-v4", "v1/ids/uuid?version=4", IdListReader.Uuid), 4));
        _segments = new(() => new CoordSegmentIds(tag => Buffer("segment " + tag, "v1/ids/segment/" + Uri.EscapeDataString(tag), IdListReader.Int64)));
    }

    /// <summary>
    /// A client with its own connections, outside dependency injection. Throws <see cref="ArgumentException"/>
    /// naming the setting when the options cannot work.
    /// </summary>
    public static CoordClient Create(Action<CoordClientOptions> configure, ILoggerFactory? loggers = null)
    {
        var services = new ServiceCollection();
        if (loggers is not null)
            services.AddSingleton(loggers);
        services.AddCoordClient(configure);
        var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient(CoordClientServiceCollectionExtensions.HttpClientName);
        var options = new CoordClientOptions();
        configure(options);
        return new CoordClient(http, options, loggers, provider);
    }

    /// <summary>
    /// Locks held through the service: renewed in the background, lost at their validity deadline, released on
    /// dispose. Disposing it disposes the connections of a client made by <see cref="Create"/>, so it may be handed
    /// out on its own.
    /// </summary>
    public CoordServiceLock Locks { get; }

    /// <summary>
    /// Semaphores held through the service (<c>/v1/semaphores</c>): each permit renewed in the background, lost at its
    /// validity deadline, released on dispose. Its permits use this client's connections, so dispose them before the client.
    /// </summary>
    public CoordServiceSemaphore Semaphores => _semaphores.Value;

    /// <summary>Leader elections (<c>/v1/elections/{name}</c>): campaign, resign, the leader and its term, observe; on the default or configured backend.</summary>
    public CoordServiceLeaderElection Elections => _elections.Value;

    /// <summary>Snowflake ids, prefetched; <see cref="CoordSnowflakeIds.DecodeAsync"/> reads one back.</summary>
    public CoordSnowflakeIds Snowflake => _snowflake.Value;

    /// <summary>Time-ordered UUIDs (version 7), prefetched.</summary>
    public CoordUuidIds UuidsV7 => _uuidV7.Value;

    /// <summary>Random UUIDs (version 4), prefetched.</summary>
    public CoordUuidIds UuidsV4 => _uuidV4.Value;

    /// <summary>Segment ids by tag, prefetched per tag.</summary>
    public CoordSegmentIds Segments => _segments.Value;

    /// <summary>The service this client talks to.</summary>
    public Uri BaseAddress => _api.BaseAddress;

    private PrefetchingIdBuffer<T> Buffer<T>(string what, string path, IdParser<T> parse)
        => new(what, (count, ct) => _api.IdsAsync(path, count, parse, ct), _options.InitialIdBatchSize, _options.MaxIdBatchSize,
            _options.TimeProvider, _loggers.CreateLogger<CoordClient>());

    public override string ToString() => $"CoordClient({BaseAddress})";

    /// <summary>Stops the id prefetches, then releases every live hold; a client made by <see cref="Create"/> then closes its connections.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_snowflake.IsValueCreated)
            await _snowflake.Value.DisposeAsync().ConfigureAwait(false);
        if (_uuidV7.IsValueCreated)
            await _uuidV7.Value.DisposeAsync().ConfigureAwait(false);
        if (_uuidV4.IsValueCreated)
            await _uuidV4.Value.DisposeAsync().ConfigureAwait(false);
        if (_segments.IsValueCreated)
            await _segments.Value.DisposeAsync().ConfigureAwait(false);
        if (_semaphores.IsValueCreated)
            await _semaphores.Value.DisposeAsync().ConfigureAwait(false);
        if (_elections.IsValueCreated)
            await _elections.Value.DisposeAsync().ConfigureAwait(false);
        // Last: the holds are released over the connections that the lock provider then closes.
        await Locks.DisposeAsync().ConfigureAwait(false);
    }
}
