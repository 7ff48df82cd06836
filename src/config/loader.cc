// load_config: reads the main file and its includes, walks each YAML document into a Draft,
// runs the cross-reference checks and turns every exception into a diagnostic.

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <glob.h>
#include <limits.h>
#include <set>
#include <stdlib.h>
#include <sys/stat.h>
#include <tuple>

#include "draft.h"

namespace gantry::config {

namespace {

constexpr size_t kMaxFileBytes = size_t{16} * 1024 * 1024;
constexpr size_t kMaxIncludedFiles = 1000;
constexpr size_t kMaxIncludeDepth = 16;
constexpr std::array<std::string_view, 5> kMainOnlyKeys = {"node", "workers", "admin", "log",
                                                           "limits"};

// One load_config call: the diagnostics, the draft being filled and the files read so far.
struct Loader {
    explicit Loader(const std::string& main_file) : ctx(main_file) {}

    LoadContext ctx;
    Draft draft;
    std::vector<std::string> files;          // in reading order, for sorting diagnostics
    std::vector<std::string> include_stack;  // canonical paths of the files being read
    std::set<std::string> included;          // canonical paths of every file read
    ConfigSources sources;

    // FNV-1a over every file's name and bytes: equal digests mean nothing was edited.
    void record(const std::string& path, const std::string& text) {
        sources.files.push_back(path);
        for (const std::string* part : {&path, &text}) {
            for (unsigned char c : *part) {
                sources.digest = (sources.digest ^ c) * 0x100000001b3ULL;
            }
            sources.digest = (sources.digest ^ 0xff) * 0x100000001b3ULL;
        }
    }
};

// Reads a regular file of at most kMaxFileBytes. The limit is enforced while reading rather
// than trusted to st_size, which /proc files report as 0.
std::optional<std::string> read_file(const std::string& path, std::string* error) {
    struct stat info = {};
    if (::stat(path.c_str(), &info) != 0) {
        *error = std::strerror(errno);
        return std::nullopt;
    }
    if (!S_ISREG(info.st_mode)) {
        *error = "not a regular file";
        return std::nullopt;
    }
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr) {
        *error = std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    char chunk[64 * 1024];
    size_t got = 0;
    while (text.size() <= kMaxFileBytes && (got = std::fread(chunk, 1, sizeof chunk, file)) > 0) {
        text.append(chunk, got);
    }
    bool failed = std::ferror(file) != 0;
    std::fclose(file);
    if (failed || text.size() > kMaxFileBytes) {
        *error = failed ? "read error" : "larger than 16 MiB";
        return std::nullopt;
    }
    return text;
}

std::string directory_of(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string canonical(const std::string& path) {
    char resolved[PATH_MAX];
    return ::realpath(path.c_str(), resolved) != nullptr ? std::string(resolved) : path;
}

void load_file(Loader& loader, const std::string& path, const YAML::Node& included_at);

// Escapes glob metacharacters in a directory name so that only the user's pattern expands.
std::string escape_glob(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '*' || c == '?' || c == '[' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

std::vector<std::string> expand_pattern(const std::string& pattern) {
    glob_t matches{};
    std::vector<std::string> paths;
    if (::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &matches) == 0) {
        for (size_t i = 0; i < matches.gl_pathc; ++i) {
            paths.emplace_back(matches.gl_pathv[i]);
        }
    }
    ::globfree(&matches);
    std::sort(paths.begin(), paths.end());  // byte order, whatever the locale
    return paths;
}

void load_includes(Loader& loader, const YAML::Node& list) {
    LoadContext& ctx = loader.ctx;
    std::string directory = directory_of(ctx.file());
    for_each_item(ctx, list, [&](const YAML::Node& item) {
        auto pattern = read_name(ctx, item);
        if (!pattern) {
            return;
        }
        std::string full =
            pattern->front() == '/' ? *pattern : escape_glob(directory) + "/" + *pattern;
        std::vector<std::string> paths = expand_pattern(full);
        bool is_pattern = pattern->find_first_of("*?[") != std::string::npos;
        if (is_pattern) {
            // A new file matching the pattern changes the config: watch its directory (when
            // the directory part itself has no wildcard).
            std::string pattern_directory = directory;
            if (pattern->front() == '/') {
                pattern_directory = directory_of(*pattern);
            } else if (pattern->find('/') != std::string::npos) {
                pattern_directory += "/" + directory_of(*pattern);
            }
            if (pattern_directory.find_first_of("*?[") == std::string::npos) {
                loader.sources.include_directories.push_back(pattern_directory);
            }
        }
        if (paths.empty() && !is_pattern) {
            ctx.error(item, "cannot read included file `" + *pattern + "`: no such file");
        }
        for (const std::string& path : paths) {
            load_file(loader, path, item);
        }
    });
}

void load_lists(Loader& loader, const Fields& top) {
    LoadContext& ctx = loader.ctx;
    Draft& draft = loader.draft;
    top.for_each_section("listeners",
                         [&](const YAML::Node& item) { parse_listener(ctx, item, draft); });
    top.for_each_section("virtual_hosts",
                         [&](const YAML::Node& item) { parse_virtual_host(ctx, item, draft); });
    top.for_each_section("clusters",
                         [&](const YAML::Node& item) { parse_cluster(ctx, item, draft); });
}

// Walks one file's document. The main file's settings are read before any list, so every
// listener (in this file or an included one) starts from the final top-level limits.
void load_document(Loader& loader, const YAML::Node& root, bool is_main) {
    if (root.IsNull()) {
        return;  // an empty file: the main file's emptiness is reported by load()
    }
    Fields top(loader.ctx, root, is_main ? "the top level" : "an included file",
               {"include", "node", "workers", "admin", "log", "limits", "listeners",
                "virtual_hosts", "clusters"});
    if (!top.is_mapping()) {
        return;
    }
    if (is_main) {
        parse_settings(top, loader.draft.snapshot);
    } else {
        for (std::string_view key : kMainOnlyKeys) {
            if (const YAML::Node* value = top.get(key)) {
                loader.ctx.error(
                    *value, "`" + std::string(key) + "` can only be set in the main config file");
            }
        }
    }
    load_lists(loader, top);
    if (const YAML::Node* include = top.get("include")) {
        load_includes(loader, *include);
    }
}

bool can_include(Loader& loader, const std::string& real_path, const YAML::Node& at) {
    auto& stack = loader.include_stack;
    if (std::find(stack.begin(), stack.end(), real_path) != stack.end()) {
        loader.ctx.error(at, "include cycle: `" + real_path + "` is already being read");
        return false;
    }
    if (stack.size() >= kMaxIncludeDepth || loader.included.size() >= kMaxIncludedFiles) {
        loader.ctx.error(at, "too many included files, or includes nested too deeply");
        return false;
    }
    // A file matched by two patterns is read once, so its names are not duplicates of itself.
    return loader.included.insert(real_path).second;
}

void load_file(Loader& loader, const std::string& path, const YAML::Node& included_at) {
    LoadContext& ctx = loader.ctx;
    std::string real_path = canonical(path);
    if (!can_include(loader, real_path, included_at)) {
        return;
    }
    std::string error;
    auto text = read_file(path, &error);
    if (!text) {
        ctx.error(included_at, "cannot read included file `" + path + "`: " + error);
        return;
    }
    loader.record(path, *text);
    std::string parent = ctx.switch_file(path);
    LoadContext::KeyScope no_key(ctx, {});  // the include's errors are about that file's keys
    loader.files.push_back(path);
    loader.include_stack.push_back(real_path);
    if (auto root = parse_document(ctx, *text)) {
        load_document(loader, *root, false);
    }
    loader.include_stack.pop_back();
    ctx.switch_file(std::move(parent));
}

void sort_diagnostics(const std::vector<std::string>& files, std::vector<Diagnostic>& out) {
    auto file_rank = [&](const std::string& file) {
        return std::find(files.begin(), files.end(), file) - files.begin();
    };
    std::stable_sort(out.begin(), out.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        auto ra = file_rank(a.file);
        auto rb = file_rank(b.file);
        return std::tie(ra, a.line, a.column) < std::tie(rb, b.line, b.column);
    });
}

void load_main(Loader& loader, const std::string& text, const std::string& real_path) {
    LoadContext& ctx = loader.ctx;
    loader.files.push_back(ctx.file());
    loader.include_stack.push_back(real_path);
    loader.included.insert(real_path);
    auto root = parse_document(ctx, text);
    if (!root) {
        return;
    }
    load_document(loader, *root, true);
    loader.include_stack.pop_back();
    if (!ctx.has_errors() && loader.draft.snapshot.listeners.empty()) {
        ctx.error(Mark{ctx.file(), 0, 0},
                  "no listeners are defined, so gantry would serve nothing");
    }
    validate(ctx, loader.draft);
}

LoadResult finish(Loader& loader, const std::string& name, bool stopped) {
    LoadResult result;
    result.sources = std::move(loader.sources);
    result.diagnostics = std::move(loader.ctx.diagnostics());
    sort_diagnostics(loader.files, result.diagnostics);
    if (stopped) {
        result.diagnostics.push_back(Diagnostic{name, 0, 0, "too many errors; stopping"});
    }
    if (result.diagnostics.empty()) {
        loader.draft.snapshot.source_path = name;
        result.config = std::make_shared<const ConfigSnapshot>(std::move(loader.draft.snapshot));
    }
    return result;
}

// Loads from `text`, or from the file `name` when `text` is null. The only place exceptions
// stop: nothing escapes to the caller.
LoadResult load(const std::string& name, const std::string* text) {
    try {
        Loader loader(name);
        bool stopped = false;
        try {
            std::string error;
            auto content = text != nullptr ? std::optional(*text) : read_file(name, &error);
            if (content) {
                loader.record(name, *content);
                load_main(loader, *content, text != nullptr ? name : canonical(name));
            } else {
                loader.ctx.error(Mark{name, 0, 0}, "cannot read config file: " + error);
            }
        } catch (const TooManyErrors&) {
            stopped = true;
        }
        return finish(loader, name, stopped);
    } catch (const std::exception& e) {
        return LoadResult{
            nullptr, {Diagnostic{name, 0, 0, std::string("internal error: ") + e.what()}}, {}};
    } catch (...) {
        return LoadResult{nullptr, {Diagnostic{name, 0, 0, "internal error"}}, {}};
    }
}

}  // namespace

LoadResult load_config(const std::string& path) {
    return load(path, nullptr);
}

LoadResult load_config_from_string(const std::string& text, const std::string& name) {
    return load(name, &text);
}

}  // namespace gantry::config
