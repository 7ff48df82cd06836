#pragma once

// The pieces load_config reads YAML with: LoadContext collects diagnostics with positions,
// Fields checks one mapping against the keys its section allows, and the read_* functions turn
// one scalar into a typed value or report why they cannot. All of it runs on the main thread
// during one load_config call; nothing here outlives that call.

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <yaml-cpp/yaml.h>

#include <gantry/config.h>

namespace gantry::config {

// Where a value was written (1-based), kept next to loaded values for the cross-reference checks.
struct Mark {
    std::string file;
    int line = 0;
    int column = 0;
};

std::string to_string(const Mark& mark);  // "FILE:LINE:COL"

// Thrown by LoadContext::error when a load has produced too many errors to be worth reading;
// load_config catches it and returns what it has.
struct TooManyErrors {};

// The diagnostics of one load and the file being read. Owned by load_config's stack frame.
class LoadContext {
public:
    static constexpr size_t kMaxDiagnostics = 100;

    explicit LoadContext(std::string file) : file_(std::move(file)) {}

    const std::string& file() const { return file_; }

    // Makes new marks name `file` (an included file); returns the file they named before.
    std::string switch_file(std::string file);

    Mark mark(const YAML::Node& node) const;

    // Messages reported while a key is being read start with "key: ", so that a value's error
    // names what the value is for.
    class KeyScope {
    public:
        KeyScope(LoadContext& ctx, std::string_view key) : ctx_(ctx), saved_(ctx.key_) {
            ctx.key_ = key;
        }

        ~KeyScope() { ctx_.key_ = saved_; }

        KeyScope(const KeyScope&) = delete;
        KeyScope& operator=(const KeyScope&) = delete;

    private:
        LoadContext& ctx_;
        std::string_view saved_;
    };

    void error(const Mark& at, std::string message);

    void error(const YAML::Node& at, std::string message) { error(mark(at), std::move(message)); }

    bool has_errors() const { return !diagnostics_.empty(); }

    std::vector<Diagnostic>& diagnostics() { return diagnostics_; }

private:
    std::string file_;
    std::string_view key_;
    std::vector<Diagnostic> diagnostics_;
};

// One YAML mapping of a known section. The constructor reports a value that is not a mapping,
// duplicate and non-scalar keys, keys of features that are not built yet ("`tls` is not
// supported yet") and unknown keys ("unknown key `x` in listener", with a suggestion).
class Fields {
public:
    Fields(LoadContext& ctx, const YAML::Node& node, std::string_view section,
           std::initializer_list<std::string_view> known,
           std::initializer_list<std::string_view> not_yet = {});

    bool is_mapping() const { return is_mapping_; }

    const YAML::Node& node() const { return node_; }

    LoadContext& context() const { return ctx_; }

    // The value of a known key, or nullptr when it is absent.
    const YAML::Node* get(std::string_view key) const;

    // The value of a known key; reports "missing `key` in <section>" at the mapping when it was
    // not written.
    const YAML::Node* require(std::string_view key) const;

    // Calls `use` with the value of a known key when it is present; errors start with "key: ".
    // For values, not for sub-sections: their own keys would carry the prefix too.
    void with(std::string_view key, const std::function<void(const YAML::Node&)>& use) const;

    // Calls `each` with every item of the list under a known key (nothing when it is absent);
    // returns whether it was a list. Errors about the items start with "key: ", so use it for
    // lists of scalars, not for lists of sections. An empty list is reported with `if_empty`
    // unless that is empty.
    bool for_each(std::string_view key, const std::function<void(const YAML::Node&)>& each,
                  std::string_view if_empty = {}) const;

    // Calls `each` with every item of a list of sections (listeners, routes, endpoints...). Only
    // the list's own type error starts with "key: "; the sections report their own keys.
    bool for_each_section(std::string_view key,
                          const std::function<void(const YAML::Node&)>& each) const;

    // Whether the key was written at all, supported or not.
    bool was_written(std::string_view key) const;

    // Reads a known key with `read_value(ctx, node)`; nullopt when absent or invalid (reported).
    template <typename Read>
    std::invoke_result_t<Read, LoadContext&, const YAML::Node&> read(std::string_view key,
                                                                     Read&& read_value) const {
        const YAML::Node* value = get(key);
        if (value == nullptr) {
            return std::nullopt;
        }
        LoadContext::KeyScope scope(ctx_, key);
        return read_value(ctx_, *value);
    }

private:
    struct Entry {
        std::string key;
        YAML::Node value;
        bool is_usable = false;  // a known key with a value
    };

