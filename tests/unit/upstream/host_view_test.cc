#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <gantry/upstream/host_view.h>

using gantry::upstream::HostInfo;
using gantry::upstream::HostView;
using gantry::upstream::ZoneAwareSettings;
using Mask = std::vector<uint8_t>;

namespace {

const std::string kZoneA = "a";
const std::string kZoneB = "b";
const std::string kZoneC = "c";

HostInfo host(bool usable, uint32_t priority = 0, const std::string* zone = nullptr) {
    return HostInfo{usable, priority, zone};
}

// Shares and masks, flattened for one CHECK.
std::vector<std::pair<uint32_t, Mask>> shares(const HostView& view) {
    std::vector<std::pair<uint32_t, Mask>> out;
    for (const auto& subset : view.subsets()) {
        out.emplace_back(subset.share, subset.mask);
    }
    return out;
}

using Shares = std::vector<std::pair<uint32_t, Mask>>;

}  // namespace

TEST_CASE("a healthy single level takes all traffic over every endpoint", "[upstream][health]") {
    std::vector<HostInfo> hosts{host(true), host(true), host(true)};
    HostView view = HostView::build(hosts, {});
    CHECK(shares(view) == Shares{{10000, {1, 1, 1}}});
    CHECK(view.subsets()[0].is_everything);
    CHECK_FALSE(view.is_split());
}

TEST_CASE("a level with half or more healthy uses only its healthy endpoints",
          "[upstream][health]") {
    std::vector<HostInfo> hosts{host(true), host(false), host(true), host(false), host(true)};
    CHECK(shares(HostView::build(hosts, {})) == Shares{{10000, {1, 0, 1, 0, 1}}});
}

TEST_CASE("panic: under 50% healthy a level uses all of its endpoints", "[upstream][health]") {
    std::vector<HostInfo> hosts{host(true), host(false), host(true), host(false), host(false)};
    CHECK(shares(HostView::build(hosts, {})) == Shares{{10000, {1, 1, 1, 1, 1}}});
}

TEST_CASE("priority failover: level 0 keeps 1.4 x its healthy share, level 1 the rest",
          "[upstream][health]") {
    // Level 0 half healthy: health min(100, 1.4 x 50) = 70; level 1 takes the other 30.
    std::vector<HostInfo> hosts{host(true, 0),  host(false, 0), host(true, 0),
                                host(false, 0), host(true, 1),  host(true, 1)};
    CHECK(shares(HostView::build(hosts, {})) ==
          Shares{{7000, {1, 0, 1, 0, 0, 0}}, {3000, {0, 0, 0, 0, 1, 1}}});
    // 3 of 4 healthy: 1.4 x 75 = 105, capped at 100: level 1 gets nothing.
    hosts[1].usable = true;
    CHECK(shares(HostView::build(hosts, {})) == Shares{{10000, {1, 1, 1, 0, 0, 0}}});
    // Level 0 all down: everything fails over.
    for (int i = 0; i < 4; ++i) {
        hosts[static_cast<size_t>(i)].usable = false;
    }
    CHECK(shares(HostView::build(hosts, {})) == Shares{{10000, {0, 0, 0, 0, 1, 1}}});
}

TEST_CASE("healths adding up to under 100 are scaled up, and weak levels panic",
          "[upstream][health]") {
    // Level 0: 1 of 4 healthy (health 35); level 1: 1 of 2 (health 70). Sum 105: no panic.
    std::vector<HostInfo> hosts{host(true, 0),  host(false, 0), host(false, 0),
                                host(false, 0), host(true, 1),  host(false, 1)};
    CHECK(shares(HostView::build(hosts, {})) ==
          Shares{{3500, {1, 0, 0, 0, 0, 0}}, {6500, {0, 0, 0, 0, 1, 0}}});
    // Level 1: 1 of 4 too: healths 35 + 35 = 70 < 100, scaled to 50/50, both in panic.
    hosts.push_back(host(false, 1));
    hosts.push_back(host(false, 1));
    CHECK(shares(HostView::build(hosts, {})) ==
          Shares{{5000, {1, 1, 1, 1, 0, 0, 0, 0}}, {5000, {0, 0, 0, 0, 1, 1, 1, 1}}});
}

TEST_CASE("nothing healthy anywhere: all levels in panic, shared by endpoint count",
          "[upstream][health]") {
    std::vector<HostInfo> hosts{host(false, 0), host(false, 0), host(false, 0), host(false, 1)};
    CHECK(shares(HostView::build(hosts, {})) == Shares{{7500, {1, 1, 1, 0}}, {2500, {0, 0, 0, 1}}});
}

