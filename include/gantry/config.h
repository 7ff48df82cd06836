#pragma once

// ConfigSnapshot: the whole configuration of one generation as plain immutable structs.
// Built once by load_config() on the main thread, then shared read-only with every worker as a
// shared_ptr<const ConfigSnapshot>. Nothing in here changes after loading; runtime state (pools,
// LB cursors, health) lives elsewhere. Every default below is documented in docs/config.md.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace re2 {
class RE2;
}

namespace gantry::config {

using Duration = std::chrono::milliseconds;

// A host and port as written in the file ("10.0.0.1:8080", "[::1]:80", "localhost:8080").
struct HostPort {
    std::string host;  // without brackets for IPv6
    uint16_t port = 0;
    std::string text;  // as written
};

struct NodeConfig {
    std::string name;
    std::string zone;
};

struct AdminConfig {
    std::optional<HostPort> listen;  // issue "operations" serves it; parsed and validated now
};

struct AccessLogConfig {
    std::string path = "stdout";      // file path, "stdout" or "off"
    std::string format = "combined";  // "combined" | "json" | a string with $variables

    bool is_off() const { return path == "off"; }
};

enum class LogLevel { Error, Warn, Info, Debug };

struct LogConfig {
    LogLevel level = LogLevel::Info;
    std::string error = "stderr";  // the error log: "stderr" or a file path
    AccessLogConfig access;
};

struct Limits {
    uint64_t max_request_headers = 60 * 1024;  // whole header block, bytes; over it: 431
    uint32_t max_headers = 100;                // count; over it: 431
    uint64_t max_request_body = 1024 * 1024;   // 0 = unlimited; over it: 413
    Duration header_timeout = std::chrono::seconds(10);
    Duration idle_timeout = std::chrono::seconds(60);
    Duration drain_timeout = std::chrono::seconds(30);
};

enum class Protocol { Http1, Http2 };

struct TlsCertificateConfig {
    std::string cert;  // PEM chain path: the leaf first
    std::string key;   // PEM private key path
};

enum class TlsVersion { Tls12, Tls13 };

enum class ClientAuth { None, Optional, Required };

// A listener's `tls:`; checked at load (files readable, each key matches its certificate).
struct ListenerTlsConfig {
    std::vector<TlsCertificateConfig> certificates;  // SNI picks by SAN; the first is the default
    TlsVersion min_version = TlsVersion::Tls12;
    std::vector<std::string> alpn;  // empty = derived from the listener's protocols
    std::string client_ca;          // empty = no client certificates asked for
    ClientAuth client_auth = ClientAuth::None;
    Duration handshake_timeout = std::chrono::seconds(10);
};

enum class ListenerMode { Http, TlsPassthrough };

// One `sni_routes` item of a tls_passthrough listener.
struct SniRoute {
    std::vector<std::string> server_names;  // exact names or "*.suffix", lower-case
    std::string cluster;
};

struct ListenerConfig {
    std::string name;
    std::vector<HostPort> listen;
    std::vector<Protocol> protocols{Protocol::Http1};
    std::vector<std::string> virtual_hosts;  // names, in order; resolved and checked at load
    Limits limits;                           // top-level limits with this listener's overrides
    std::optional<ListenerTlsConfig> tls;    // absent = plain TCP
    ListenerMode mode = ListenerMode::Http;
    // tls_passthrough: the cluster each SNI goes to (first listed wins), else default_cluster
    // (empty = close the connection).
    std::vector<SniRoute> sni_routes;
    std::string default_cluster;
};

struct HeaderMutation {
    std::vector<std::pair<std::string, std::string>> set;  // replace (or add when absent)
    std::vector<std::pair<std::string, std::string>> add;  // append another value
    std::vector<std::string> remove;                       // names, lower-case

