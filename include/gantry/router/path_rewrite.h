#pragma once

// `rewrite_regex`: the path sent upstream with every match of the pattern replaced (RE2's
// GlobalReplace, so \1 names a capture group), the query kept. A pure function.

#include <string>
#include <string_view>

#include <gantry/config.h>

namespace gantry::router {

// The new request-target: the rewritten `path`, then "?query" when the query is not empty. A
// result that does not start with '/' gets one, so the upstream always sees an origin-form target.
std::string rewrite_path_regex(const config::RegexRewrite& rewrite, std::string_view path,
                               std::string_view query);

}  // namespace gantry::router
