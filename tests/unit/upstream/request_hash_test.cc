#include <catch2/catch.hpp>

#include <gantry/upstream/load_balancer.h>
#include <gantry/upstream/request_hash.h>

using gantry::config::HashOn;
using gantry::upstream::find_cookie;
using gantry::upstream::hash_key;
using gantry::upstream::request_hash;

namespace {

gantry::http::RequestHead request() {
    gantry::http::RequestHead head;
    head.method = "GET";
    head.target = "/cart?x=1";
    head.path = "/cart";
    head.headers.add("X-User-Id", "u42");
    head.headers.add("Cookie", "theme=dark");
    head.headers.add("cookie", "session=abc; other=1");
    return head;
}

}  // namespace

TEST_CASE("request_hash reads the key hash_on names", "[upstream][hash]") {
    auto head = request();
    CHECK(request_hash({HashOn::Kind::Header, "x-user-id"}, head, "") == hash_key("u42"));
    CHECK(request_hash({HashOn::Kind::Cookie, "session"}, head, "") == hash_key("abc"));
    CHECK(request_hash({HashOn::Kind::SourceIp, ""}, head, "10.1.2.3") == hash_key("10.1.2.3"));
    CHECK(request_hash({HashOn::Kind::Path, ""}, head, "") == hash_key("/cart"));
}

TEST_CASE("request_hash has no key when the header or cookie is absent", "[upstream][hash]") {
    auto head = request();
    CHECK_FALSE(request_hash({HashOn::Kind::Header, "x-tenant"}, head, ""));
    CHECK_FALSE(request_hash({HashOn::Kind::Cookie, "user"}, head, ""));
    CHECK_FALSE(request_hash({HashOn::Kind::SourceIp, ""}, head, ""));
    CHECK_FALSE(request_hash({}, head, "10.1.2.3"));
}

TEST_CASE("find_cookie splits on semicolons and trims spaces", "[upstream][hash]") {
    CHECK(find_cookie("a=1; b = 2 ;c=3", "b") == "2");
    CHECK(find_cookie("a=1;c=3", "c") == "3");
    CHECK(find_cookie("ab=1", "a") == std::nullopt);
    CHECK(find_cookie("a", "a") == std::nullopt);
    CHECK(find_cookie("", "a") == std::nullopt);
    CHECK(find_cookie("a=", "a") == "");
}