TEST_CASE("zone-aware without a fleet keeps traffic local while the local zone is healthy",
          "[upstream][health][zone]") {
    std::vector<HostInfo> hosts{host(true, 0, &kZoneA), host(true, 0, &kZoneA),
                                host(true, 0, &kZoneA), host(true, 0, &kZoneB),
                                host(true, 0, &kZoneB), host(true, 0, &kZoneC)};
    ZoneAwareSettings zones{true, 6, "a", nullptr};
    CHECK(shares(HostView::build(hosts, zones)) == Shares{{10000, {1, 1, 1, 0, 0, 0}}});
    // One local endpoint down: local keeps 1.4 x 2/3 = 93.33%; b and c share the rest 2:1.
    hosts[0].usable = false;
    CHECK(shares(HostView::build(hosts, zones)) ==
          Shares{{9333, {0, 1, 1, 0, 0, 0}}, {445, {0, 0, 0, 1, 1, 0}}, {222, {0, 0, 0, 0, 0, 1}}});
    // Every local endpoint down: all of it spills.
    hosts[1].usable = false;
    hosts[2].usable = false;
    CHECK(shares(HostView::build(hosts, zones)) ==
          Shares{{6667, {0, 0, 0, 1, 1, 0}}, {3333, {0, 0, 0, 0, 0, 1}}});
}

TEST_CASE("zone-aware with a fleet follows Envoy's proportional split",
          "[upstream][health][zone]") {
    // Half the gantry fleet is in zone a, but only a third of the upstreams: a keeps
    // 33.33 / 50 = 66.66% local, and the residual goes to b, the zone with spare capacity.
    std::vector<HostInfo> hosts{host(true, 0, &kZoneA), host(true, 0, &kZoneA),
                                host(true, 0, &kZoneB), host(true, 0, &kZoneB),
                                host(true, 0, &kZoneB), host(true, 0, &kZoneB)};
    const std::map<std::string, uint32_t> fleet{{"a", 1}, {"b", 1}};
    ZoneAwareSettings zones{true, 6, "a", &fleet};
    CHECK(shares(HostView::build(hosts, zones)) ==
          Shares{{6666, {1, 1, 0, 0, 0, 0}}, {3334, {0, 0, 1, 1, 1, 1}}});
    // From zone b's side the local share of upstreams (66%) exceeds its fleet share: all local.
    zones.local_zone = "b";
    CHECK(shares(HostView::build(hosts, zones)) == Shares{{10000, {0, 0, 1, 1, 1, 1}}});
}

TEST_CASE("zone-aware is off below min_cluster_size, when disabled or without a local zone",
          "[upstream][health][zone]") {
    std::vector<HostInfo> hosts{host(true, 0, &kZoneA), host(true, 0, &kZoneB),
                                host(true, 0, &kZoneB), host(true, 0, &kZoneB),
                                host(true, 0, &kZoneB)};
    const Shares everywhere{{10000, {1, 1, 1, 1, 1}}};
    CHECK(shares(HostView::build(hosts, {true, 6, "a", nullptr})) == everywhere);
    CHECK(shares(HostView::build(hosts, {true, 5, "a", nullptr})) ==
          Shares{{10000, {1, 0, 0, 0, 0}}});
    CHECK(shares(HostView::build(hosts, {false, 1, "a", nullptr})) == everywhere);
    CHECK(shares(HostView::build(hosts, {true, 1, "", nullptr})) == everywhere);
    CHECK(shares(HostView::build(hosts, {true, 1, "z", nullptr})) == everywhere);
}

TEST_CASE("HostView::choose walks the shares", "[upstream][health]") {
    std::vector<HostInfo> hosts{host(true, 0), host(false, 0), host(true, 1)};
    HostView view = HostView::build(hosts, {});
    REQUIRE(view.subsets().size() == 2);
    CHECK(view.choose(0) == &view.subsets()[0]);
    CHECK(view.choose(view.subsets()[0].share - 1) == &view.subsets()[0]);
    CHECK(view.choose(view.subsets()[0].share) == &view.subsets()[1]);
    CHECK(view.choose(HostView::kScale - 1) == &view.subsets()[1]);
    CHECK(HostView::build({}, {}).choose(0) == nullptr);
}
