// The health sections of a cluster: `health_check` (active) and `outlier_detection` (passive).
// Defaults are Envoy's (see docs/config.md).

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "draft.h"
#include "values.h"

namespace gantry::config {

namespace {

constexpr uint64_t kMaxThreshold = 1000000;

// A decimal number in [min, max], e.g. `stdev_factor: 1.9`.
auto number_in(double min, double max) {
    return [min, max](LoadContext& ctx, const YAML::Node& node) -> std::optional<double> {
        auto text = read_string(ctx, node);
        if (!text) {
            return std::nullopt;
        }
        errno = 0;
        char* end = nullptr;
        const double value = std::strtod(text->c_str(), &end);
        if (text->empty() || end != text->c_str() + text->size() || errno != 0 ||
            !std::isfinite(value) || value < min || value > max) {
            ctx.error(node, "expected a number between " + std::to_string(min).substr(0, 3) +
                                " and " + std::to_string(static_cast<int>(max)) + ", got `" +
                                *text + "`");
            return std::nullopt;
        }
        return value;
    };
}

// "200", 200 or "200-399".
std::optional<std::pair<int, int>> read_status_range(LoadContext& ctx, const YAML::Node& node) {
    auto text = read_string(ctx, node);
    if (!text) {
        return std::nullopt;
    }
    auto parse = [](const std::string& part) -> int {
        if (part.size() != 3 || part.find_first_not_of("0123456789") != std::string::npos) {
            return -1;
        }
        const int value = std::stoi(part);
        return value >= 100 && value <= 599 ? value : -1;
    };
    const size_t dash = text->find('-');
    const int low = parse(text->substr(0, dash));
    const int high = dash == std::string::npos ? low : parse(text->substr(dash + 1));
    if (low < 0 || high < low) {
        ctx.error(node,
                  "expected_status: expected a status 100-599 or a range like `200-399`, got `" +
                      *text + "`");
        return std::nullopt;
    }
    return std::make_pair(low, high);
}

void parse_expected_status(LoadContext& ctx, const YAML::Node& node, HealthCheckConfig& out) {
    std::vector<std::pair<int, int>> ranges;
    bool is_list = for_each_item(ctx, node, [&](const YAML::Node& item) {
        if (auto range = read_status_range(ctx, item)) {
            ranges.push_back(*range);
        }
    });
    if (is_list && node.size() == 0) {
        ctx.error(node, "expected_status needs at least one status or range");
    }
    if (!ranges.empty()) {
        out.expected_status = std::move(ranges);
    }
}

std::optional<std::string> read_check_path(LoadContext& ctx, const YAML::Node& node) {
    auto text = read_string(ctx, node);
    if (text && (text->empty() || text->front() != '/' || !is_header_value(*text) ||
                 text->find(' ') != std::string::npos)) {
        ctx.error(node, "expected a path starting with `/` (no spaces), got `" + *text + "`");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> read_host_header(LoadContext& ctx, const YAML::Node& node) {
    auto text = read_string(ctx, node);
    if (text && (text->empty() || !is_header_value(*text))) {
        ctx.error(node, "expected a Host header value");
        return std::nullopt;
    }
    return text;
}

uint32_t read_threshold(const Fields& fields, std::string_view key, uint32_t fallback) {
    return static_cast<uint32_t>(fields.read(key, uint_in(1, kMaxThreshold)).value_or(fallback));
}

}  // namespace

void parse_health_check(LoadContext& ctx, const YAML::Node& node, HealthCheckConfig& out) {
    Fields fields(ctx, node, "health_check",
                  {"type", "path", "host", "interval", "interval_jitter", "timeout",
                   "healthy_threshold", "unhealthy_threshold", "expected_status"});
    if (!fields.is_mapping()) {
        return;
    }
    auto read_type = [](LoadContext& c, const YAML::Node& n) {
        using Kind = HealthCheckConfig::Kind;
        return read_choice<Kind>(c, n, {{"http", Kind::Http}, {"tcp", Kind::Tcp}});
    };
    out.kind = fields.read("type", read_type).value_or(out.kind);
    out.path = fields.read("path", read_check_path).value_or(out.path);
    out.host = fields.read("host", read_host_header).value_or(out.host);
    out.interval = fields.read("interval", read_positive_duration).value_or(out.interval);
    out.interval_jitter =
        fields.read("interval_jitter", read_duration).value_or(out.interval_jitter);
    out.timeout = fields.read("timeout", read_positive_duration).value_or(out.timeout);
    out.healthy_threshold = read_threshold(fields, "healthy_threshold", out.healthy_threshold);
    out.unhealthy_threshold =
        read_threshold(fields, "unhealthy_threshold", out.unhealthy_threshold);
    if (const YAML::Node* expected = fields.get("expected_status")) {
        parse_expected_status(ctx, *expected, out);
    }
    if (out.kind == HealthCheckConfig::Kind::Tcp) {
        for (std::string_view key : {"path", "host", "expected_status"}) {
            if (const YAML::Node* http_only = fields.get(key)) {
                ctx.error(*http_only, "`" + std::string(key) + "` needs `type: http`");
            }
        }
    }
}

void parse_outlier_detection(LoadContext& ctx, const YAML::Node& node,
                             OutlierDetectionConfig& out) {
    Fields fields(
        ctx, node, "outlier_detection",
        {"consecutive_5xx", "consecutive_gateway_errors", "interval", "base_ejection_time",
         "max_ejection_time", "max_ejection_percent", "success_rate", "failure_percentage"});
    if (!fields.is_mapping()) {
        return;
    }
    auto count = [&](std::string_view key, uint32_t fallback) {
        return static_cast<uint32_t>(
            fields.read(key, uint_in(0, kMaxThreshold)).value_or(fallback));
    };
    out.consecutive_5xx = count("consecutive_5xx", out.consecutive_5xx);
    if (fields.get("consecutive_gateway_errors") != nullptr) {
        out.consecutive_gateway_errors = count("consecutive_gateway_errors", 5);
    }
    out.interval = fields.read("interval", read_positive_duration).value_or(out.interval);
    out.base_ejection_time =
        fields.read("base_ejection_time", read_positive_duration).value_or(out.base_ejection_time);
    out.max_ejection_time =
        fields.read("max_ejection_time", read_positive_duration).value_or(out.max_ejection_time);
    out.max_ejection_percent = static_cast<uint32_t>(
        fields.read("max_ejection_percent", uint_in(0, 100)).value_or(out.max_ejection_percent));
    if (const YAML::Node* success_rate = fields.get("success_rate")) {
        Fields rate(ctx, *success_rate, "success_rate",
                    {"enabled", "min_hosts", "request_volume", "stdev_factor"});
        out.success_rate = rate.read("enabled", read_bool).value_or(true);
        out.success_rate_min_hosts = static_cast<uint32_t>(
            rate.read("min_hosts", uint_in(1, kMaxThreshold)).value_or(out.success_rate_min_hosts));
        out.success_rate_request_volume =
            static_cast<uint32_t>(rate.read("request_volume", uint_in(1, kMaxThreshold))
                                      .value_or(out.success_rate_request_volume));
        out.success_rate_stdev_factor =
            rate.read("stdev_factor", number_in(0, 100)).value_or(out.success_rate_stdev_factor);
    }
    if (const YAML::Node* failure = fields.get("failure_percentage")) {
        Fields percentage(ctx, *failure, "failure_percentage",
                          {"threshold", "min_hosts", "request_volume"});
        out.failure_percentage = true;
        out.failure_percentage_threshold =
            static_cast<uint32_t>(percentage.read("threshold", uint_in(0, 100))
                                      .value_or(out.failure_percentage_threshold));
        out.failure_percentage_min_hosts =
            static_cast<uint32_t>(percentage.read("min_hosts", uint_in(1, kMaxThreshold))
                                      .value_or(out.failure_percentage_min_hosts));
        out.failure_percentage_request_volume =
            static_cast<uint32_t>(percentage.read("request_volume", uint_in(1, kMaxThreshold))
                                      .value_or(out.failure_percentage_request_volume));
    }
}

}  // namespace gantry::config
