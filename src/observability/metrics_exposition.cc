#include <limits>
#include <sstream>

#include <prometheus/text_serializer.h>

#include <gantry/observability/metrics_exposition.h>

namespace gantry::observability {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

constexpr const char* kClassNames[kStatusClasses] = {"1xx", "2xx", "3xx", "4xx", "5xx"};

// Sums one slot over the workers.
template <typename Read>
uint64_t sum(const std::vector<const WorkerMetrics*>& workers, Read read) {
    uint64_t total = 0;
    for (const WorkerMetrics* worker : workers) {
        total += read(*worker);
    }
    return total;
}

MetricFamily family(std::string name, std::string help, MetricType type) {
    MetricFamily out;
    out.name = std::move(name);
    out.help = std::move(help);
    out.type = type;
    return out;
}

void add_value(MetricFamily& family, Labels labels, double value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    switch (family.type) {
        case MetricType::Counter:
            metric.counter.value = value;
            break;
        default:
            metric.gauge.value = value;
            break;
    }
    family.metric.push_back(std::move(metric));
}

// A histogram whose buckets start at `base` of a slot array read by `read(worker, slot)`.
template <typename Read>
void add_histogram(MetricFamily& family, Labels labels,
                   const std::vector<const WorkerMetrics*>& workers, size_t base, Read read) {
    ClientMetric metric;
    metric.label = std::move(labels);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
        cumulative += sum(workers, [&](const WorkerMetrics& w) { return read(w, base + i); });
        ClientMetric::Bucket bucket;
        bucket.cumulative_count = cumulative;
        bucket.upper_bound =
            i < kLatencyBounds.size() ? kLatencyBounds[i] : std::numeric_limits<double>::infinity();
        metric.histogram.bucket.push_back(bucket);
    }
    metric.histogram.sample_count = cumulative;
    uint64_t sum_ns =
        sum(workers, [&](const WorkerMetrics& w) { return read(w, base + kLatencyBuckets); });
    metric.histogram.sample_sum = static_cast<double>(sum_ns) / 1e9;
    family.metric.push_back(std::move(metric));
}

void add_process(std::vector<MetricFamily>& out, const ProcessMetrics& process) {
    auto info = family("gantry_build_info", "gantry's version (always 1)", MetricType::Gauge);
    add_value(info, {{"version", GANTRY_VERSION}}, 1);
    out.push_back(std::move(info));
    auto start =
        family("gantry_start_time_seconds", "Unix time the process started", MetricType::Gauge);
    add_value(start, {}, process.start_time_seconds);
    out.push_back(std::move(start));
    auto workers = family("gantry_workers", "Worker threads", MetricType::Gauge);
    add_value(workers, {}, static_cast<double>(process.workers));
    out.push_back(std::move(workers));
    auto generation = family("gantry_config_generation",
                             "Number of the running config generation (1 at start, +1 per reload)",
                             MetricType::Gauge);
    add_value(generation, {}, static_cast<double>(process.generation));
    out.push_back(std::move(generation));
    auto reloads = family("gantry_config_reloads_total", "Reloads applied", MetricType::Counter);
    add_value(reloads, {}, static_cast<double>(process.reloads));
    out.push_back(std::move(reloads));
    auto failures =
        family("gantry_config_reload_failures_total",
               "Reloads rejected (the running config kept serving)", MetricType::Counter);
    add_value(failures, {}, static_cast<double>(process.reload_failures));
    out.push_back(std::move(failures));
}

void add_connections(std::vector<MetricFamily>& out,
                     const std::vector<const WorkerMetrics*>& workers) {
    // Closings first: read the other way round, a connection opened and closed between the two
    // reads could make the active count negative.
    uint64_t closed = sum(workers, [](const WorkerMetrics& w) { return w.connections_closed(); });
    uint64_t opened = sum(workers, [](const WorkerMetrics& w) { return w.connections_opened(); });
    auto total = family("gantry_downstream_connections_total", "Client connections accepted",
                        MetricType::Counter);
    add_value(total, {}, static_cast<double>(opened));
    out.push_back(std::move(total));
    auto active = family("gantry_downstream_connections_active", "Client connections open now",
                         MetricType::Gauge);
    add_value(active, {}, static_cast<double>(opened >= closed ? opened - closed : 0));
    out.push_back(std::move(active));
}

void add_requests(std::vector<MetricFamily>& out, const MetricRegistry& registry,
                  const std::vector<const WorkerMetrics*>& workers) {
    auto requests = family("gantry_requests_total",
                           "Downstream requests by listener, virtual host, route, the route's "
                           "cluster and response status class",
                           MetricType::Counter);
    const auto& series = registry.route_series();
    for (uint32_t id = 0; id < series.size(); ++id) {
        const RouteSeriesLabels& labels = series[id];
        for (size_t cls = 0; cls < kStatusClasses; ++cls) {
            uint64_t count =
                sum(workers, [&](const WorkerMetrics& w) { return w.requests(id, cls); });
            if (count == 0) {
                continue;  // only label sets that have seen traffic
            }
            add_value(requests,
                      {{"listener", registry.listeners()[labels.listener]},
                       {"virtual_host", labels.virtual_host},
                       {"route", labels.route},
                       {"cluster", labels.cluster},
                       {"status_class", kClassNames[cls]}},
                      static_cast<double>(count));
        }
    }
    out.push_back(std::move(requests));
}

