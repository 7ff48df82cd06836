#include <memory>
#include <vector>

#include <catch2/catch.hpp>

#include <gantry/upstream/outlier_detector.h>

using gantry::config::OutlierDetectionConfig;
using gantry::upstream::EndpointState;
using gantry::upstream::OutlierDetector;
using namespace std::chrono_literals;

namespace {

// A cluster of endpoints and a fake clock that moves only when told to.
struct Fixture {
    explicit Fixture(size_t n) {
        for (size_t i = 0; i < n; ++i) {
            owned.push_back(std::make_unique<EndpointState>("10.0.0." + std::to_string(i)));
            states.push_back(owned.back().get());
        }
    }

    // What a worker's Cluster does for one outcome (see Cluster::on_response).
    void respond(size_t i, int status, const OutlierDetectionConfig& config) {
        EndpointState& s = *states[i];
        s.requests.fetch_add(1);
        if (status < 500) {
            s.consecutive_5xx = 0;
            s.consecutive_gateway = 0;
            return;
        }
        s.failures.fetch_add(1);
        if (config.consecutive_5xx != 0 && ++s.consecutive_5xx == config.consecutive_5xx) {
            s.tripped |= EndpointState::kTripped5xx;
        }
        if (status >= 502 && status <= 504) {
            if (config.consecutive_gateway_errors != 0 &&
                ++s.consecutive_gateway == config.consecutive_gateway_errors) {
                s.tripped |= EndpointState::kTrippedGateway;
            }
        } else {
            s.consecutive_gateway = 0;
        }
    }

    bool sweep(OutlierDetector& detector) { return detector.sweep(states, now); }

    bool ejected(size_t i) const { return (states[i]->flags & EndpointState::kEjected) != 0; }

    std::vector<std::unique_ptr<EndpointState>> owned;
    std::vector<EndpointState*> states;
    std::chrono::steady_clock::time_point now{};
};

OutlierDetectionConfig config_with(uint32_t max_percent = 100) {
    OutlierDetectionConfig config;
    config.max_ejection_percent = max_percent;
    return config;
}

}  // namespace

TEST_CASE("consecutive 5xx ejects at the next sweep for base_ejection_time, then returns",
          "[upstream][outlier]") {
    auto config = config_with();
    Fixture f(3);
    OutlierDetector detector(config);
    for (int i = 0; i < 4; ++i) {
        f.respond(0, 500, config);
    }
    CHECK_FALSE(f.sweep(detector));  // 4 < 5: nothing yet
    f.respond(0, 503, config);
    CHECK(f.sweep(detector));
    CHECK(f.ejected(0));
    CHECK(f.states[0]->ejections == 1);
    f.now += 29s;
    CHECK_FALSE(f.sweep(detector));
    CHECK(f.ejected(0));
    f.now += 1s;
    CHECK(f.sweep(detector));
    CHECK_FALSE(f.ejected(0));
}

TEST_CASE("a success resets the consecutive count", "[upstream][outlier]") {
    auto config = config_with();
    Fixture f(3);
    OutlierDetector detector(config);
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < 4; ++i) {
            f.respond(1, 500, config);
        }
        f.respond(1, 200, config);
    }
    CHECK_FALSE(f.sweep(detector));
    CHECK_FALSE(f.ejected(1));
}

TEST_CASE("a second ejection lasts twice as long, capped by max_ejection_time",
          "[upstream][outlier]") {
    auto config = config_with();
    config.max_ejection_time = 45s;
    Fixture f(3);
    OutlierDetector detector(config);
    auto fail5 = [&] {
        for (int i = 0; i < 5; ++i) {
            f.respond(2, 500, config);
        }
    };
    fail5();
    f.sweep(detector);
    f.now += 30s;
    f.sweep(detector);  // back, multiplier still 1 (the return sweep does not count as good)
    REQUIRE_FALSE(f.ejected(2));
    fail5();
    f.now += 10s;
    f.sweep(detector);
    REQUIRE(f.ejected(2));
    f.now += 44s;  // 2 x 30 s = 60 s, capped at 45 s
    f.sweep(detector);
    CHECK(f.ejected(2));
    f.now += 1s;
    f.sweep(detector);
    CHECK_FALSE(f.ejected(2));
}

