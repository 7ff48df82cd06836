#pragma once

// Arena: the per-request memory resource. A bump allocator over a pooled block, spilling into
// heap chunks only when a request outgrows the block; deallocate is a no-op and everything is
// returned at once by reset()/release(). Owned by a Stream (which outlives every container that
// allocates from it); touched only by that stream's worker thread.

#include <cstddef>
#include <cstdint>
#include <memory_resource>

namespace gantry::runtime {

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
