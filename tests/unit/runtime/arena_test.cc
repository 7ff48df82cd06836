#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <gantry/runtime/arena.h>

using gantry::runtime::Arena;

TEST_CASE("the arena serves small requests from its block without touching the heap", "[runtime]") {
    std::array<char, 1024> block{};
    Arena arena;
    arena.reset(block.data(), block.size());
    void* a = arena.allocate(100, 8);
    void* b = arena.allocate(200, 16);
    CHECK(a >= block.data());
    CHECK(static_cast<char*>(b) + 200 <= block.data() + block.size());
    CHECK(reinterpret_cast<uintptr_t>(b) % 16 == 0);
    CHECK(arena.overflow_bytes() == 0);
}

TEST_CASE("the arena spills into heap chunks and frees them on reset", "[runtime]") {
    std::array<char, 256> block{};
    Arena arena;
    arena.reset(block.data(), block.size());
    std::pmr::vector<std::pmr::string> strings(&arena);
    for (int i = 0; i < 100; ++i) {
        strings.emplace_back(100, static_cast<char>('a' + i % 26));
    }
    CHECK(std::string_view(strings[99]) == std::string(100, static_cast<char>('a' + 99 % 26)));
    CHECK(arena.overflow_bytes() > 0);
    strings.clear();
    arena.reset(block.data(), block.size());
    CHECK(arena.overflow_bytes() == 0);
    void* p = arena.allocate(64, 8);
    CHECK(p >= block.data());
    CHECK(p < block.data() + block.size());
}

TEST_CASE("the arena honours large alignments", "[runtime]") {
    std::array<char, 512> block{};
    Arena arena;
    arena.reset(block.data() + 1, block.size() - 1);
    void* p = arena.allocate(8, 64);
    CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
}
