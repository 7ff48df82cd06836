#include <re2/re2.h>

#include <gantry/router/path_rewrite.h>

namespace gantry::router {

std::string rewrite_path_regex(const config::RegexRewrite& rewrite, std::string_view path,
                               std::string_view query) {
    std::string target(path);
    re2::RE2::GlobalReplace(&target, *rewrite.pattern, rewrite.substitution);
    if (target.empty() || target.front() != '/') {
        target.insert(target.begin(), '/');
    }
    if (!query.empty()) {
        target.push_back('?');
        target.append(query);
    }
    return target;
}

}  // namespace gantry::router
