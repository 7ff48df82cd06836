#pragma once

// TrafficStats: plain counters of the traffic-management decisions for one cluster on one
// worker (retries, circuit-breaker overflows, timeouts, mirrored copies). Owned by the
// per-worker upstream::Cluster and bumped only on its worker's thread, so they are plain
// integers; the metrics code sums them over workers when it is scraped.

#include <cstdint>

namespace gantry::upstream {

struct TrafficStats {
    uint64_t retries = 0;           // retries started (not counting the first try)
    uint64_t retries_refused = 0;   // retriable outcomes not retried: budget or max_retries
    uint64_t overflows = 0;         // requests answered 503 overloaded by a breaker
    uint64_t timeouts = 0;          // route timeout (whole request) expiries
    uint64_t per_try_timeouts = 0;  // per_try_timeout expiries
    uint64_t connect_timeouts = 0;  // connect_timeout expiries
    uint64_t idle_timeouts = 0;     // idle_timeout expiries
    uint64_t mirrored = 0;          // shadow copies sent (this cluster as the mirror)
    uint64_t mirror_dropped = 0;    // shadow copies dropped (breaker full, body too big)
};

}  // namespace gantry::upstream
