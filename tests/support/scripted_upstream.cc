#include "support/scripted_upstream.h"

#include <sys/socket.h>

namespace gantry::test {

namespace {

constexpr auto kStepTimeout = std::chrono::seconds(30);

}  // namespace

ScriptedUpstream::ScriptedUpstream(Script script)
    : script_for_([script = std::move(script)](size_t) { return script; }) {
    start();
}

ScriptedUpstream::ScriptedUpstream(ScriptFor script_for) : script_for_(std::move(script_for)) {
    start();
}

ScriptedUpstream::~ScriptedUpstream() {
    stop();
}

void ScriptedUpstream::start() {
    listener_.start([this](BufferedSocket& socket, size_t index) { run(socket, index); });
}

std::string ScriptedUpstream::received(size_t index) const {
    std::lock_guard lock(mutex_);
    return index < received_.size() ? received_[index] : std::string();
}

bool ScriptedUpstream::wait_for_connections(size_t n, std::chrono::milliseconds timeout) const {
    return wait_until([&] { return connection_count() >= n; }, timeout);
}

void ScriptedUpstream::stop() {
    listener_.stop();
}

void ScriptedUpstream::run(BufferedSocket& socket, size_t index) {
    Script script = script_for_(index);
    bool completed = true;
    for (const ScriptStep& s : script) {
        if (listener_.stopping() || !run_step(socket, index, s)) {
            completed = s.kind == ScriptStep::Kind::Close || s.kind == ScriptStep::Kind::Reset;
            break;
        }
    }
    if (completed) {
        completed_.fetch_add(1);
    }
    record(index, socket.buffer());
}

void ScriptedUpstream::record(size_t index, std::string_view bytes) {
    std::lock_guard lock(mutex_);
    if (received_.size() <= index) {
        received_.resize(index + 1);
    }
    received_[index].append(bytes);
}

// Returns false when the script must end here (a terminal step, or a failed expect).
bool ScriptedUpstream::run_step(BufferedSocket& socket, size_t index, const ScriptStep& s) {
    Deadline deadline = deadline_in(kStepTimeout);
    switch (s.kind) {
        case ScriptStep::Kind::ExpectBytes:
        case ScriptStep::Kind::ExpectUntil: {
            auto got = s.kind == ScriptStep::Kind::ExpectBytes
                           ? socket.read_exact(s.count, deadline)
                           : socket.read_until(s.data, deadline);
            if (got) {
                record(index, *got);
            }
            return got.has_value();
        }
        case ScriptStep::Kind::Send:
            return socket.send_all(s.data, deadline);
        case ScriptStep::Kind::Sleep:
            return listener_.sleep_for(s.duration);
        case ScriptStep::Kind::Close: {
            // FIN first, then drain what the peer still sends so that close() does not turn
            // into a reset because of unread bytes.
            socket.shutdown_write();
            std::string rest;
            socket.wait_closed(deadline_in(std::chrono::seconds(2)), &rest);
            record(index, rest);
            return false;
        }
        case ScriptStep::Kind::Reset: {
            linger l{1, 0};
            ::setsockopt(socket.fd(), SOL_SOCKET, SO_LINGER, &l, sizeof(l));
            return false;
        }
        case ScriptStep::Kind::Stall:
            return pump(socket, index, false);
        case ScriptStep::Kind::Echo:
            return pump(socket, index, true);
    }
    return false;
}

bool ScriptedUpstream::pump(BufferedSocket& socket, size_t index, bool echo) {
    for (;;) {
        std::string pending;
        pending.swap(socket.buffer());
        if (!pending.empty()) {
            record(index, pending);
            if (echo && !socket.send_all(pending, deadline_in(kStepTimeout))) {
                return false;
            }
        }
        if (listener_.stopping()) {
            return false;
        }
        BufferedSocket::Read r = socket.fill(deadline_in(std::chrono::milliseconds(100)));
        if (r == BufferedSocket::Read::Eof || r == BufferedSocket::Read::Reset) {
            return true;
        }
    }
}

}  // namespace gantry::test