void add_listeners(std::vector<MetricFamily>& out, const MetricRegistry& registry,
                   const std::vector<const WorkerMetrics*>& workers) {
    auto latency = family("gantry_request_duration_seconds",
                          "Downstream request time, first request byte to the end of the response",
                          MetricType::Histogram);
    auto local = family("gantry_local_replies_total",
                        "Responses gantry made itself (errors, respond and redirect routes)",
                        MetricType::Counter);
    auto timeouts = family("gantry_downstream_timeouts_total",
                           "Requests ended because the client was too slow", MetricType::Counter);
    auto read = [](const WorkerMetrics& w, uint32_t id, size_t slot) {
        return w.listener(id, slot);
    };
    for (uint32_t id = 0; id < registry.listeners().size(); ++id) {
        const std::string& name = registry.listeners()[id];
        add_histogram(latency, {{"listener", name}}, workers, ListenerSlots::kLatency,
                      [&](const WorkerMetrics& w, size_t slot) { return read(w, id, slot); });
        for (size_t cls = 0; cls < kStatusClasses; ++cls) {
            uint64_t count = sum(workers, [&](const WorkerMetrics& w) {
                return read(w, id, ListenerSlots::kLocalReplies + cls);
            });
            if (count != 0) {
                add_value(local, {{"listener", name}, {"status_class", kClassNames[cls]}},
                          static_cast<double>(count));
            }
        }
        add_value(timeouts, {{"listener", name}},
                  static_cast<double>(sum(workers, [&](const WorkerMetrics& w) {
                      return read(w, id, ListenerSlots::kDownstreamTimeouts);
                  })));
    }
    out.push_back(std::move(latency));
    out.push_back(std::move(local));
    out.push_back(std::move(timeouts));
}

void add_clusters(std::vector<MetricFamily>& out, const MetricRegistry& registry,
                  const std::vector<const WorkerMetrics*>& workers) {
    auto responses = family("gantry_upstream_requests_total",
                            "Upstream requests by cluster and the upstream's status class "
                            "(status_class=\"none\": no response: connect failure, reset, timeout)",
                            MetricType::Counter);
    auto latency = family("gantry_upstream_request_duration_seconds",
                          "Upstream request time, endpoint picked to the end of the response",
                          MetricType::Histogram);
    auto connections = family("gantry_upstream_connections_total",
                              "Connections used for upstream requests: reused from the pool or new",
                              MetricType::Counter);
    auto timeouts =
        family("gantry_upstream_timeouts_total",
               "Upstream requests that timed out (connect, request or idle)", MetricType::Counter);
    auto retries = family("gantry_upstream_retries_total", "Retries sent", MetricType::Counter);
    auto overflows = family("gantry_upstream_circuit_breaker_overflows_total",
                            "Requests a circuit breaker turned away", MetricType::Counter);
    for (uint32_t id = 0; id < registry.clusters().size(); ++id) {
        const std::string& name = registry.clusters()[id];
        auto slot_sum = [&](size_t slot) {
            return static_cast<double>(
                sum(workers, [&](const WorkerMetrics& w) { return w.cluster(id, slot); }));
        };
        for (size_t cls = 0; cls < kStatusClasses; ++cls) {
            double count = slot_sum(ClusterSlots::kResponses + cls);
            if (count != 0) {
                add_value(responses, {{"cluster", name}, {"status_class", kClassNames[cls]}},
                          count);
            }
        }
        if (double none = slot_sum(ClusterSlots::kNoResponse); none != 0) {
            add_value(responses, {{"cluster", name}, {"status_class", "none"}}, none);
        }
        add_histogram(latency, {{"cluster", name}}, workers, ClusterSlots::kLatency,
                      [&](const WorkerMetrics& w, size_t slot) { return w.cluster(id, slot); });
        add_value(connections, {{"cluster", name}, {"connection", "new"}},
                  slot_sum(ClusterSlots::kNewConnections));
        add_value(connections, {{"cluster", name}, {"connection", "reused"}},
                  slot_sum(ClusterSlots::kReusedConnections));
        add_value(timeouts, {{"cluster", name}}, slot_sum(ClusterSlots::kTimeouts));
        add_value(retries, {{"cluster", name}}, slot_sum(ClusterSlots::kRetries));
        add_value(overflows, {{"cluster", name}}, slot_sum(ClusterSlots::kOverflows));
    }
    out.push_back(std::move(responses));
    out.push_back(std::move(latency));
    out.push_back(std::move(connections));
    out.push_back(std::move(timeouts));
    out.push_back(std::move(retries));
    out.push_back(std::move(overflows));
}