TEST_CASE("consecutive gateway errors are off unless configured, and count 502-504 only",
          "[upstream][outlier]") {
    auto config = config_with();
    config.consecutive_5xx = 0;
    Fixture f(3);
    OutlierDetector off(config);
    for (int i = 0; i < 10; ++i) {
        f.respond(0, 502, config);
    }
    CHECK_FALSE(f.sweep(off));
    config.consecutive_gateway_errors = 3;
    OutlierDetector on(config);
    f.respond(1, 502, config);
    f.respond(1, 500, config);  // not a gateway error: resets
    f.respond(1, 503, config);
    f.respond(1, 504, config);
    CHECK_FALSE(f.sweep(on));
    f.respond(1, 502, config);
    CHECK(f.sweep(on));
    CHECK(f.ejected(1));
}

TEST_CASE("max_ejection_percent caps ejections but always allows one", "[upstream][outlier]") {
    auto config = config_with(10);
    Fixture f(4);
    OutlierDetector detector(config);
    for (size_t e = 0; e < 4; ++e) {
        for (int i = 0; i < 5; ++i) {
            f.respond(e, 500, config);
        }
    }
    CHECK(f.sweep(detector));
    CHECK(f.ejected(0));  // 0 of 4 ejected: one may go even though 25% > 10%
    CHECK_FALSE(f.ejected(1));
    CHECK_FALSE(f.ejected(2));
    CHECK_FALSE(f.ejected(3));
    config.max_ejection_percent = 50;
    OutlierDetector half(config);
    for (size_t e = 1; e < 4; ++e) {
        for (int i = 0; i < 5; ++i) {
            f.respond(e, 500, config);
        }
    }
    half.sweep(f.states, f.now);
    CHECK(f.ejected(1));        // 1 of 4 = 25% < 50%
    CHECK_FALSE(f.ejected(2));  // 2 of 4 = 50%: the cap
}

TEST_CASE("success rate ejects an endpoint below mean - 1.9 stdev", "[upstream][outlier]") {
    auto config = config_with();
    config.consecutive_5xx = 0;
    Fixture f(6);
    OutlierDetector detector(config);
    for (size_t e = 0; e < 6; ++e) {
        for (int i = 0; i < 200; ++i) {
            // Endpoint 5 fails 30%; the others 1%.
            const bool fail = e == 5 ? i % 10 < 3 : i % 100 == 0;
            f.respond(e, fail ? 500 : 200, config);
        }
    }
    CHECK(f.sweep(detector));
    for (size_t e = 0; e < 5; ++e) {
        CHECK_FALSE(f.ejected(e));
    }
    CHECK(f.ejected(5));
}

TEST_CASE("success rate needs min_hosts endpoints with request_volume requests",
          "[upstream][outlier]") {
    auto config = config_with();
    config.consecutive_5xx = 0;
    Fixture f(6);
    OutlierDetector detector(config);
    for (size_t e = 0; e < 6; ++e) {
        // Two endpoints fall short of 100 requests: only 4 qualify, fewer than 5.
        const int volume = e < 2 ? 99 : 200;
        for (int i = 0; i < volume; ++i) {
            f.respond(e, e == 5 && i % 2 ? 500 : 200, config);
        }
    }
    CHECK_FALSE(f.sweep(detector));
    // The counts are per interval: the next sweep starts from zero.
    for (size_t e = 0; e < 6; ++e) {
        for (int i = 0; i < 50; ++i) {
            f.respond(e, e == 5 ? 500 : 200, config);
        }
    }
    f.now += 10s;
    CHECK_FALSE(f.sweep(detector));
}

TEST_CASE("failure percentage ejects at or over its threshold when configured",
          "[upstream][outlier]") {
    auto config = config_with();
    config.consecutive_5xx = 0;
    config.success_rate = false;
    config.failure_percentage = true;
    Fixture f(5);
    OutlierDetector detector(config);
    for (size_t e = 0; e < 5; ++e) {
        for (int i = 0; i < 100; ++i) {
            // Endpoint 0 fails 85%, endpoint 1 84%.
            const int failing = e == 0 ? 85 : (e == 1 ? 84 : 0);
            f.respond(e, i < failing ? 503 : 200, config);
        }
    }
    CHECK(f.sweep(detector));
    CHECK(f.ejected(0));
    CHECK_FALSE(f.ejected(1));
}
