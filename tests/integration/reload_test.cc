// SIGHUP reloads: applied under steady traffic without a single failed request, and a bad file
// is rejected with its location while the old config keeps serving.

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

std::string config_with_body(const std::string& body) {
    return one_host_config(R"(      - match: { prefix: /proxied }
        forward: { cluster: backend }
      - match: { prefix: / }
        respond: { status: 200, body: ")" +
                               body + "\" }\n",
                           backend_cluster(), "workers: 2\nlog: { access: { path: \"off\" } }\n");
}

// Line 4, column 5 holds an unknown key.
constexpr const char* kBrokenConfig = R"(workers: 2
listeners:
  - name: main
    no_such_key: true
    listen: ["127.0.0.1:@PORT@"]
    virtual_hosts: [main]
virtual_hosts:
  - name: main
    domains: ["*"]
    routes:
      - match: { prefix: / }
        respond: { status: 200, body: "broken" }
)";

// Sends requests until stopped, alternating keep-alive and fresh connections, and records every
// body seen and every failure. Runs on its own thread.
class TrafficLoop {
public:
    explicit TrafficLoop(uint16_t port) : port_(port) {
        thread_ = std::thread([this] { run(); });
    }

    ~TrafficLoop() { stop(); }

    void stop() {
        stop_.store(true);
        if (thread_.joinable()) {
            thread_.join();
        }
    }

    size_t requests() const { return requests_.load(); }

    size_t retried() const { return retried_.load(); }

    std::vector<std::string> failures() const {
        std::lock_guard lock(mutex_);
        return failures_;
    }

    std::set<std::string> bodies() const {
        std::lock_guard lock(mutex_);
        return bodies_;
    }

private:
    void run() {
        BufferedSocket socket;
        for (size_t i = 0; !stop_.load(); ++i) {
            bool reused = socket.is_open() && i % 4 != 0;
            if (!reused) {
                socket = connect_to(port_);
            }
            std::string path = i % 3 == 0 ? "/proxied" : "/";
            std::optional<HttpResponse> r = exchange(socket, path);
            if (!r && reused && socket.buffer().empty()) {
                // A keep-alive connection closed while idle is a race every HTTP/1.1 client
                // handles by retrying on a new connection; only that case is retried.
                retried_.fetch_add(1);
                socket = connect_to(port_);
                r = exchange(socket, path);
            }
            record(i, r);
            if (!r || to_lower(r->header("connection").value_or("")) == "close") {
                socket.close();
            }
            requests_.fetch_add(1);
        }
    }

    static std::optional<HttpResponse> exchange(BufferedSocket& socket, const std::string& path) {
        if (!socket.send_all("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(5s))) {
            return std::nullopt;
        }
        return read_response(socket, deadline_in(5s));
    }

    void record(size_t i, const std::optional<HttpResponse>& r) {
        std::lock_guard lock(mutex_);
        if (!r || r->status() != 200 || !r->complete) {
            failures_.push_back("request " + std::to_string(i) + ": " +
                                (r ? std::to_string(r->status()) : std::string("no response")));
            return;
        }
        bodies_.insert(r->body);
    }

    uint16_t port_;
    std::atomic<bool> stop_{false};
    std::atomic<size_t> requests_{0};
    std::atomic<size_t> retried_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> failures_;
    std::set<std::string> bodies_;
    std::thread thread_;
};

// The generation number in "reload applied generation=N", or -1.
int generation_of(const std::string& line) {
    auto at = line.find("generation=");
    return at == std::string::npos ? -1 : std::atoi(line.c_str() + at + 11);
}

}  // namespace

TEST_CASE("reloads under steady traffic fail no request and take effect", "[integration][reload]") {
    HttpUpstream upstream([](const UpstreamRequest&) { return UpstreamResponse::text(200, "up"); });
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(config_with_body("v0"), options);
    TrafficLoop traffic(gantry.port());
    REQUIRE(wait_until([&] { return traffic.requests() > 20; }, 5s));

    int last_generation = 0;
    for (int i = 1; i <= 5; ++i) {
        gantry.write_config(config_with_body("v" + std::to_string(i)));
        GantryProcess::ReloadOutcome outcome = gantry.reload();
        INFO("reload " << i << ": " << outcome.line);
        REQUIRE(outcome.applied);
        int generation = generation_of(outcome.line);
        CHECK(generation > last_generation);
        last_generation = generation;
        size_t before = traffic.requests();
        REQUIRE(wait_until([&] { return traffic.requests() > before + 20; }, 5s));
    }
    traffic.stop();

    INFO("requests sent: " << traffic.requests()
                           << ", retried after an idle close: " << traffic.retried());
    std::vector<std::string> failures = traffic.failures();
    CHECK(failures.empty());
    for (size_t i = 0; i < std::min<size_t>(failures.size(), 10); ++i) {
        UNSCOPED_INFO(failures[i]);
    }
    std::set<std::string> expected = {"up", "v0", "v1", "v2", "v3", "v4", "v5"};
    for (const std::string& body : traffic.bodies()) {
        CHECK(expected.count(body) == 1);
    }
    CHECK(traffic.bodies().count("v5") == 1);
    CHECK(run_curl({gantry.url("/")}).body == "v5");
    // The cluster did not change, so its upstream connections were kept across reloads.
    CHECK(upstream.connection_count() < upstream.request_count());
}

TEST_CASE("an invalid reload is rejected with its location and the old config keeps serving",
          "[integration][reload]") {
    HttpUpstream upstream;
    GantryOptions options = with_upstream(upstream);
    options.allow_error_lines = true;  // the rejection is logged as an error
    GantryProcess gantry(config_with_body("original"), options);
    REQUIRE(run_curl({gantry.url("/")}).body == "original");

    gantry.write_config(kBrokenConfig);
    GantryProcess::ReloadOutcome outcome = gantry.reload();
    INFO(outcome.line);
    REQUIRE(outcome.rejected);
    CHECK(outcome.line.find("[error]") != std::string::npos);
    CHECK(outcome.line.find(gantry.config_path() + ":4:5: ") != std::string::npos);
    CHECK(outcome.line.find("no_such_key") != std::string::npos);
    CHECK(
        gantry.wait_for_log("reload failed (1 failed reloads since start); still running "
                            "generation=1",
                            0, 2s));
    CHECK(gantry.running());
    CHECK(run_curl({gantry.url("/")}).body == "original");
    CHECK(run_curl({gantry.url("/proxied")}).body == "ok");

    // A good file after a bad one applies normally.
    gantry.write_config(config_with_body("fixed"));
    REQUIRE(gantry.reload().applied);
    CHECK(run_curl({gantry.url("/")}).body == "fixed");
}

}  // namespace gantry::test
