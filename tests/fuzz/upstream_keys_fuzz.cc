// Fuzzes what the upstream-health code reads from the network: a Cookie header value searched
// for a cookie (hash_on: cookie:NAME) and a health-checked upstream's status line. The first
// input line is the cookie name, the second the Cookie header value, the rest the status line.
// Besides not crashing, it checks that a found cookie value is a view into the header, and that
// a parsed status is a three-digit code.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <gantry/upstream/health_check_state.h>
#include <gantry/upstream/request_hash.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    const size_t first = input.find('\n');
    const std::string_view name = input.substr(0, first);
    std::string_view rest = first == std::string_view::npos ? "" : input.substr(first + 1);
    const size_t second = rest.find('\n');
    const std::string_view header = rest.substr(0, second);
    const std::string_view status_line =
        second == std::string_view::npos ? "" : rest.substr(second + 1);

    if (auto value = gantry::upstream::find_cookie(header, name)) {
        const bool inside = value->data() >= header.data() &&
                            value->data() + value->size() <= header.data() + header.size();
        if (!value->empty() && !inside) {
            std::abort();
        }
    }
    const int status = gantry::upstream::parse_status_line(status_line);
    if (status != -1 && (status < 0 || status > 999)) {
        std::abort();
    }
    return 0;
}
