#include <memory_resource>
#include <string>

#include <catch2/catch.hpp>

#include <gantry/config.h>
#include <gantry/filter/header_mutation_filter.h>

using gantry::config::HeaderMutation;
using gantry::filter::apply_header_mutation;
using gantry::http::HeaderMap;

TEST_CASE("header mutation sets, then adds, then removes", "[filter]") {
    std::pmr::monotonic_buffer_resource arena;
    HeaderMap headers(&arena);
    headers.add("X-Env", "dev");
    headers.add("x-env", "old");
    headers.add("X-Debug", "1");
    headers.add("Server", "upstream");
    HeaderMutation mutation;
    mutation.set = {{"x-env", "prod"}};
    mutation.add = {{"x-tag", "a"}, {"x-tag", "b"}};
    mutation.remove = {"x-debug", "server"};
    apply_header_mutation(mutation, headers);
    CHECK(headers.size() == 3);
    REQUIRE(headers.get("X-ENV") != nullptr);
    CHECK(headers.get("X-ENV")->value == "prod");
    CHECK(headers.get("x-debug") == nullptr);
    CHECK(headers.get("server") == nullptr);
    int tags = 0;
    std::string values;
    for (const auto& field : headers) {
        if (field.name == "x-tag") {
            ++tags;
            values += std::string(field.value);
        }
    }
    CHECK(tags == 2);
    CHECK(values == "ab");
}

TEST_CASE("header mutation interns well-known names", "[filter]") {
    std::pmr::monotonic_buffer_resource arena;
    HeaderMap headers(&arena);
    HeaderMutation mutation;
    mutation.set = {{"x-request-id", "abc"}};
    apply_header_mutation(mutation, headers);
    CHECK(headers.get(gantry::http::HeaderId::XRequestId) != nullptr);
}
