#pragma once

// Request-path metrics without shared atomics.
//  * CounterArray: a growable array of uint64 counters with one writer thread and any number of
//    reader threads. The writer adds with a relaxed load and store (no locked instruction: nobody
//    else writes the line); readers take relaxed loads. Storage grows in fixed chunks that never
//    move, so a reader never sees a counter being relocated.
//  * WorkerMetrics: one worker's counters, indexed by the integer ids a Generation assigns to its
//    listeners, routes, clusters and endpoints (see metrics_registry.h). Owned by the Worker;
//    written only by its thread; read by the admin scrape on the main thread, which sums the
//    workers (metrics_exposition.h).

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace gantry::observability {

class CounterArray {
public:
    static constexpr size_t kChunkSize = 512;  // counters per chunk: 4 KiB
    static constexpr size_t kMaxChunks = 512;  // 262144 counters at most

    CounterArray();
    ~CounterArray();
    CounterArray(const CounterArray&) = delete;
    CounterArray& operator=(const CounterArray&) = delete;

    // Writer thread: makes counters [0, count) usable (clamped to the maximum).
    void ensure(size_t count);

    // Writer thread. An index past the capacity is ignored (only possible past the maximum).
    void add(size_t index, uint64_t n = 1) {
        if (index >= capacity_) {
            return;
        }
        std::atomic<uint64_t>& counter =
            chunks_[index / kChunkSize].load(std::memory_order_relaxed)->values[index % kChunkSize];
        counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    // Any thread: the counter's value, 0 when it was never made.
    uint64_t load(size_t index) const;

    size_t capacity() const { return capacity_; }  // writer thread

private:
    struct alignas(64) Chunk {
        std::array<std::atomic<uint64_t>, kChunkSize> values{};
    };

    std::unique_ptr<std::atomic<Chunk*>[]> chunks_;
    size_t capacity_ = 0;
};

// Latency histogram buckets (upper bounds, seconds): Prometheus-style, 0.5 ms to 60 s. The
// request path compares integer nanoseconds (kLatencyBoundsNs); the page prints the seconds.
inline constexpr std::array<double, 16> kLatencyBounds = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
inline constexpr std::array<int64_t, 16> kLatencyBoundsNs = {
    500'000,       1'000'000,      2'500'000,      5'000'000,     10'000'000,    25'000'000,
    50'000'000,    100'000'000,    250'000'000,    500'000'000,   1'000'000'000, 2'500'000'000,
    5'000'000'000, 10'000'000'000, 30'000'000'000, 60'000'000'000};
inline constexpr size_t kLatencyBuckets = kLatencyBounds.size() + 1;  // + the +Inf bucket

// Index of the bucket a duration falls in (the first bound >= it; the last one is +Inf).
inline size_t latency_bucket(std::chrono::nanoseconds duration) {
    int64_t ns = duration.count();
    size_t i = 0;
    while (i < kLatencyBoundsNs.size() && ns > kLatencyBoundsNs[i]) {
        ++i;
    }
    return i;
}

// 1xx..5xx as 0..4; anything outside 100..599 counts with 5xx (it is a gantry-made error).
inline size_t status_class_index(int status) {
    int cls = status / 100;
    return cls >= 1 && cls <= 5 ? static_cast<size_t>(cls - 1) : 4;
}

inline constexpr size_t kStatusClasses = 5;

// Per-listener slots.
struct ListenerSlots {
    static constexpr size_t kLocalReplies = 0;  // + status class (5)
    static constexpr size_t kDownstreamTimeouts = 5;
    static constexpr size_t kLatency = 6;                         // kLatencyBuckets counts
    static constexpr size_t kLatencySumNs = 6 + kLatencyBuckets;  // sum of durations, ns
    static constexpr size_t kStride = kLatencySumNs + 1;
};

// Per-cluster slots.
struct ClusterSlots {
    static constexpr size_t kResponses = 0;   // + status class (5) of upstream responses
    static constexpr size_t kNoResponse = 5;  // tries that got no response (connect, reset, ...)
    static constexpr size_t kTimeouts = 6;
    static constexpr size_t kNewConnections = 7;
    static constexpr size_t kReusedConnections = 8;
    static constexpr size_t kRetries = 9;
    static constexpr size_t kOverflows = 10;
    static constexpr size_t kLatency = 11;
    static constexpr size_t kLatencySumNs = 11 + kLatencyBuckets;
    static constexpr size_t kStride = kLatencySumNs + 1;
};

// Per-cluster slots of the traffic-management decisions (retries, timeouts, mirroring) that
// ClusterSlots does not already hold. Kept in their own array so each feature's slots stay apart.
struct ClusterTrafficSlots {
    static constexpr size_t kRetriesRefused = 0;  // retriable outcomes not retried (budget, max)
    static constexpr size_t kTimeouts = 1;        // + UpstreamTimeoutKind (4)
    static constexpr size_t kMirrorSent = 5;      // shadow copies sent, this cluster the mirror
    static constexpr size_t kMirrorDropped = 6;   // shadow copies dropped (breaker, body size)
    static constexpr size_t kStride = 7;
};

// Which deadline expired, for WorkerMetrics::on_upstream_timeout.
enum class UpstreamTimeoutKind : uint8_t { Connect, Request, PerTry, Idle };

inline constexpr size_t kUpstreamTimeoutKinds = 4;

// Per-endpoint slots.
struct EndpointSlots {
    static constexpr size_t kStarted = 0;
    static constexpr size_t kFinished = 1;
    static constexpr size_t kFailures = 2;  // no response, or a 5xx
    static constexpr size_t kStride = 3;
};

// How many ids of each kind a generation uses (the registry's sizes when it was built).
struct MetricSizes {
    uint32_t route_series = 0;
    uint32_t listeners = 0;
    uint32_t clusters = 0;
    uint32_t endpoints = 0;
};

class WorkerMetrics {
public:
    // Writer (worker) thread: makes room for every id of a generation before it is used.
    void ensure(const MetricSizes& sizes);

    // --- Writer thread: the hooks ------------------------------------------------------------

    void on_connection_opened() { bump(connections_opened_); }

    void on_connection_closed() { bump(connections_closed_); }

    // A finished downstream request (one access-log line).
    void on_request(uint32_t route_series, uint32_t listener, int status,
                    std::chrono::nanoseconds duration, bool is_local_reply,
                    bool is_downstream_timeout) {
        size_t cls = status_class_index(status);
        requests_.add(route_series * kStatusClasses + cls);
        size_t base = listener * ListenerSlots::kStride;
        if (is_local_reply) {
            listeners_.add(base + ListenerSlots::kLocalReplies + cls);
        }
        if (is_downstream_timeout) {
            listeners_.add(base + ListenerSlots::kDownstreamTimeouts);
        }
        add_latency(listeners_, base + ListenerSlots::kLatency, duration);
    }

    void on_upstream_start(uint32_t endpoint) {
        endpoints_.add(endpoint * EndpointSlots::kStride + EndpointSlots::kStarted);
    }

    // An upstream request ended; `status` is the upstream's response status, 0 when none came.
    void on_upstream_end(uint32_t cluster, uint32_t endpoint, int status,
                         std::chrono::nanoseconds duration, bool is_timeout) {
        size_t base = cluster * ClusterSlots::kStride;
        size_t endpoint_base = endpoint * EndpointSlots::kStride;
        endpoints_.add(endpoint_base + EndpointSlots::kFinished);
        if (status == 0 || status >= 500) {
            endpoints_.add(endpoint_base + EndpointSlots::kFailures);
        }
        clusters_.add(base + (status == 0 ? ClusterSlots::kNoResponse
                                          : ClusterSlots::kResponses + status_class_index(status)));
        if (is_timeout) {
            clusters_.add(base + ClusterSlots::kTimeouts);
        }
        add_latency(clusters_, base + ClusterSlots::kLatency, duration);
    }

    // An upstream connection was taken for a request: from the pool, or newly connected.
    void on_upstream_connection(uint32_t cluster, bool is_reused) {
        clusters_.add(cluster * ClusterSlots::kStride + (is_reused
                                                             ? ClusterSlots::kReusedConnections
                                                             : ClusterSlots::kNewConnections));
    }

    // For the retry and circuit-breaker code: call once per retry sent, and once per request a
    // circuit breaker turned away (cluster id: upstream::Cluster::metric_id()).
    void on_upstream_retry(uint32_t cluster) {
        clusters_.add(cluster * ClusterSlots::kStride + ClusterSlots::kRetries);
    }

    void on_circuit_breaker_overflow(uint32_t cluster) {
        clusters_.add(cluster * ClusterSlots::kStride + ClusterSlots::kOverflows);
    }

    // --- Writer thread: traffic-management hooks (retry, timeout and mirror code) -----------

    // A retriable outcome that was not retried: the retry budget or max_retries said no.
    void on_retry_refused(uint32_t cluster) {
        cluster_traffic_.add(cluster * ClusterTrafficSlots::kStride +
                             ClusterTrafficSlots::kRetriesRefused);
    }

    // A deadline of an upstream request expired (counted once per expiry).
    void on_upstream_timeout(uint32_t cluster, UpstreamTimeoutKind kind) {
        cluster_traffic_.add(cluster * ClusterTrafficSlots::kStride +
                             ClusterTrafficSlots::kTimeouts + static_cast<size_t>(kind));
    }

    // A shadow copy for the mirror cluster `cluster` was sent, or dropped.
    void on_mirror(uint32_t cluster, bool is_sent) {
        cluster_traffic_.add(
            cluster * ClusterTrafficSlots::kStride +
            (is_sent ? ClusterTrafficSlots::kMirrorSent : ClusterTrafficSlots::kMirrorDropped));
    }

    // A TLS handshake on a listener failed or timed out (the connection was closed).
    void on_tls_handshake_failure(uint32_t listener) { tls_handshake_failures_.add(listener); }

    // --- Any thread: reads ------------------------------------------------------------------

    uint64_t connections_opened() const { return connections_opened_.load(kRelaxed); }

    uint64_t connections_closed() const { return connections_closed_.load(kRelaxed); }

    uint64_t requests(uint32_t route_series, size_t status_class) const {
        return requests_.load(route_series * kStatusClasses + status_class);
    }

    uint64_t listener(uint32_t listener, size_t slot) const {
        return listeners_.load(listener * ListenerSlots::kStride + slot);
    }

    uint64_t cluster(uint32_t cluster, size_t slot) const {
        return clusters_.load(cluster * ClusterSlots::kStride + slot);
    }

    uint64_t cluster_traffic(uint32_t cluster, size_t slot) const {
        return cluster_traffic_.load(cluster * ClusterTrafficSlots::kStride + slot);
    }

    uint64_t tls_handshake_failures(uint32_t listener) const {
        return tls_handshake_failures_.load(listener);
    }

    uint64_t endpoint(uint32_t endpoint, size_t slot) const {
        return endpoints_.load(endpoint * EndpointSlots::kStride + slot);
    }

private:
    static constexpr auto kRelaxed = std::memory_order_relaxed;

    static void bump(std::atomic<uint64_t>& counter) {
        counter.store(counter.load(kRelaxed) + 1, kRelaxed);
    }

    static void add_latency(CounterArray& array, size_t base, std::chrono::nanoseconds duration) {
        array.add(base + latency_bucket(duration));
        array.add(base + kLatencyBuckets,
                  static_cast<uint64_t>(duration.count() > 0 ? duration.count() : 0));
    }

    alignas(64) std::atomic<uint64_t> connections_opened_{0};
    std::atomic<uint64_t> connections_closed_{0};
    CounterArray requests_;                // route series x status class
    CounterArray listeners_;               // listener x ListenerSlots
    CounterArray clusters_;                // cluster x ClusterSlots
    CounterArray endpoints_;               // endpoint x EndpointSlots
    CounterArray cluster_traffic_;         // cluster x ClusterTrafficSlots
    CounterArray tls_handshake_failures_;  // listener
};

// Process-wide figures the main thread keeps (not on the request path).
struct ProcessMetrics {
    uint64_t reloads = 0;          // reloads applied
    uint64_t reload_failures = 0;  // reloads rejected (bad file); the old config kept serving
    uint64_t generation = 0;       // number of the running config generation
    size_t workers = 0;
    double start_time_seconds = 0;  // Unix time the process started
};

}  // namespace gantry::observability
