// DNS endpoints: a name whose addresses change is re-resolved every dns_refresh, through the
// hosts-file resolver seam (GANTRY_HOSTS_FILE), so the test never depends on the machine's DNS.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <catch2/catch.hpp>

#include "support/gantry_process.h"
#include "support/http_upstream.h"
#include "support/proxy_config.h"
#include "support/test_util.h"

namespace gantry::test {
namespace {

using Clock = std::chrono::steady_clock;

// Sets GANTRY_HOSTS_FILE for the gantry processes this test starts, and writes the file.
class HostsFile {
public:
    HostsFile()
        : path_(std::filesystem::temp_directory_path() /
                ("gantry-hosts-" + std::to_string(::getpid()))) {
        ::setenv("GANTRY_HOSTS_FILE", path_.c_str(), 1);
    }

    ~HostsFile() {
        ::unsetenv("GANTRY_HOSTS_FILE");
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }

    void write(const std::string& text) {
        // Written aside and renamed, so gantry never reads half a file.
        const auto temporary = path_.string() + ".new";
        std::ofstream(temporary) << text;
        std::filesystem::rename(temporary, path_);
    }

private:
    std::filesystem::path path_;
};

std::string send(uint16_t port, int n) {
    std::string order;
    BufferedSocket socket = connect_to(port);
    for (int i = 0; i < n; ++i) {
        if (!socket.send_all("GET /x HTTP/1.1\r\nHost: a\r\n\r\n", deadline_in(2s))) {
            return order + "-";
        }
        std::optional<HttpResponse> r = read_response(socket, deadline_in(5s));
        order += r && r->status() == 200 ? r->body : "-";
    }
    return order;
}

template <typename Done>
bool eventually(uint16_t port, Done done) {
    const auto start = Clock::now();
    while (Clock::now() - start < 5s) {
        if (done(send(port, 20))) {
            return true;
        }
        std::this_thread::sleep_for(50ms);
    }
    return false;
}

size_t count(const std::string& order, char c) {
    return static_cast<size_t>(std::count(order.begin(), order.end(), c));
}

}  // namespace

TEST_CASE("a DNS endpoint follows its name's addresses and keeps pooled connections",
          "[integration][dns]") {
    HttpUpstream a([](const UpstreamRequest&) { return UpstreamResponse::text(200, "A"); });
    // The same port on another loopback address: one name, two addresses.
    HttpUpstream b([](const UpstreamRequest&) { return UpstreamResponse::text(200, "B"); },
                   "127.0.0.2", a.port());
    HostsFile hosts;
    hosts.write("# test resolver\n127.0.0.1 api.test\n");
    GantryOptions options;
    options.vars["UP"] = std::to_string(a.port());
    GantryProcess gantry(one_host_config(kForwardAllRoute, R"(clusters:
  - name: backend
    endpoints: [{ address: "api.test:@UP@" }]
    dns_refresh: 200ms
)"),
                         options);
    CHECK(send(gantry.port(), 10) == std::string(10, 'A'));
    REQUIRE(a.connection_count() == 1);

    // A second address appears: traffic spreads over both, and A's pooled connection stays.
    hosts.write("127.0.0.1 api.test\n127.0.0.2 api.test\n");
    CHECK(eventually(gantry.port(), [](const std::string& batch) {
        return count(batch, 'A') == 10 && count(batch, 'B') == 10;
    }));
    // The pooled connection moves to the rebuilt cluster. A request still in flight when the
    // address set changes gives its connection back to the superseded pool, which closes it, so
    // one more connection may be opened (about half the runs under ASan): never one per request.
    CHECK(a.connection_count() <= 2);

    // The first address goes away: only B is used.
    hosts.write("127.0.0.2 api.test\n");
    CHECK(eventually(gantry.port(),
                     [](const std::string& batch) { return count(batch, 'B') == batch.size(); }));
    CHECK(b.connection_count() <= 2);  // as for A above

    // A failed lookup keeps the last known addresses.
    hosts.write("# nothing\n");
    std::this_thread::sleep_for(500ms);
    CHECK(send(gantry.port(), 10) == std::string(10, 'B'));
}

}  // namespace gantry::test
