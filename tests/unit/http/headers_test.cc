#include <array>
#include <cctype>
#include <cstddef>
#include <memory_resource>
#include <optional>
#include <string>

#include <catch2/catch.hpp>

#include <gantry/http/headers.h>

namespace {

using gantry::http::HeaderId;
using gantry::http::HeaderMap;

// Counts allocations so tests can see that header bytes land in the given resource.
class CountingResource : public std::pmr::memory_resource {
public:
    size_t allocations = 0;
    size_t deallocations = 0;
    size_t bytes = 0;

private:
    void* do_allocate(size_t size, size_t align) override {
        ++allocations;
        bytes += size;
        return std::pmr::new_delete_resource()->allocate(size, align);
    }

    void do_deallocate(void* p, size_t size, size_t align) override {
        ++deallocations;
        std::pmr::new_delete_resource()->deallocate(p, size, align);
    }

    bool do_is_equal(const memory_resource& other) const noexcept override {
        return this == &other;
    }
};

}  // namespace

TEST_CASE("header_id maps every well-known name in any case and back", "[http][headers]") {
    for (int i = 1; i < static_cast<int>(HeaderId::Count); ++i) {
        auto id = static_cast<HeaderId>(i);
        std::string name(gantry::http::header_name(id));
        REQUIRE_FALSE(name.empty());
        CHECK(gantry::http::header_id(name) == id);
        std::string upper = name;
        for (char& c : upper) {
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        CHECK(gantry::http::header_id(upper) == id);
        std::string mixed = name;
        mixed[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(mixed[0])));
        CHECK(gantry::http::header_id(mixed) == id);
    }
}

TEST_CASE("header_id returns Other for unknown or near-miss names", "[http][headers]") {
    CHECK(gantry::http::header_id("") == HeaderId::Other);
    CHECK(gantry::http::header_id("hostx") == HeaderId::Other);
    CHECK(gantry::http::header_id("hos") == HeaderId::Other);
    CHECK(gantry::http::header_id("x-custom") == HeaderId::Other);
    CHECK(gantry::http::header_id("content_length") == HeaderId::Other);
    CHECK(gantry::http::header_id("connection\r") == HeaderId::Other);
    CHECK(gantry::http::header_id(std::string_view("h\0st", 4)) == HeaderId::Other);
    CHECK(gantry::http::header_name(HeaderId::Other).empty());
}

TEST_CASE("header_id folds the case of letters only", "[http][headers]") {
    using gantry::http::header_id;
    // Each of these differs from a well-known name by 0x20 in a byte that is not a letter, which a
    // blanket "| 0x20" would wrongly accept.
    CHECK(header_id("content\rlength") == HeaderId::Other);  // '\r' | 0x20 == '-'
    CHECK(header_id("x\rforwarded\rfor") == HeaderId::Other);
    CHECK(header_id("keep\ralive") == HeaderId::Other);
    CHECK(header_id("te") == HeaderId::Te);
    CHECK(header_id("T\x05") == HeaderId::Other);  // 0x05 | 0x20 == '%', not 'e'
    CHECK(header_id("HOST") == HeaderId::Host);
    CHECK(header_id("hOsT") == HeaderId::Host);
    CHECK(header_id("\xc8ost") == HeaderId::Other);              // 0xC8 | 0x20 == 0xE8
    CHECK(header_id("Proxy-Authorizatioo") == HeaderId::Other);  // the last of three windows
    CHECK(header_id("Proxy-Authorozation") == HeaderId::Other);  // the middle window
    CHECK(header_id("Xroxy-Authorization") == HeaderId::Other);  // the first window
}

TEST_CASE("iequals ignores ASCII case only", "[http][headers]") {
    CHECK(gantry::http::iequals("Content-Type", "content-type"));
    CHECK(gantry::http::iequals("", ""));
    CHECK_FALSE(gantry::http::iequals("abc", "abcd"));
    CHECK_FALSE(gantry::http::iequals("a-b", "a_b"));
    // Bytes above 0x7F are compared exactly, not case-folded by a locale.
    CHECK_FALSE(gantry::http::iequals("\xC3\xA9", "\xC3\x89"));
    CHECK_FALSE(gantry::http::iequals("@", "`"));
}

TEST_CASE("iequals compares long strings a word at a time with the same rules", "[http][headers]") {
    using gantry::http::iequals;
    CHECK(iequals("X-Forwarded-Proto", "x-forwarded-proto"));
    CHECK(iequals("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"));
    CHECK(iequals("0123456789-_.~!", "0123456789-_.~!"));
    // A difference in any position, including the overlapping last word.
    std::string base = "Sec-WebSocket-Extensions";
    for (size_t i = 0; i < base.size(); ++i) {
        INFO("position " << i);
        std::string other = base;
        other[i] = '#';
        CHECK_FALSE(iequals(base, other));
        std::string flipped = base;
        flipped[i] = static_cast<char>(flipped[i] ^ 0x20);
        bool letter = std::isalpha(static_cast<unsigned char>(base[i])) != 0;
        CHECK(iequals(base, flipped) == letter);
    }
    CHECK_FALSE(iequals("abcdefgh@", "abcdefgh`"));
    CHECK_FALSE(iequals("abcdefgh[", "abcdefgh{"));
    CHECK_FALSE(iequals("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", "\xC3\x89\xC3\x89\xC3\x89\xC3\x89"));
}

