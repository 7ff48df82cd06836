#pragma once

// HealthService: the process's single place where endpoint health is decided. It runs on the
// main thread's io_context (owned by server::Server): one probe loop per endpoint of each
// cluster with a `health_check`, and one sweep per `outlier_detection` interval for each cluster
// with outlier detection. Verdicts go into the endpoints' EndpointState flags and are published
// through the cluster's HealthRegistry version, which every worker reads on its next pick.
//
// apply() is called with each new Generation (start-up and reload): it stops the loops of the
// previous generation and starts the new ones. Health state itself lives in ClusterShared and
// survives the switch. Main thread only.

#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>

#include <gantry/runtime/random.h>
#include <gantry/upstream/resolved_cluster.h>

namespace gantry::health {

class HealthService {
public:
    HealthService(boost::asio::io_context& io_context, uint64_t seed);
    ~HealthService();
    HealthService(const HealthService&) = delete;
    HealthService& operator=(const HealthService&) = delete;

    // `clusters` is usually a handle that keeps its whole config generation alive.
    void apply(std::shared_ptr<const std::vector<upstream::ResolvedCluster>> clusters);

    // Stops every loop (drain and shutdown).
    void stop();

    struct Task;  // the loops of one generation (health_service.cc)

private:
    void start_cluster(const std::shared_ptr<Task>& task, const upstream::ResolvedCluster& cluster);

    boost::asio::io_context& io_context_;
    runtime::Random random_;  // seeds each Task's jitter generator
    std::shared_ptr<Task> task_;
};

}  // namespace gantry::health
