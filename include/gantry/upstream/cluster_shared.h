#pragma once

// ClusterShared: the process-wide state of one configured cluster, as opposed to the per-worker
// Cluster (LB cursor, pools). It holds what must agree across workers: circuit-breaker counts,
// endpoint health and outlier ejections, counters read by the admin endpoint. One object per
// cluster name, created by Generation::build and carried over to the next generation when a
// reload keeps a cluster of the same name, so counts and health survive reloads.
//
// Thread rules: members are either atomics touched by workers (only where a feature needs exact
// cross-worker agreement) or state owned by the main thread and published to workers.

#include <gantry/upstream/circuit_breaker.h>
#include <gantry/upstream/endpoint_health.h>

namespace gantry::upstream {

struct ClusterShared {
    // Features add their own member objects here (circuit breakers, health, outlier state).
    HealthRegistry health;           // per-endpoint health, ejections and outcome counters
    CircuitBreaker circuit_breaker;  // traffic management: limits across workers
};

}  // namespace gantry::upstream
