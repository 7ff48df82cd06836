// 1 GiB bodies stream through gantry in both directions, intact, without gantry holding them:
// its resident memory grows by less than 32 MiB.

#include <atomic>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

constexpr uint64_t kGiB = 1024ull * 1024 * 1024;
constexpr uint64_t kMaxGrowthKib = 32 * 1024;

const std::string kConfig = one_host_config(
    R"(      - match: { prefix: / }
        forward: { cluster: backend, timeout: 0, idle_timeout: 30s }
)",
    backend_cluster(), std::string(kQuietGlobals) + "limits:\n  max_request_body: 0\n");

// Samples gantry's VmRSS while a transfer runs; the peak since start() is also read from VmHWM
// after clearing it, when the kernel allows that.
class RssWatch {
public:
    explicit RssWatch(int pid) : pid_(pid) {
        baseline_ = proc_status_kib(pid_, "VmRSS");
        std::ofstream("/proc/" + std::to_string(pid_) + "/clear_refs") << "5";
        hwm_reset_ = proc_status_kib(pid_, "VmHWM") <= baseline_ + 1024;
        sampler_ = std::thread([this] {
            while (!done_.load()) {
                peak_ = std::max(peak_.load(), proc_status_kib(pid_, "VmRSS"));
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
    }

    ~RssWatch() { finish(); }

    void finish() {
        done_.store(true);
        if (sampler_.joinable()) {
            sampler_.join();
        }
    }

    uint64_t baseline() const { return baseline_; }

    uint64_t peak() const {
        uint64_t peak = peak_.load();
        return hwm_reset_ ? std::max(peak, proc_status_kib(pid_, "VmHWM")) : peak;
    }

private:
    int pid_;
    uint64_t baseline_ = 0;
    bool hwm_reset_ = false;
    std::atomic<uint64_t> peak_{0};
    std::atomic<bool> done_{false};
    std::thread sampler_;
};

// One small request first, so that the baseline includes gantry's steady-state buffers.
void warm_up(const GantryProcess& gantry) {
    CurlResult r = run_curl({gantry.url("/warm-up")});
    REQUIRE(r.status == 200);
}

}  // namespace

TEST_CASE("a 1 GiB upload reaches the upstream intact in bounded memory",
          "[integration][large-body]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        return UpstreamResponse::text(
            200, std::to_string(r.body_size) + " " + (r.body_is_pattern ? "intact" : "corrupt"));
    });
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    warm_up(gantry);
    RssWatch rss(gantry.pid());

    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all(
        "POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(kGiB) + "\r\n\r\n",
        deadline_in(2s)));
    std::string block(BodyPattern::kMaxSpan, '\0');
    Deadline deadline = deadline_in(120s);
    bool sent_all = true;
    for (uint64_t sent = 0; sent_all && sent < kGiB; sent += block.size()) {
        BodyPattern::instance().fill(sent, block.data(), block.size());
        sent_all = socket.send_all(block, deadline);
    }
    REQUIRE(sent_all);
    std::optional<HttpResponse> r = read_response(socket, deadline_in(60s));
    rss.finish();
    REQUIRE(r.has_value());
    CHECK(r->status() == 200);
    CHECK(r->body == std::to_string(kGiB) + " intact");
    INFO("gantry VmRSS baseline " << rss.baseline() << " KiB, peak " << rss.peak() << " KiB");
    CHECK(rss.baseline() > 0);
    CHECK(rss.peak() < rss.baseline() + kMaxGrowthKib);
}

TEST_CASE("a 1 GiB download reaches the client intact in bounded memory",
          "[integration][large-body]") {
    HttpUpstream upstream([](const UpstreamRequest& r) {
        if (r.target == "/warm-up") {
            return UpstreamResponse::text(200, "warm");
        }
        UpstreamResponse response;
        response.generated_body_size = kGiB;
        response.headers.emplace_back("Content-Type", "application/octet-stream");
        return response;
    });
    GantryOptions options = with_upstream(upstream);
    GantryProcess gantry(kConfig, options);
    warm_up(gantry);
    RssWatch rss(gantry.pid());

    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET /download HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    std::optional<std::string> head_text = socket.read_until("\r\n\r\n", deadline_in(10s));
    REQUIRE(head_text.has_value());
    HttpHead head;
    REQUIRE(parse_head(*head_text, false, &head));
    CHECK(head.status == 200);
    CHECK(header_value(head.headers, "content-length") == std::to_string(kGiB));
    uint64_t received = 0;
    bool intact = true;
    bool complete = socket.stream_exact(kGiB, deadline_in(120s), [&](const char* p, size_t n) {
        intact = intact && BodyPattern::instance().matches(received, p, n);
        received += n;
    });
    rss.finish();
    CHECK(complete);
    CHECK(received == kGiB);
    CHECK(intact);
    INFO("gantry VmRSS baseline " << rss.baseline() << " KiB, peak " << rss.peak() << " KiB");
    CHECK(rss.baseline() > 0);
    CHECK(rss.peak() < rss.baseline() + kMaxGrowthKib);
}

}  // namespace gantry::test

namespace gantry::test {

TEST_CASE("a client that stops reading a response is cut off after idle_timeout",
          "[integration][large-body]") {
    HttpUpstream upstream([](const UpstreamRequest&) {
        UpstreamResponse response;
        response.generated_body_size = kGiB;
        return response;
    });
    const std::string config = one_host_config(
        R"(      - match: { prefix: / }
        forward: { cluster: backend, timeout: 0 }
)",
        backend_cluster(), std::string(kQuietGlobals) + "limits:\n  idle_timeout: 1s\n");
    GantryProcess gantry(config, with_upstream(upstream));
    BufferedSocket socket = connect_to(gantry.port());
    REQUIRE(socket.send_all("GET /stalled HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s)));
    // Read nothing while gantry's writes back up, then drain what the kernel buffered.
    std::this_thread::sleep_for(3s);
    std::string received;
    CHECK(socket.wait_closed(deadline_in(30s), &received));
    INFO("bytes received before the close: " << received.size());
    CHECK(received.size() < kGiB);
}

}  // namespace gantry::test