    bool empty() const { return set.empty() && add.empty() && remove.empty(); }
};

// A header or query matcher: exact value, or an RE2 full match when written as "~regex".
struct ValueMatcher {
    std::string name;                       // header names lower-case; query names as written
    std::string exact;                      // used when regex is null
    std::shared_ptr<const re2::RE2> regex;  // compiled at load
};

enum class PathMatchKind { Prefix, Exact, Regex };

struct RouteMatch {
    PathMatchKind kind = PathMatchKind::Prefix;
    std::string path;                       // the prefix, the exact path, or the regex text
    std::shared_ptr<const re2::RE2> regex;  // for PathMatchKind::Regex (full match on the path)
    std::vector<std::string> methods;       // empty = any; upper-case
    std::vector<ValueMatcher> headers;
    std::vector<ValueMatcher> query;
};

enum class HostRewriteKind { Keep, Upstream, Literal };

// One cluster of a `weighted` forward and its share of the requests.
struct WeightedCluster {
    std::string cluster;
    uint32_t weight = 1;
};

// `rewrite_regex`: every match of `pattern` in the path is replaced by `substitution` (RE2
// syntax, \1 for a capture group).
struct RegexRewrite {
    std::shared_ptr<const re2::RE2> pattern;
    std::string substitution;
};

// Bits of RetryPolicy::on.
enum RetryOn : uint32_t {
    kRetryOn5xx = 1u << 0,           // any 5xx, or no response at all (reset, timeout, connect)
    kRetryOnGatewayError = 1u << 1,  // 502, 503, 504, or no response at all
    kRetryOnConnectFailure = 1u << 2,
    kRetryOnReset = 1u << 3,         // no response: reset, closed, per-try timeout
    kRetryOnRetriable4xx = 1u << 4,  // 409
};

// Envoy's retry budget: retries in flight may be at most `percent` of the cluster's requests in
// flight, but at least `min_concurrency`.
struct RetryBudget {
    uint32_t percent = 20;
    uint32_t min_concurrency = 3;
};

struct RetryPolicy {
    uint32_t attempts = 1;  // retries after the first try (Envoy's num_retries)
    uint32_t on = 0;        // RetryOn bits
    std::vector<int> retriable_status;
    Duration backoff_base{25};
    Duration backoff_max{250};  // 10 x base unless written
    std::optional<RetryBudget> budget;
    std::vector<std::string> methods{"GET", "HEAD", "OPTIONS", "PUT", "DELETE"};
    uint64_t body_buffer = 64 * 1024;  // a request body over this is not replayed, so not retried
};

// `mirror`: a copy of `percent` % of the requests goes to `cluster`; its response is dropped.
struct MirrorPolicy {
    std::string cluster;
    uint32_t percent = 100;
};

struct ForwardAction {
    std::string cluster;                    // empty when `weighted` is used
    std::vector<WeightedCluster> weighted;  // empty when `cluster` is used
    uint32_t total_weight = 0;              // sum of the weights of `weighted`
    std::optional<RegexRewrite> rewrite_regex;
    std::optional<RetryPolicy> retries;
    std::optional<MirrorPolicy> mirror;
    std::string rewrite_prefix;  // empty = no rewrite
    bool has_rewrite_prefix = false;
    HostRewriteKind host_rewrite = HostRewriteKind::Keep;
    std::string host_literal;                     // for HostRewriteKind::Literal
    Duration timeout = std::chrono::seconds(15);  // whole request; 0 = none
    Duration per_try_timeout{0};                  // 0 = none
    Duration idle_timeout{0};                     // 0 = none
    std::vector<std::string> upgrades;            // protocols allowed to tunnel, lower-case
};

struct RespondAction {
    int status = 200;
    std::string body;
    std::string content_type = "text/plain";
};

struct RedirectAction {
    std::string scheme;  // empty = keep
    std::string host;    // empty = keep
    uint16_t port = 0;   // 0 = keep
    std::string path;    // empty = keep
    bool strip_query = false;
    int status = 301;
};

using RouteAction = std::variant<ForwardAction, RespondAction, RedirectAction>;

struct Route {
    RouteMatch match;
    RouteAction action;
    HeaderMutation request_headers;
    HeaderMutation response_headers;
};

struct VirtualHostConfig {
    std::string name;
    std::vector<std::string> domains;  // exact, "*.suffix", "prefix.*", "*"; lower-case
    bool is_default = false;
    std::vector<Route> routes;
};

enum class LbPolicy { RoundRobin, LeastRequest, Random, RingHash, Maglev };

struct EndpointConfig {
    HostPort address;
    uint32_t weight = 1;
    std::string zone;
    uint32_t priority = 0;  // 0 is the most preferred level
};

// What ring_hash and maglev hash to place a request (`hash_on`).
struct HashOn {
    enum class Kind { None, Header, Cookie, SourceIp, Path };
    Kind kind = Kind::None;
    std::string name;  // header name (lower-case) or cookie name
};

// Active health checking (`health_check`); absent = endpoints are not actively checked.
struct HealthCheckConfig {
    enum class Kind { Http, Tcp };
    Kind kind = Kind::Http;
    std::string path = "/";
    std::string host;  // Host header; empty = the endpoint's address
    Duration interval = std::chrono::seconds(5);
    Duration interval_jitter{0};
    Duration timeout = std::chrono::seconds(1);
    uint32_t healthy_threshold = 2;
    uint32_t unhealthy_threshold = 3;
    std::vector<std::pair<int, int>> expected_status{{200, 200}};  // inclusive ranges
};

// Passive health checking (`outlier_detection`); absent = no ejections.
struct OutlierDetectionConfig {
    uint32_t consecutive_5xx = 5;             // 0 = off
    uint32_t consecutive_gateway_errors = 0;  // 0 = off (Envoy enforces it 0% by default)
    Duration interval = std::chrono::seconds(10);
    Duration base_ejection_time = std::chrono::seconds(30);
    Duration max_ejection_time = std::chrono::seconds(300);
    uint32_t max_ejection_percent = 10;
    bool success_rate = true;
    uint32_t success_rate_min_hosts = 5;
    uint32_t success_rate_request_volume = 100;
    double success_rate_stdev_factor = 1.9;
    bool failure_percentage = false;  // on when its section is written
    uint32_t failure_percentage_threshold = 85;
    uint32_t failure_percentage_min_hosts = 5;
    uint32_t failure_percentage_request_volume = 50;
};

struct ZoneAwareConfig {
    bool enabled = false;
    uint32_t min_cluster_size = 6;
    std::map<std::string, uint32_t> fleet;  // gantry instances per zone; empty = not given
};

// A cluster's `tls:`: TLS to the endpoints. Files are checked at load.
struct ClusterTlsConfig {
    std::string sni;     // server name sent and verified; empty = the endpoint's host name
    std::string ca;      // PEM bundle; empty = the system's trusted CAs
    bool verify = true;  // verify the chain and the name
    std::string cert;    // client certificate (mTLS to the upstream); empty = none
    std::string key;
};

struct PoolConfig {
    uint32_t max_idle_per_endpoint = 64;
    Duration idle_timeout = std::chrono::seconds(60);
};

// Envoy's circuit-breaker thresholds, counted across all workers.
struct CircuitBreakerConfig {
    uint32_t max_connections = 1024;  // upstream connections in use by requests
    uint32_t max_pending = 1024;      // requests waiting for a new connection
    uint32_t max_requests = 1024;     // requests in flight
    uint32_t max_retries = 3;         // retries in flight
};

struct ClusterConfig {
    std::string name;
    std::vector<EndpointConfig> endpoints;
    LbPolicy lb = LbPolicy::RoundRobin;
    uint32_t least_request_choices = 2;
    uint32_t ring_hash_min_ring_size = 1024;
    HashOn hash_on;
    ZoneAwareConfig zone_aware;
    std::optional<HealthCheckConfig> health_check;
    std::optional<OutlierDetectionConfig> outlier_detection;
    Duration dns_refresh = std::chrono::seconds(5);  // names re-resolved this often (Envoy's 5s)
    Protocol protocol = Protocol::Http1;
    Duration connect_timeout = std::chrono::seconds(1);
    PoolConfig pool;
    CircuitBreakerConfig circuit_breakers;
    std::optional<ClusterTlsConfig> tls;  // absent = plain TCP
};

// Where a config key came from, for messages and for `check`.
struct Diagnostic {
    std::string file;
    int line = 0;    // 1-based; 0 when unknown
    int column = 0;  // 1-based; 0 when unknown
    std::string message;
    std::string to_string() const;  // "FILE:LINE:COL: message"; "FILE: message" when line is 0
};

struct ConfigSnapshot {
    std::string source_path;
    NodeConfig node;
    uint32_t workers = 0;  // 0 = auto (one per CPU core)
    AdminConfig admin;
    LogConfig log;
    Limits limits;
    std::vector<ListenerConfig> listeners;
    std::vector<VirtualHostConfig> virtual_hosts;
    std::vector<ClusterConfig> clusters;

