// Fuzzes the HTTP/1 request parser. Invariants checked beyond "no crash":
//  - next() consumes a prefix of its input and never more than it was given;
//  - a Body piece lies inside the bytes given to that call;
//  - nothing follows an Error (it is sticky) and no Body comes outside a message;
//  - after MessageComplete nothing is consumed until reset();
//  - feeding the input whole or split in two gives the same events and bodies.
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <string>
#include <string_view>

#include <gantry/http/http1_parser.h>

namespace {

using gantry::http::Http1Event;
using gantry::http::Http1EventKind;
using gantry::http::Http1Parser;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

std::string run(std::string_view input, size_t cut, const gantry::http::Http1Limits& limits) {
    std::pmr::monotonic_buffer_resource arena;
    Http1Parser parser(Http1Parser::Kind::Request, limits);
    parser.reset(&arena);
    std::string trace;
    std::string buffer(input.substr(0, cut));
    size_t fed = cut;
    bool in_message = false;
    bool failed = false;
    for (int guard = 0; guard < 100000; ++guard) {
        std::string_view view(buffer);
        Http1Event ev = parser.next(view);
        check(view.data() >= buffer.data() &&
              view.data() + view.size() == buffer.data() + buffer.size());
        size_t consumed = buffer.size() - view.size();
        check(!failed || ev.kind == Http1EventKind::Error);
        switch (ev.kind) {
            case Http1EventKind::NeedMore:
                if (fed == input.size()) {
                    return trace;
                }
                buffer.erase(0, consumed);
                buffer.append(input.substr(fed));
                fed = input.size();
                continue;
            case Http1EventKind::HeadComplete:
                check(!in_message);
                in_message = true;
                trace += "H" + std::string(parser.request().method) + " " +
                         std::string(parser.request().target) + "|";
                break;
            case Http1EventKind::Body:
                check(in_message && !ev.data.empty());
                check(ev.data.data() >= buffer.data() &&
                      ev.data.data() + ev.data.size() <= buffer.data() + consumed);
                trace += std::string(ev.data);
                break;
            case Http1EventKind::TrailersComplete:
                trace += "T|";
                break;
            case Http1EventKind::MessageComplete: {
                check(in_message);
                in_message = false;
                trace += "C|";
                std::string_view rest(view);
                check(parser.next(rest).kind == Http1EventKind::NeedMore &&
                      rest.size() == view.size());
                parser.reset(&arena);
                break;
            }
            case Http1EventKind::Error:
                if (failed) {
                    return trace;
                }
                failed = true;
                trace += "E" + std::to_string(ev.status) + ev.reason;
                break;
        }
        buffer.erase(0, consumed);
    }
    check(false);  // the parser must always make progress
    return trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 2) {
        return 0;
    }
    gantry::http::Http1Limits limits;
    limits.max_header_bytes = 64 + data[0] * 8;
    limits.max_headers = 1 + data[0] % 16;
    limits.max_body = data[0] % 3 == 0 ? 0 : data[0];
    std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
    std::string whole = run(input, input.size(), limits);
    size_t cut = input.empty() ? 0 : data[1] % (input.size() + 1);
    check(run(input, cut, limits) == whole);
    return 0;
}