TEST_CASE("HeaderMap copies names and values into its memory resource", "[http][headers]") {
    CountingResource mr;
    HeaderMap map(&mr);
    std::string name = "X-Thing";
    std::string value = "abc";
    map.add(name, value);
    name = "zzzzzzz";
    value = "zzz";
    REQUIRE(map.size() == 1);
    CHECK(map.fields()[0].name == "X-Thing");
    CHECK(map.fields()[0].value == "abc");
    CHECK(map.fields()[0].id == HeaderId::Other);
    CHECK(mr.bytes >= 10);
    CHECK(map.resource() == &mr);

    auto stored = map.store("hello");
    CHECK(stored == "hello");
    CHECK(map.store("").empty());
}

TEST_CASE("HeaderMap keeps order and looks names up case-insensitively", "[http][headers]") {
    HeaderMap map;
    map.add("Host", "example.com");
    map.add("X-A", "1");
    map.add("x-a", "2");
    map.add("Content-Length", "5");
    CHECK(map.size() == 4);
    CHECK(map.fields()[0].id == HeaderId::Host);
    CHECK(map.fields()[3].id == HeaderId::ContentLength);
    REQUIRE(map.get("HOST") != nullptr);
    CHECK(map.get("host")->value == "example.com");
    CHECK(map.get(HeaderId::Host)->name == "Host");
    CHECK(map.get("X-a")->value == "1");
    CHECK(map.get("missing") == nullptr);
    CHECK(map.get(HeaderId::Upgrade) == nullptr);
    CHECK(map.get(HeaderId::Other) == nullptr);
    CHECK(map.count(HeaderId::Host) == 1);
    CHECK(map.count(HeaderId::Other) == 0);
}

TEST_CASE("HeaderMap set replaces every occurrence in place of the first", "[http][headers]") {
    HeaderMap map;
    map.add("A", "1");
    map.add("X-Dup", "one");
    map.add("B", "2");
    map.add("x-dup", "two");
    map.set("X-DUP", "new");
    REQUIRE(map.size() == 3);
    CHECK(map.fields()[1].name == "X-Dup");
    CHECK(map.fields()[1].value == "new");
    CHECK(map.fields()[2].name == "B");

    map.set("Connection", "close");
    REQUIRE(map.size() == 4);
    CHECK(map.fields()[3].id == HeaderId::Connection);
    CHECK(map.get(HeaderId::Connection)->value == "close");
}

TEST_CASE("HeaderMap remove by name and by id counts removed fields", "[http][headers]") {
    HeaderMap map;
    map.add("Via", "a");
    map.add("Transfer-Encoding", "chunked");
    map.add("via", "b");
    map.add("TRANSFER-ENCODING", "chunked");
    map.add("Keep", "x");
    CHECK(map.remove("VIA") == 2);
    CHECK(map.remove(HeaderId::TransferEncoding) == 2);
    CHECK(map.remove(HeaderId::TransferEncoding) == 0);
    CHECK(map.remove(HeaderId::Other) == 0);
    CHECK(map.remove("absent") == 0);
    REQUIRE(map.size() == 1);
    CHECK(map.fields()[0].name == "Keep");
    map.clear();
    CHECK(map.empty());
}

TEST_CASE("HeaderMap remove_if drops matching fields in one pass and keeps order",
          "[http][headers]") {
    HeaderMap map;
    for (const char* name : {"A", "b", "C", "d", "E", "f"}) {
        map.add(name, "v");
    }
    size_t removed = map.remove_if([](const gantry::http::HeaderField& f) {
        return std::islower(static_cast<unsigned char>(f.name[0])) != 0;
    });
    CHECK(removed == 3);
    REQUIRE(map.size() == 3);
    CHECK(map.fields()[0].name == "A");
    CHECK(map.fields()[1].name == "C");
    CHECK(map.fields()[2].name == "E");
    CHECK(map.remove_if([](const gantry::http::HeaderField&) { return false; }) == 0);
}

TEST_CASE("HeaderMap add_unowned keeps the caller's bytes and id", "[http][headers]") {
    CountingResource mr;
    HeaderMap map(&mr);
    static constexpr std::string_view kName = "Server";
    map.add_unowned(kName, "gantry", HeaderId::Server);
    REQUIRE(map.get(HeaderId::Server) != nullptr);
    CHECK(map.get("server")->name.data() == kName.data());
    CHECK(map.begin()->value == "gantry");
    CHECK(map.end() - map.begin() == 1);
}

TEST_CASE("HeaderMap gives every owned byte back to its resource", "[http][headers]") {
    CountingResource mr;
    {
        HeaderMap map(&mr);
        map.add("A", "1");
        map.set("A", "2");
        map.store("target");
        map.remove("A");
        map.add("B", "3");
        map.clear();
    }
    CHECK(mr.allocations > 0);
    CHECK(mr.deallocations == mr.allocations);
}

TEST_CASE("HeaderMap copies are deep and moves carry the bytes along", "[http][headers]") {
    CountingResource mr;
    std::optional<HeaderMap> source(std::in_place, &mr);
    source->add("X-Key", "value");
    source->add_unowned("Server", "static", HeaderId::Server);

    HeaderMap copy(*source);
    HeaderMap assigned(&mr);
    assigned.add("Old", "gone");
    assigned = *source;
    HeaderMap moved(std::move(*source));
    CHECK(source->empty());
    source.reset();

    for (const HeaderMap* map : {&copy, &assigned, &moved}) {
        REQUIRE(map->size() == 2);
        CHECK(map->fields()[0].name == "X-Key");
        CHECK(map->fields()[0].value == "value");
        CHECK(map->get(HeaderId::Server)->value == "static");
        CHECK(map->resource() == &mr);
    }
    HeaderMap target(&mr);
    target = std::move(moved);
    CHECK(target.get("x-key")->value == "value");
}
