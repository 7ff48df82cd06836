#pragma once

// Arena: the per-request memory resource. A bump allocator over a pooled block, spilling into
// heap chunks only when a request outgrows the block; deallocate is a no-op and everything is
// returned at once by reset()/release(). Owned by a Stream (which outlives every container that
// allocates from it); touched only by that stream's worker thread.
//
// Objects built in an arena are owned through ArenaPtr (from Arena::make or make_in_arena): the
// handle runs the destructor, the arena frees the memory. Rule: every handle into an arena is
// reset or destroyed before that arena is reset or released (Stream::finish resets its own and
// destroys the filters, whose handles go with them, before it releases the arena).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <memory_resource>
#include <new>
#include <type_traits>
#include <utility>

namespace gantry::runtime {

// An owning handle to an object whose memory belongs to an arena: move-only, one pointer wide;
// destroying or resetting it runs the object's destructor (virtual, for a base class) and frees
// nothing.
template <class T>
class ArenaPtr {
public:
    ArenaPtr() = default;

    explicit ArenaPtr(T* object) noexcept : object_(object) {}

    ArenaPtr(ArenaPtr&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}

    template <class U>
    requires std::is_convertible_v<U*, T*> ArenaPtr(ArenaPtr<U>&& other)
    noexcept : object_(other.release()) {}

    ArenaPtr& operator=(ArenaPtr&& other) noexcept {
        if (this != &other) {
            reset();
            object_ = std::exchange(other.object_, nullptr);
        }
        return *this;
    }

    ArenaPtr(const ArenaPtr&) = delete;
    ArenaPtr& operator=(const ArenaPtr&) = delete;

    ~ArenaPtr() { reset(); }

    void reset() noexcept {
        if (object_ != nullptr) {
            std::destroy_at(std::exchange(object_, nullptr));
        }
    }

    // Gives up ownership without destroying (for a converting move).
    T* release() noexcept { return std::exchange(object_, nullptr); }

    T* get() const noexcept { return object_; }

    T& operator*() const noexcept { return *object_; }

    T* operator->() const noexcept { return object_; }

    explicit operator bool() const noexcept { return object_ != nullptr; }

private:
    T* object_ = nullptr;
};

// Builds a T in `arena` (any memory resource whose deallocate may be skipped).
template <class T, class... Args>
ArenaPtr<T> make_in_arena(std::pmr::memory_resource* arena, Args&&... args) {
    void* memory = arena->allocate(sizeof(T), alignof(T));
    return ArenaPtr<T>(::new (memory) T(std::forward<Args>(args)...));
}

class Arena final : public std::pmr::memory_resource {
public:
    Arena() = default;
    Arena(const Arena&) = delete;
    Arena& operator=(const Arena&) = delete;

    ~Arena() override { release(); }

    // Starts allocating from [block, block + size); frees earlier overflow chunks.
    void reset(char* block, size_t size) {
        release();
        current_ = block;
        end_ = block + size;
    }

    // Frees overflow chunks and forgets the block (the caller returns it to its pool).
    void release();

    // Builds a T in this arena; the handle destroys it (see the rule above).
    template <class T, class... Args>
    ArenaPtr<T> make(Args&&... args) {
        return make_in_arena<T>(this, std::forward<Args>(args)...);
    }

    // Bytes taken from the heap since the last reset (for the allocations-per-request figure).
    size_t overflow_bytes() const { return overflow_bytes_; }

private:
    struct Chunk {
        Chunk* next;
    };

    void* do_allocate(size_t bytes, size_t alignment) override;

    void do_deallocate(void*, size_t, size_t) override {}

    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
        return this == &other;
    }

    char* current_ = nullptr;
    char* end_ = nullptr;
    Chunk* chunks_ = nullptr;
    size_t overflow_bytes_ = 0;
};

}  // namespace gantry::runtime