    const ClusterConfig* find_cluster(const std::string& name) const;
    const VirtualHostConfig* find_virtual_host(const std::string& name) const;
};

// The files a load read, for the config file watch: a change to any of them, or a new file in
// one of `include_directories`, may change the configuration.
struct ConfigSources {
    std::vector<std::string> files;                // as named (main file first), in reading order
    std::vector<std::string> include_directories;  // directories of wildcard include patterns
    uint64_t digest = 0;                           // of every file's name and content
};

struct LoadResult {
    std::shared_ptr<const ConfigSnapshot> config;  // null when diagnostics hold an error
    std::vector<Diagnostic> diagnostics;
    ConfigSources sources;  // filled whether or not the load succeeded

    bool ok() const { return config != nullptr; }
};

// Reads and validates a config file (and its includes). Never throws: every problem becomes a
// Diagnostic with file, line and column.
LoadResult load_config(const std::string& path);

// Same, from text in memory; `name` stands in for the file name in diagnostics.
LoadResult load_config_from_string(const std::string& text, const std::string& name);

// Parses "250ms", "10s", "5m", "1h" (and "0"). Returns nullopt when malformed or negative.
std::optional<Duration> parse_duration(const std::string& text);

// Parses "512", "8KiB", "1MiB", "1GiB" (plain bytes or binary units). Returns nullopt when
// malformed or when it overflows.
std::optional<uint64_t> parse_size(const std::string& text);

// Parses "host:port", "[v6]:port". Returns nullopt when malformed or the port is out of range.
std::optional<HostPort> parse_host_port(const std::string& text);

}  // namespace gantry::config
