#pragma once

// ByteBuffer: a fixed-capacity byte buffer with a readable window [begin, end) and free space
// after it, used for socket reads. Blocks come from a per-worker BufferPool and go back to it when
// a connection idles, so an idle keep-alive connection holds no buffer. One owner, one thread.

#include <cstddef>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::runtime {

class BufferPool;

class ByteBuffer {
public:
    ByteBuffer() = default;
    ByteBuffer(ByteBuffer&&) = default;
    ByteBuffer& operator=(ByteBuffer&&) = default;

    bool has_storage() const { return data_ != nullptr; }

    std::string_view readable() const { return {data_.get() + begin_, end_ - begin_}; }

    size_t size() const { return end_ - begin_; }

    bool empty() const { return begin_ == end_; }

    void consume(size_t n) {
        begin_ += n;
        if (begin_ == end_) {
            begin_ = end_ = 0;
        }
    }

    // Marks everything before `rest` (a suffix of readable()) as consumed.
    void consume_to(std::string_view rest) { consume(size() - rest.size()); }

    // Free space at the end, moving unread bytes to the front first when that makes room.
    char* write_pointer() {
        if (end_ == capacity_ && begin_ > 0) {
            std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        return data_.get() + end_;
    }

    size_t writable_size() const { return capacity_ - end_ + (end_ == capacity_ ? begin_ : 0); }

    void commit(size_t n) { end_ += n; }

    bool is_full() const { return begin_ == 0 && end_ == capacity_; }

    size_t capacity() const { return capacity_; }

private:
    friend class BufferPool;
    std::unique_ptr<char[]> data_;
    size_t capacity_ = 0;
    size_t begin_ = 0;
    size_t end_ = 0;
};

// Per-worker free list of equally sized blocks. Not thread-safe by design.
class BufferPool {
public:
    explicit BufferPool(size_t block_size, size_t max_free = 1024)
        : block_size_(block_size)
        , max_free_(max_free) {}

    // Gives `buffer` a block (no-op when it already has one).
    void acquire(ByteBuffer& buffer) {
        if (buffer.data_) {
            return;
        }
        if (free_.empty()) {
            buffer.data_ = std::make_unique_for_overwrite<char[]>(block_size_);
        } else {
            buffer.data_ = std::move(free_.back());
            free_.pop_back();
        }
        buffer.capacity_ = block_size_;
        buffer.begin_ = buffer.end_ = 0;
    }

    // Takes the block back when the buffer holds no unread bytes (a block of another size is
    // freed instead of kept).
    void release(ByteBuffer& buffer) {
        if (!buffer.data_ || !buffer.empty()) {
            return;
        }
        if (free_.size() < max_free_ && buffer.capacity_ == block_size_) {
            free_.push_back(std::move(buffer.data_));
        }
        buffer.data_.reset();
        buffer.capacity_ = buffer.begin_ = buffer.end_ = 0;
    }

    size_t block_size() const { return block_size_; }

    // Moves `buffer` onto a block of this pool, unread bytes included, when its block came from
    // `smaller`, which gets that block back.
    void grow(ByteBuffer& buffer, BufferPool& smaller) {
        if (buffer.capacity_ >= block_size_) {
            return;
        }
        ByteBuffer bigger;
        acquire(bigger);
        std::string_view unread = buffer.readable();
        std::memcpy(bigger.data_.get(), unread.data(), unread.size());
        bigger.end_ = unread.size();
        buffer.consume(unread.size());
        smaller.release(buffer);
        buffer = std::move(bigger);
    }

    // Frees all but `keep` free blocks; returns how many were freed.
    size_t trim(size_t keep) {
        size_t freed = free_.size() > keep ? free_.size() - keep : 0;
        free_.resize(free_.size() - freed);
        return freed;
    }

private:
    size_t block_size_;
    size_t max_free_;
    std::vector<std::unique_ptr<char[]>> free_;
};

// Per-worker free list of std::string output buffers, so an idle connection gives its output
// capacity back and a busy one reuses a warm buffer. Not thread-safe by design.
class StringPool {
public:
    explicit StringPool(size_t max_free = 1024) : max_free_(max_free) {}

    std::string acquire() {
        if (free_.empty()) {
            std::string fresh;
            fresh.reserve(4096);
            return fresh;
        }
        std::string out = std::move(free_.back());
        free_.pop_back();
        return out;
    }

    // Whether `text` holds a heap buffer (rather than only its small in-object storage).
    static bool has_buffer(const std::string& text) {
        return text.capacity() > std::string().capacity();
    }

    // Gives `text` a pooled buffer unless it already has one.
    void ensure(std::string& text) {
        if (!has_buffer(text)) {
            text = acquire();
        }
    }

    void release(std::string& text) {
        if (!has_buffer(text)) {
            return;
        }
        text.clear();
        if (free_.size() < max_free_ && text.capacity() <= kMaxKeptCapacity) {
            free_.push_back(std::move(text));
        }
        text = std::string();
    }

    // Frees all but `keep` free strings; returns how many were freed.
    size_t trim(size_t keep) {
        size_t freed = free_.size() > keep ? free_.size() - keep : 0;
        free_.resize(free_.size() - freed);
        return freed;
    }

private:
    static constexpr size_t kMaxKeptCapacity = 1024 * 1024;
    size_t max_free_;
    std::vector<std::string> free_;
};

}  // namespace gantry::runtime
