#include <algorithm>
#include <new>

#include <gantry/runtime/arena.h>

namespace gantry::runtime {

namespace {

constexpr size_t kMinChunk = 8 * 1024;

char* align_up(char* pointer, size_t alignment) {
    auto value = reinterpret_cast<uintptr_t>(pointer);
    value = (value + alignment - 1) & ~(static_cast<uintptr_t>(alignment) - 1);
    return reinterpret_cast<char*>(value);
}

}  // namespace

void Arena::release() {
    while (chunks_ != nullptr) {
        Chunk* next = chunks_->next;
        ::operator delete(chunks_);
        chunks_ = next;
    }
    current_ = end_ = nullptr;
    overflow_bytes_ = 0;
}

void* Arena::do_allocate(size_t bytes, size_t alignment) {
    if (current_ != nullptr) {
        char* aligned = align_up(current_, alignment);
        if (aligned <= end_ && static_cast<size_t>(end_ - aligned) >= bytes) {
            current_ = aligned + bytes;
            return aligned;
        }
    }
    size_t size = std::max(kMinChunk, sizeof(Chunk) + bytes + alignment);
    auto* chunk = static_cast<Chunk*>(::operator new(size));
    chunk->next = chunks_;
    chunks_ = chunk;
    overflow_bytes_ += size;
    char* start = align_up(reinterpret_cast<char*>(chunk) + sizeof(Chunk), alignment);
    current_ = start + bytes;
    end_ = reinterpret_cast<char*>(chunk) + size;
    return start;
}

}  // namespace gantry::runtime
