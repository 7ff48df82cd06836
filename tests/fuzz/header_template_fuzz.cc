// Fuzzes header value templates ($variables). Besides not crashing, it checks the properties the
// header mutation filter relies on: a template the checker accepts expands without leaving a
// reference behind, and a text without '$' expands to itself.
#include <cstdint>
#include <cstdlib>
#include <memory_resource>
#include <string_view>

#include <gantry/router/header_template.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace gantry::router;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    HeaderVariables values;
    values.remote_addr = "10.0.0.1";
    values.request_id = "id";
    values.host = "h";
    values.scheme = "http";
    values.method = "GET";
    values.uri = "/";
    std::pmr::string out;
    expand_header_template(text, values, out);
    if (!has_variables(text) && out != text) {
        std::abort();
    }
    if (check_header_template(text).empty() && has_variables(text)) {
        // Values hold no '$', so every '$' left must come from a "$$" of the template.
        size_t dollars_out = 0;
        for (char c : out) {
            dollars_out += c == '$' ? 1 : 0;
        }
        size_t dollar_pairs = 0;
        for (size_t i = 0; i + 1 < text.size(); ++i) {
            if (text[i] == '$' && text[i + 1] == '$') {
                ++dollar_pairs;
                ++i;
            } else if (text[i] == '$' && text[i + 1] == '{') {
                i = text.find('}', i);
                if (i == std::string_view::npos) {
                    std::abort();  // the checker accepted an unclosed brace
                }
            }
        }
        if (dollars_out != dollar_pairs) {
            std::abort();
        }
    }
    return 0;
}