// The traffic-management series per cluster: refused retries, timeouts by kind, mirror copies.
void add_cluster_traffic(std::vector<MetricFamily>& out, const MetricRegistry& registry,
                         const std::vector<const WorkerMetrics*>& workers) {
    static constexpr const char* kTimeoutKinds[kUpstreamTimeoutKinds] = {"connect", "request",
                                                                         "per_try", "idle"};
    auto refused = family("gantry_upstream_retries_refused_total",
                          "Retriable upstream failures not retried: retry budget or max_retries",
                          MetricType::Counter);
    auto timeouts = family("gantry_upstream_timeouts_by_kind_total",
                           "Upstream request deadlines that expired, by kind", MetricType::Counter);
    auto mirror = family("gantry_upstream_mirror_requests_total",
                         "Shadow copies for a mirror cluster: sent, or dropped (circuit breaker "
                         "full, body too big)",
                         MetricType::Counter);
    for (uint32_t id = 0; id < registry.clusters().size(); ++id) {
        const std::string& name = registry.clusters()[id];
        auto slot_sum = [&](size_t slot) {
            return static_cast<double>(
                sum(workers, [&](const WorkerMetrics& w) { return w.cluster_traffic(id, slot); }));
        };
        add_value(refused, {{"cluster", name}}, slot_sum(ClusterTrafficSlots::kRetriesRefused));
        for (size_t kind = 0; kind < kUpstreamTimeoutKinds; ++kind) {
            add_value(timeouts, {{"cluster", name}, {"kind", kTimeoutKinds[kind]}},
                      slot_sum(ClusterTrafficSlots::kTimeouts + kind));
        }
        add_value(mirror, {{"cluster", name}, {"outcome", "sent"}},
                  slot_sum(ClusterTrafficSlots::kMirrorSent));
        add_value(mirror, {{"cluster", name}, {"outcome", "dropped"}},
                  slot_sum(ClusterTrafficSlots::kMirrorDropped));
    }
    out.push_back(std::move(refused));
    out.push_back(std::move(timeouts));
    out.push_back(std::move(mirror));
}

// TLS handshakes that failed, per listener (0 on a listener without `tls`).
void add_listener_tls(std::vector<MetricFamily>& out, const MetricRegistry& registry,
                      const std::vector<const WorkerMetrics*>& workers) {
    auto failures = family("gantry_tls_handshake_failures_total",
                           "TLS handshakes with clients that failed or timed out, by listener",
                           MetricType::Counter);
    for (uint32_t id = 0; id < registry.listeners().size(); ++id) {
        add_value(failures, {{"listener", registry.listeners()[id]}},
                  static_cast<double>(sum(workers, [&](const WorkerMetrics& w) {
                      return w.tls_handshake_failures(id);
                  })));
    }
    out.push_back(std::move(failures));
}

void add_endpoints(std::vector<MetricFamily>& out, const MetricRegistry& registry,
                   const std::vector<const WorkerMetrics*>& workers) {
    auto requests = family("gantry_upstream_endpoint_requests_total",
                           "Upstream requests finished, by endpoint", MetricType::Counter);
    auto failures =
        family("gantry_upstream_endpoint_failures_total",
               "Upstream requests by endpoint that got no response or a 5xx", MetricType::Counter);
    auto active = family("gantry_upstream_endpoint_active_requests",
                         "Upstream requests in flight, by endpoint", MetricType::Gauge);
    for (uint32_t id = 0; id < registry.endpoints().size(); ++id) {
        const EndpointLabels& endpoint = registry.endpoints()[id];
        Labels labels{{"cluster", registry.clusters()[endpoint.cluster]},
                      {"endpoint", endpoint.address}};
        auto slot_sum = [&](size_t slot) {
            return sum(workers, [&](const WorkerMetrics& w) { return w.endpoint(id, slot); });
        };
        uint64_t finished = slot_sum(EndpointSlots::kFinished);  // first, as for connections
        uint64_t started = slot_sum(EndpointSlots::kStarted);
        add_value(requests, labels, static_cast<double>(finished));
        add_value(failures, labels, static_cast<double>(slot_sum(EndpointSlots::kFailures)));
        add_value(active, labels,
                  static_cast<double>(started >= finished ? started - finished : 0));
    }
    out.push_back(std::move(requests));
    out.push_back(std::move(failures));
    out.push_back(std::move(active));
}

}  // namespace

std::vector<MetricFamily> collect_metrics(const MetricRegistry& registry,
                                          const std::vector<const WorkerMetrics*>& workers,
                                          const ProcessMetrics& process) {
    std::vector<MetricFamily> out;
    add_process(out, process);
    add_connections(out, workers);
    add_requests(out, registry, workers);
    add_listeners(out, registry, workers);
    add_clusters(out, registry, workers);
    add_cluster_traffic(out, registry, workers);
    add_listener_tls(out, registry, workers);
    add_endpoints(out, registry, workers);
    return out;
}

std::string serialize_metrics(const std::vector<MetricFamily>& families) {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, families);
    return out.str();
}

}  // namespace gantry::observability
