// Fuzzes the HTTP/1 response parser, including finish() at end of input. Invariants checked
// beyond "no crash":
//  - next() consumes a prefix of its input and never more than it was given;
//  - a Body piece lies inside the bytes given to that call;
//  - nothing follows an Error (it is sticky) and errors are always 502;
//  - feeding the input whole or split in two gives the same events, heads and bodies. A split
//    after the first byte takes every head the general way (llhttp), while the whole input lets a
//    plain head take the plain path: the two must agree on every field and framing fact.
#include <algorithm>
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

void record_finish(Http1Parser& parser, std::string& trace) {
    Http1Event fin = parser.finish();
    check(fin.kind != Http1EventKind::Body && fin.kind != Http1EventKind::HeadComplete);
    if (fin.kind == Http1EventKind::Error) {
        check(fin.status == 502);
    }
    trace += "F" + std::to_string(static_cast<int>(fin.kind));
}

void describe_head(const gantry::http::ResponseHead& head, std::string& trace) {
    trace += "H" + std::to_string(head.status) + " " + std::to_string(head.version_major) + "." +
             std::to_string(head.version_minor) + " [" + std::string(head.reason) +
             "] cl=" + (head.content_length ? std::to_string(*head.content_length) : "-") +
             " chunked=" + std::to_string(head.is_chunked) +
             " close=" + std::to_string(head.is_close_delimited) +
             " ka=" + std::to_string(head.keep_alive) + "\n";
    for (const auto& f : head.headers.fields()) {
        trace += std::string(f.name) + "=" + std::string(f.value) + "#" +
                 std::to_string(static_cast<int>(f.id)) + "\n";
    }
    trace += "|";
}

std::string run(std::string_view input, size_t cut, std::string_view method) {
    std::pmr::monotonic_buffer_resource arena;
    Http1Parser parser(Http1Parser::Kind::Response, {});
    parser.reset(&arena);
    parser.set_request_method(method);
    std::string trace;
    std::string buffer(input.substr(0, cut));
    size_t fed = cut;
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
                    record_finish(parser, trace);
                    return trace;
                }
                buffer.erase(0, consumed);
                buffer.append(input.substr(fed));
                fed = input.size();
                continue;
            case Http1EventKind::HeadComplete:
                describe_head(parser.response(), trace);
                break;
            case Http1EventKind::Body:
                check(!ev.data.empty());
                check(ev.data.data() >= buffer.data() &&
                      ev.data.data() + ev.data.size() <= buffer.data() + consumed);
                trace += std::string(ev.data);
                break;
            case Http1EventKind::TrailersComplete:
                trace += "T|";
                break;
            case Http1EventKind::MessageComplete:
                trace += "C|";
                parser.reset(&arena);
                break;
            case Http1EventKind::Error:
                check(ev.status == 502);
                if (failed) {
                    return trace;
                }
                failed = true;
                trace += std::string("E") + ev.reason;
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
    static constexpr std::string_view kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
    std::string_view method = kMethods[data[0] % 4];
    std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);
    std::string whole = run(input, input.size(), method);
    size_t cut = input.empty() ? 0 : data[1] % (input.size() + 1);
    check(run(input, cut, method) == whole);
    check(run(input, std::min<size_t>(1, input.size()), method) == whole);
    return 0;
}
