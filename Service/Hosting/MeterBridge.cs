using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Prometheus;

namespace Coord.Service.Hosting;

/// <summary>
/// Republishes System.Diagnostics.Metrics instruments as prometheus-net metrics, under the names and labels
/// prometheus-net's own meter adapter gives them (<c>&lt;meter&gt;_&lt;instrument&gt;</c>, lowercase, '_' for
/// other characters; counters as gauges). That adapter sorts, copies and leases per measurement, which cost
/// a lock request several microseconds (a dozen measurements each, with ASP.NET Core's request meters); here
/// a measurement is one lookup of its tag values in a cache of metric children and one atomic add.
/// Label sets are those the instruments emit; Coord's and ASP.NET Core's are bounded.
/// </summary>
internal sealed class MeterBridge
{
    private readonly MeterListener _listener = new();
    private readonly Func<Instrument, bool> _filter;
    private readonly Func<Instrument, double[]> _buckets = new MeterAdapterOptions().ResolveHistogramBuckets;

    public MeterBridge(Func<Instrument, bool> filter)
    {
        _filter = filter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (_filter(instrument))
                listener.EnableMeasurementEvents(instrument, new Target(instrument, _buckets));
        };
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((Target)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((Target)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((Target)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((Target)state!).Record(value, tags));
        _listener.Start();
        // Observable instruments report only when asked: ask before every scrape.
        Metrics.DefaultRegistry.AddBeforeCollectCallback(_listener.RecordObservableInstruments);
    }

    /// <summary>One instrument's metric and its children by tag values.</summary>
    private sealed class Target(Instrument instrument, Func<Instrument, double[]> buckets)
    {
        private const int MaxStackKey = 256;
        private const string KeySeparator = "\u0001";
        private const string TagSeparator = "\u0002";
        private readonly string _name = PrometheusName($"{instrument.Meter.Name}_{instrument.Name}");
        private readonly string _help = Help(instrument);
        private readonly ConcurrentDictionary<string, Action<double>> _children = new(StringComparer.Ordinal);
        private readonly bool _isHistogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
        private readonly bool _setsValue = instrument.GetType().Name.StartsWith("ObservableGauge", StringComparison.Ordinal)
            || instrument.GetType().Name.StartsWith("ObservableUpDownCounter", StringComparison.Ordinal);
        private readonly bool _isObservableCounter = instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal);

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Span<char> buffer = stackalloc char[MaxStackKey];
            var lookup = _children.GetAlternateLookup<ReadOnlySpan<char>>();
            if (TryWriteKey(tags, buffer, out var length) && lookup.TryGetValue(buffer[..length], out var cached))
            {
                cached(value);
                return;
            }
            var key = KeyOf(tags);
            if (!_children.TryGetValue(key, out var child))
                child = _children.GetOrAdd(key, Child(tags.ToArray()));
            child(value);
        }

        private Action<double> Child(KeyValuePair<string, object?>[] tags)
        {
            // Label order matters to prometheus-net and not to System.Diagnostics.Metrics: sort by name.
            Array.Sort(tags, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
            var names = tags.Select(t => PrometheusName(t.Key)).ToArray();
            var values = tags.Select(t => Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "").ToArray();
            if (_isHistogram)
            {
                var histogram = Metrics.CreateHistogram(_name, _help, names, new HistogramConfiguration { Buckets = buckets(instrument) }).WithLabels(values);
                return value => histogram.Observe(value, Exemplar.None);
            }
            var gauge = Metrics.CreateGauge(_name, _help, names).WithLabels(values);
            if (_setsValue)
                return gauge.Set;
            if (_isObservableCounter)
                return gauge.IncTo;
            return gauge.Inc;
        }

        // The cache key without allocating: every tag's name and value, in the order the instrument gave them.
        private static bool TryWriteKey(ReadOnlySpan<KeyValuePair<string, object?>> tags, Span<char> buffer, out int length)
        {
            length = 0;
            foreach (var tag in tags)
            {
                if (!Append(buffer, ref length, tag.Key) || !Append(buffer, ref length, KeySeparator))
                    return false;
                if (tag.Value is not string && tag.Value is ISpanFormattable formattable)
                {
                    if (!formattable.TryFormat(buffer[length..], out var written, default, CultureInfo.InvariantCulture))
                        return false;
                    length += written;
                }
                else if (!Append(buffer, ref length, Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? ""))
                {
                    return false;
                }
                if (!Append(buffer, ref length, TagSeparator))
                    return false;
            }
            return true;
        }

        private static string KeyOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var builder = new System.Text.StringBuilder();
            foreach (var tag in tags)
                builder.Append(tag.Key).Append(KeySeparator).Append(Convert.ToString(tag.Value, CultureInfo.InvariantCulture)).Append(TagSeparator);
            return builder.ToString();
        }

        private static bool Append(Span<char> buffer, ref int length, string text)
        {
            if (!text.AsSpan().TryCopyTo(buffer[length..]))
                return false;
            length += text.Length;
            return true;
        }
    }

    private static string PrometheusName(string name)
    {
        var chars = new char[name.Length + 1];
        var length = 0;
        foreach (var original in name)
        {
            var c = char.ToLowerInvariant(original);
            if (length == 0 && !(char.IsAsciiLetter(c) || c == '_'))
                chars[length++] = '_';
            chars[length++] = char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_';
        }
        return new string(chars, 0, length);
    }

    private static string Help(Instrument instrument)
        => (string.IsNullOrWhiteSpace(instrument.Unit) ? "" : $"({instrument.Unit}) ") + instrument.Description + $" ({instrument.GetType().Name})";
}
