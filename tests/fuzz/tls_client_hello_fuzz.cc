// Fuzzes the ClientHello reader of tls_passthrough listeners. Besides not crashing, it checks
// what the passthrough connection relies on: the answer for a prefix is never Done or Invalid
// when the whole input is NeedMore (more bytes can only complete a hello), a server name found
// is at most 255 bytes, and the whole input answers Invalid beyond kClientHelloMaxBytes unless
// a hello ended before.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <gantry/tls/client_hello.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace gantry::tls;
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    ClientHello whole = parse_client_hello(bytes);
    if (whole.server_name.size() > 255) {
        std::abort();
    }
    if (whole.status != ClientHelloStatus::Done && !whole.server_name.empty()) {
        std::abort();
    }
    if (whole.status == ClientHelloStatus::NeedMore && size > kClientHelloMaxBytes + 5) {
        std::abort();
    }
    // Any prefix of a NeedMore input is NeedMore too.
    if (whole.status == ClientHelloStatus::NeedMore && size > 0) {
        ClientHello prefix = parse_client_hello(bytes.substr(0, size / 2));
        if (prefix.status != ClientHelloStatus::NeedMore) {
            std::abort();
        }
    }
    return 0;
}
