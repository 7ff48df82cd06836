#pragma once

// The /metrics page: sums every worker's counters (metrics.h) under the labels of the registry
// (metrics_registry.h) into prometheus-cpp MetricFamily values, and writes them in Prometheus
// text format with prometheus-cpp's TextSerializer. Runs on the main thread at scrape time; the
// workers keep counting meanwhile (each value is read once with a relaxed load, so a scrape is a
// consistent-enough snapshot, as with any Prometheus client).

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

#include <gantry/observability/metrics.h>
#include <gantry/observability/metrics_registry.h>

namespace gantry::observability {

std::vector<prometheus::MetricFamily> collect_metrics(
    const MetricRegistry& registry, const std::vector<const WorkerMetrics*>& workers,
    const ProcessMetrics& process);

std::string serialize_metrics(const std::vector<prometheus::MetricFamily>& families);

}  // namespace gantry::observability
