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

namespace {

// Counts destructor runs, through a base class with a virtual destructor as filters are held.
struct Counted {
    explicit Counted(int* destroyed) : destroyed_(destroyed) {}

    virtual ~Counted() { ++*destroyed_; }

    int* destroyed_;
};

struct DerivedCounted final : Counted {
    DerivedCounted(int* destroyed, std::string text) : Counted(destroyed), text(std::move(text)) {}

    std::string text;  // heap memory: leaks under ASan unless the destructor runs
};

}  // namespace

TEST_CASE("Arena::make builds in the arena and the handle destroys once", "[runtime][arena]") {
    std::array<char, 1024> block{};
    Arena arena;
    arena.reset(block.data(), block.size());
    int destroyed = 0;
    {
        auto handle = arena.make<DerivedCounted>(&destroyed, std::string(100, 'x'));
        CHECK(reinterpret_cast<char*>(handle.get()) >= block.data());
        CHECK(reinterpret_cast<char*>(handle.get()) < block.data() + block.size());
        CHECK(handle->text.size() == 100);
        gantry::runtime::ArenaPtr<Counted> base = std::move(handle);  // as a filter is held
        CHECK_FALSE(handle);
        CHECK(destroyed == 0);
        gantry::runtime::ArenaPtr<Counted> moved = std::move(base);
        CHECK(destroyed == 0);
    }
    CHECK(destroyed == 1);  // at scope end, once, through the base class
    auto early = arena.make<Counted>(&destroyed);
    early.reset();
    CHECK(destroyed == 2);  // earlier than the arena, on reset
    early.reset();
    CHECK(destroyed == 2);
    auto replaced = arena.make<Counted>(&destroyed);
    replaced = arena.make<Counted>(&destroyed);
    CHECK(destroyed == 3);  // assigning over a handle destroys what it held
    replaced.reset();
    arena.release();  // handles first, then the arena (arena.h's rule)
    CHECK(destroyed == 4);
}

TEST_CASE("make_in_arena works on any memory resource and for trivial types", "[runtime][arena]") {
    std::array<char, 256> block{};
    Arena arena;
    arena.reset(block.data(), block.size());
    std::pmr::memory_resource* resource = &arena;
    auto number = gantry::runtime::make_in_arena<uint64_t>(resource, uint64_t{42});
    CHECK(*number == 42);
    CHECK(sizeof(number) == sizeof(void*));  // one pointer: no deleter state
}