    void add_entry(const YAML::Node& key, const YAML::Node& value, std::string_view section,
                   std::initializer_list<std::string_view> known,
                   std::initializer_list<std::string_view> not_yet);

    LoadContext& ctx_;
    YAML::Node node_;
    std::string section_;
    std::vector<Entry> entries_;
    bool is_mapping_ = false;
};

// document.cc: the one YAML document of a file's text; a syntax error or a second document is
// reported and gives nullopt. An empty file gives a null node.
std::optional<YAML::Node> parse_document(LoadContext& ctx, const std::string& text);

// Any scalar as text (may be empty); null, lists and mappings are errors.
std::optional<std::string> read_string(LoadContext& ctx, const YAML::Node& node);

// A non-empty scalar.
std::optional<std::string> read_name(LoadContext& ctx, const YAML::Node& node);

// The name of a listener, virtual host or cluster: letters, digits, '_', '-' and '.', so it can
// stand in logs and metric labels as it is.
std::optional<std::string> read_identifier(LoadContext& ctx, const YAML::Node& node);

std::optional<bool> read_bool(LoadContext& ctx, const YAML::Node& node);

// A whole number in [min, max].
std::optional<uint64_t> read_uint(LoadContext& ctx, const YAML::Node& node, uint64_t min,
                                  uint64_t max);

inline auto uint_in(uint64_t min, uint64_t max) {
    return [min, max](LoadContext& ctx, const YAML::Node& node) {
        return read_uint(ctx, node, min, max);
    };
}

// "250ms", "10s", "5m", "1h", "0".
std::optional<Duration> read_duration(LoadContext& ctx, const YAML::Node& node);

// A duration that must not be 0.
std::optional<Duration> read_positive_duration(LoadContext& ctx, const YAML::Node& node);

// "512", "8KiB", "1MiB", "1GiB".
std::optional<uint64_t> read_size(LoadContext& ctx, const YAML::Node& node);

// "host:port" or "[v6]:port", port 1..65535.
std::optional<HostPort> read_host_port(LoadContext& ctx, const YAML::Node& node);

// Calls `each` with every item of a list; reports and returns false when `node` is not a list.
bool for_each_item(LoadContext& ctx, const YAML::Node& node,
                   const std::function<void(const YAML::Node&)>& each);

// Calls `each(key, value)` for every entry of a mapping whose keys the user names (header names,
// query parameters); reports and returns false when `node` is not a mapping. Non-scalar keys are
// reported and skipped.
bool for_each_entry(
    LoadContext& ctx, const YAML::Node& node,
    const std::function<void(const YAML::Node& key, const YAML::Node& value)>& each);

// Compiles an RE2 pattern; reports "invalid regex `...`: <RE2's reason>" and returns null when
// it does not compile.
std::shared_ptr<const re2::RE2> compile_regex(LoadContext& ctx, const YAML::Node& at,
                                              const std::string& pattern);

// Reports a word that is not one of `expected`: "<word> is not supported yet" when it is one of
// `not_yet`, otherwise "unknown value `<word>`: expected one of ...".
void report_bad_choice(LoadContext& ctx, const YAML::Node& node, const std::string& word,
                       const std::vector<std::string_view>& expected,
                       std::initializer_list<std::string_view> not_yet);

template <typename E>
struct Choice {
    std::string_view word;
    E value;
};

// One of a fixed set of words, e.g. `lb: round_robin`.
template <typename E>
std::optional<E> read_choice(LoadContext& ctx, const YAML::Node& node,
                             std::initializer_list<Choice<E>> choices,
                             std::initializer_list<std::string_view> not_yet = {}) {
    auto word = read_string(ctx, node);
    if (!word) {
        return std::nullopt;
    }
    std::vector<std::string_view> expected;
    for (const auto& choice : choices) {
        if (choice.word == *word) {
            return choice.value;
        }
        expected.push_back(choice.word);
    }
    report_bad_choice(ctx, node, *word, expected, not_yet);
    return std::nullopt;
}

}  // namespace gantry::config
