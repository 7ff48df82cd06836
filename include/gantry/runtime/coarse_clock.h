#pragma once

// Clock reads for the places where a few milliseconds do not matter: idle marks, flood windows,
// deadlines of seconds, access-log timestamps. They read the kernel's last tick
// (CLOCK_*_COARSE, 1-4 ms old) from the vDSO without touching the TSC: on a VM a precise read
// costs more cycles than parsing a response head, and a request used to make nine of them.
// Durations that are measured and reported (request and upstream times) keep the precise clocks.
//
// CLOCK_MONOTONIC_COARSE and steady_clock (CLOCK_MONOTONIC) count from the same origin, so their
// time points may be compared and mixed; a coarse one is never later than a precise one read
// after it.

#include <chrono>
#include <ctime>

namespace gantry::runtime {

namespace detail {

template <typename Clock>
typename Clock::time_point read_clock(clockid_t id) noexcept {
    timespec ts{};
    ::clock_gettime(id, &ts);
    return typename Clock::time_point(std::chrono::duration_cast<typename Clock::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

}  // namespace detail

inline std::chrono::steady_clock::time_point coarse_steady_now() noexcept {
    return detail::read_clock<std::chrono::steady_clock>(CLOCK_MONOTONIC_COARSE);
}

inline std::chrono::system_clock::time_point coarse_system_now() noexcept {
    return detail::read_clock<std::chrono::system_clock>(CLOCK_REALTIME_COARSE);
}

}  // namespace gantry::runtime
