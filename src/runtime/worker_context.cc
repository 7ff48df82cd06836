#include <chrono>

#include <gantry/runtime/worker_context.h>

namespace gantry::runtime {

namespace {

constexpr size_t kReadBufferSize = 16 * 1024;
// For long response bodies: 64 KiB reads gave (b), a 1 MiB body, +11% req/s and -20% CPU per
// request over 16 KiB ones. Small answers and requests keep 16 KiB blocks, so memory per
// in-flight request only grows for the bodies that gain from it.
constexpr size_t kLargeReadBufferSize = 64 * 1024;
constexpr size_t kMaxFreeLargeBlocks = 64;
// A typical request head with its fields fits in 4 KiB of arena; bigger ones spill to the heap.
constexpr size_t kArenaBlockSize = 4 * 1024;

bool same_limits(const http::Http1Limits& a, const http::Http1Limits& b) {
    return a.max_header_bytes == b.max_header_bytes && a.max_headers == b.max_headers &&
           a.max_body == b.max_body;
}

}  // namespace

// Every socket and timer of a worker is used only on its thread, so the reactor's per-descriptor
// locking is dropped; the scheduler keeps its lock because the main thread posts to it.
WorkerContext::WorkerContext(size_t index)
    : index_(index)
    , io_context_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO)
    , buffers_(kReadBufferSize, kMaxFreeBlocks)
    , large_buffers_(kLargeReadBufferSize, kMaxFreeLargeBlocks)
    , arena_blocks_(kArenaBlockSize, kMaxFreeBlocks)
    , deadlines_(io_context_.get_executor())
    , idle_deadlines_(io_context_.get_executor())
    , random_(0x9e3779b97f4a7c15ULL * (index + 1) ^
              static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())) {}

WorkerContext::~WorkerContext() = default;

size_t WorkerContext::trim_free_lists(size_t kept) {
    size_t freed = buffers_.trim(kept) + large_buffers_.trim(kept / 4) + arena_blocks_.trim(kept) +
                   strings_.trim(kept);
    if (idle_parsers_.size() > kept) {
        freed += idle_parsers_.size() - kept;
        idle_parsers_.resize(kept);
    }
    return freed;
}

std::unique_ptr<http::Http1Parser> WorkerContext::take_parser(const http::Http1Limits& limits) {
    for (size_t i = idle_parsers_.size(); i-- > 0;) {
        if (same_limits(idle_parsers_[i].limits, limits)) {
            std::unique_ptr<http::Http1Parser> parser = std::move(idle_parsers_[i].parser);
            idle_parsers_[i] = std::move(idle_parsers_.back());
            idle_parsers_.pop_back();
            return parser;
        }
    }
    return std::make_unique<http::Http1Parser>(http::Http1Parser::Kind::Request, limits);
}

void WorkerContext::give_parser(std::unique_ptr<http::Http1Parser> parser,
                                const http::Http1Limits& limits) {
    if (idle_parsers_.size() < kMaxFreeBlocks) {
        idle_parsers_.push_back({limits, std::move(parser)});
    }
}

}  // namespace gantry::runtime
