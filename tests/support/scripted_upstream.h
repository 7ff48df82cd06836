#pragma once

// ScriptedUpstream: a raw-byte peer on 127.0.0.1:<ephemeral> that plays a script on every
// accepted connection (expect bytes, send bytes, sleep, close, reset, stall, echo), so that tests
// can make an upstream misbehave byte by byte. It counts connections and keeps what each one
// received. Owned by the test; scripts run on one thread per connection; accessors lock and
// return copies.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "support/test_listener.h"
#include "support/test_util.h"

namespace gantry::test {

struct ScriptStep {
    enum class Kind {
        ExpectBytes,  // read exactly `count` bytes
        ExpectUntil,  // read until `data` has been seen (e.g. "\r\n\r\n")
        Send,         // write `data`
        Sleep,        // wait `duration`
        Close,        // orderly close (FIN); ends the script
        Reset,        // SO_LINGER 0 close (RST); ends the script
        Stall,        // read and drop everything until the peer closes or the test stops
        Echo,         // write back everything read until the peer closes
    };

    Kind kind = Kind::Close;
    size_t count = 0;
    std::string data;
    std::chrono::milliseconds duration{0};
};

using Script = std::vector<ScriptStep>;

namespace step {

inline ScriptStep expect_bytes(size_t n) {
    return {ScriptStep::Kind::ExpectBytes, n, {}, {}};
}

inline ScriptStep expect_until(std::string delim) {
    return {ScriptStep::Kind::ExpectUntil, 0, std::move(delim), {}};
}

// Reads one request head.
inline ScriptStep expect_head() {
    return expect_until("\r\n\r\n");
}

inline ScriptStep send(std::string bytes) {
    return {ScriptStep::Kind::Send, 0, std::move(bytes), {}};
}

inline ScriptStep sleep(std::chrono::milliseconds d) {
    return {ScriptStep::Kind::Sleep, 0, {}, d};
}

inline ScriptStep close() {
    return {ScriptStep::Kind::Close, 0, {}, {}};
}

inline ScriptStep reset() {
    return {ScriptStep::Kind::Reset, 0, {}, {}};
}

inline ScriptStep stall() {
    return {ScriptStep::Kind::Stall, 0, {}, {}};
}

inline ScriptStep echo() {
    return {ScriptStep::Kind::Echo, 0, {}, {}};
}

}  // namespace step

class ScriptedUpstream {
public:
    // Gives the script for the connection with this 0-based accept index.
    using ScriptFor = std::function<Script(size_t index)>;

    explicit ScriptedUpstream(Script script);
    explicit ScriptedUpstream(ScriptFor script_for);
    ~ScriptedUpstream();
    ScriptedUpstream(const ScriptedUpstream&) = delete;
    ScriptedUpstream& operator=(const ScriptedUpstream&) = delete;

    uint16_t port() const { return listener_.port(); }

    std::string address() const { return "127.0.0.1:" + std::to_string(port()); }

    size_t connection_count() const { return listener_.connection_count(); }

    // Scripts that ran every step (a failed expect stops a script early).
    size_t completed_scripts() const { return completed_.load(); }

    // Everything connection `index` has received so far ("" when there is no such connection).
    std::string received(size_t index) const;

    bool wait_for_connections(size_t n, std::chrono::milliseconds timeout) const;

    void stop();

private:
    void start();
    void run(BufferedSocket& socket, size_t index);
    bool run_step(BufferedSocket& socket, size_t index, const ScriptStep& s);
    void record(size_t index, std::string_view bytes);
    bool pump(BufferedSocket& socket, size_t index, bool echo);

    ScriptFor script_for_;
    std::atomic<size_t> completed_{0};
    mutable std::mutex mutex_;  // guards received_
    std::vector<std::string> received_;
    TestListener listener_{"ScriptedUpstream", 128};  // last: its threads use the members above
};

}  // namespace gantry::test
