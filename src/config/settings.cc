// The scalar sections of the main file: node, workers, admin, log and limits.

#include "draft.h"

namespace gantry::config {

namespace {

constexpr uint64_t kMaxWorkers = 1024;
constexpr uint64_t kMaxHeaderCount = 100000;

void parse_node(LoadContext& ctx, const YAML::Node& node, NodeConfig& out) {
    Fields fields(ctx, node, "node", {"name", "zone"});
    if (auto name = fields.read("name", read_string)) {
        out.name = *name;
    }
    if (auto zone = fields.read("zone", read_string)) {
        out.zone = *zone;
    }
}

std::optional<uint32_t> read_workers(LoadContext& ctx, const YAML::Node& node) {
    if (node.IsScalar() && node.Scalar() == "auto") {
        return 0;
    }
    if (!node.IsScalar() || node.Scalar().empty() || node.Scalar().front() < '0' ||
        node.Scalar().front() > '9') {
        ctx.error(node, "expected `auto` or a number of threads");
        return std::nullopt;
    }
    auto count = read_uint(ctx, node, 1, kMaxWorkers);
    return count ? std::optional<uint32_t>(static_cast<uint32_t>(*count)) : std::nullopt;
}

void parse_admin(LoadContext& ctx, const YAML::Node& node, AdminConfig& out) {
    Fields fields(ctx, node, "admin", {"listen"});
    out.listen = fields.read("listen", read_host_port);
}

void parse_access_log(LoadContext& ctx, const YAML::Node& node, AccessLogConfig& out) {
    Fields fields(ctx, node, "log.access", {"path", "format"});
    if (auto path = fields.read("path", read_name)) {
        out.path = *path;
    }
    // The format's variables are checked when the access log compiles it (config::Generation).
    if (auto format = fields.read("format", read_name)) {
        out.format = *format;
    }
}

void parse_log(LoadContext& ctx, const YAML::Node& node, LogConfig& out) {
    Fields fields(ctx, node, "log", {"level", "error", "access"});
    auto read_level = [](LoadContext& c, const YAML::Node& n) {
        return read_choice<LogLevel>(c, n,
                                     {{"error", LogLevel::Error},
                                      {"warn", LogLevel::Warn},
                                      {"info", LogLevel::Info},
                                      {"debug", LogLevel::Debug}});
    };
    if (auto level = fields.read("level", read_level)) {
        out.level = *level;
    }
    if (auto error = fields.read("error", read_name)) {
        out.error = *error;
    }
    if (const YAML::Node* access = fields.get("access")) {
        parse_access_log(ctx, *access, out.access);
    }
}

}  // namespace

void parse_limits(LoadContext& ctx, const YAML::Node& node, Limits& limits) {
    Fields fields(ctx, node, "limits",
                  {"max_request_headers", "max_headers", "max_request_body", "header_timeout",
                   "idle_timeout", "drain_timeout"});
    auto read_positive_size = [](LoadContext& c, const YAML::Node& n) {
        auto size = read_size(c, n);
        if (size && *size == 0) {
            c.error(n, "must be greater than 0");
            return std::optional<uint64_t>();
        }
        return size;
    };
    if (auto v = fields.read("max_request_headers", read_positive_size)) {
        limits.max_request_headers = *v;
    }
    if (auto v = fields.read("max_headers", uint_in(1, kMaxHeaderCount))) {
        limits.max_headers = static_cast<uint32_t>(*v);
    }
    if (auto v = fields.read("max_request_body", read_size)) {
        limits.max_request_body = *v;
    }
    if (auto v = fields.read("header_timeout", read_positive_duration)) {
        limits.header_timeout = *v;
    }
    if (auto v = fields.read("idle_timeout", read_positive_duration)) {
        limits.idle_timeout = *v;
    }
    if (auto v = fields.read("drain_timeout", read_duration)) {
        limits.drain_timeout = *v;
    }
}

void parse_settings(const Fields& top, ConfigSnapshot& out) {
    LoadContext& ctx = top.context();
    if (const YAML::Node* node = top.get("node")) {
        parse_node(ctx, *node, out.node);
    }
    if (auto workers = top.read("workers", read_workers)) {
        out.workers = *workers;
    }
    if (const YAML::Node* admin = top.get("admin")) {
        parse_admin(ctx, *admin, out.admin);
    }
    if (const YAML::Node* log = top.get("log")) {
        parse_log(ctx, *log, out.log);
    }
    if (const YAML::Node* limits = top.get("limits")) {
        parse_limits(ctx, *limits, out.limits);
    }
}

}  // namespace gantry::config
