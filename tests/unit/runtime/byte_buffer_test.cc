#include <cstring>
#include <string>

#include <catch2/catch.hpp>

#include <gantry/runtime/byte_buffer.h>

using gantry::runtime::BufferPool;
using gantry::runtime::ByteBuffer;

namespace {

void append(ByteBuffer& buffer, const std::string& bytes) {
    REQUIRE(buffer.writable_size() >= bytes.size());
    std::memcpy(buffer.write_pointer(), bytes.data(), bytes.size());
    buffer.commit(bytes.size());
}

}  // namespace

TEST_CASE("grow moves unread bytes onto a larger block and returns the small one",
          "[runtime][buffer]") {
    BufferPool small(16);
    BufferPool large(64);
    ByteBuffer buffer;
    small.acquire(buffer);
    append(buffer, "0123456789abcdef");
    buffer.consume(10);
    large.grow(buffer, small);
    CHECK(buffer.capacity() == 64);
    CHECK(buffer.readable() == "abcdef");
    CHECK(buffer.writable_size() == 58);
    append(buffer, std::string(58, 'x'));
    CHECK(buffer.is_full());

    // The small block went back to its pool: the next small buffer reuses it.
    ByteBuffer again;
    small.acquire(again);
    CHECK(again.capacity() == 16);
    CHECK(small.trim(0) == 0);

    // Growing a buffer that is already large does nothing.
    large.grow(buffer, small);
    CHECK(buffer.capacity() == 64);
    CHECK(buffer.size() == 64);
}

TEST_CASE("a pool keeps only blocks of its own size", "[runtime][buffer]") {
    BufferPool small(16);
    BufferPool large(64);
    ByteBuffer buffer;
    large.acquire(buffer);
    small.release(buffer);  // the wrong pool frees the block instead of keeping it
    CHECK_FALSE(buffer.has_storage());
    CHECK(small.trim(0) == 0);
    large.acquire(buffer);
    large.release(buffer);
    CHECK(large.trim(0) == 1);
}
