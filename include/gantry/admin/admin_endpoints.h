#pragma once

// The admin pages: /metrics (Prometheus text), /ready, /healthz, /config (the running config as
// YAML, secrets redacted) and /clusters (endpoints with weight, request counts and health). Unknown
// paths answer 404, methods other than GET 405. handle_admin_request() is a pure function of an
// AdminState, which server::Server implements; main thread only.

#include <memory>
#include <string_view>
#include <vector>

#include <gantry/admin/admin_server.h>
#include <gantry/config/generation.h>
#include <gantry/observability/metrics.h>

namespace gantry::admin {

// What the admin pages read. Implemented by server::Server; called on the main thread.
class AdminState {
public:
    virtual ~AdminState() = default;
    // Every listener is bound and the process is not draining.
    virtual bool is_ready() const = 0;
    virtual std::shared_ptr<const config::Generation> running_generation() const = 0;
    virtual std::vector<const observability::WorkerMetrics*> worker_metrics() const = 0;
    virtual observability::ProcessMetrics process_metrics() const = 0;
};

AdminResponse handle_admin_request(const AdminState& state, std::string_view method,
                                   std::string_view path);

// The /clusters page: one line per fact, Envoy's `cluster::endpoint::key::value` form, then
// `cluster::key::value` lines for the cluster's healthy endpoints and ejections.
std::string clusters_text(const config::Generation& generation,
                          const std::vector<const observability::WorkerMetrics*>& workers);

}  // namespace gantry::admin
