#include "reader.h"

#include <algorithm>
#include <cctype>

#include <re2/re2.h>

namespace gantry::config {

namespace {

const char* kind_of(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Scalar:
            return "a string";
        default:
            return "an empty value";
    }
}

// Levenshtein distance, for "did you mean" on misspelled keys.
size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            size_t replace = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, replace});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string suggestion(std::string_view word, std::initializer_list<std::string_view> known) {
    constexpr size_t kLongestTypo = 64;  // longer "keys" are not typos, and distance is quadratic
    if (word.size() > kLongestTypo) {
        return {};
    }
    std::string_view best;
    size_t best_distance = 3;  // more edits than this is a different word, not a typo
    for (std::string_view candidate : known) {
        size_t distance = edit_distance(word, candidate);
        if (distance < best_distance && distance < candidate.size()) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best.empty() ? std::string() : " (did you mean `" + std::string(best) + "`?)";
}

bool contains(std::initializer_list<std::string_view> list, std::string_view word) {
    return std::find(list.begin(), list.end(), word) != list.end();
}

bool is_whole_number(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The text of a scalar; `expected` names what the value should have been when it is not one.
std::optional<std::string> scalar_text(LoadContext& ctx, const YAML::Node& node,
                                       const char* expected) {
    if (!node.IsScalar()) {
        ctx.error(node, std::string("expected ") + expected + ", got " + kind_of(node));
        return std::nullopt;
    }
    return node.Scalar();
}

}  // namespace

std::string to_string(const Mark& mark) {
    return mark.file + ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
}

std::string LoadContext::switch_file(std::string file) {
    std::swap(file, file_);
    return file;
}

Mark LoadContext::mark(const YAML::Node& node) const {
    YAML::Mark at = node.Mark();
    if (at.is_null()) {
        return Mark{file_, 0, 0};
    }
    return Mark{file_, at.line + 1, at.column + 1};
}

void LoadContext::error(const Mark& at, std::string message) {
    if (!key_.empty()) {
        message = std::string(key_) + ": " + message;
    }
    diagnostics_.push_back(Diagnostic{at.file, at.line, at.column, std::move(message)});
    if (diagnostics_.size() >= kMaxDiagnostics) {
        throw TooManyErrors{};
    }
}

Fields::Fields(LoadContext& ctx, const YAML::Node& node, std::string_view section,
               std::initializer_list<std::string_view> known,
               std::initializer_list<std::string_view> not_yet)
    : ctx_(ctx)
    , node_(node)
    , section_(section) {
    if (!node.IsMap()) {
        ctx.error(node,
                  "expected a mapping for " + std::string(section) + ", got " + kind_of(node));
        return;
    }
    is_mapping_ = true;
    for (auto it = node.begin(); it != node.end(); ++it) {
        add_entry(it->first, it->second, section, known, not_yet);
    }
}

void Fields::add_entry(const YAML::Node& key, const YAML::Node& value, std::string_view section,
                       std::initializer_list<std::string_view> known,
                       std::initializer_list<std::string_view> not_yet) {
    if (!key.IsScalar()) {
        ctx_.error(key, "expected a key name in " + std::string(section) + ", got " + kind_of(key));
        return;
    }
    const std::string& name = key.Scalar();
    if (was_written(name)) {
        ctx_.error(key, "duplicate key `" + name + "` in " + std::string(section));
        return;
    }
    bool is_known = contains(known, name);
    if (!is_known && contains(not_yet, name)) {
        ctx_.error(key, "`" + name + "` is not supported yet");
    } else if (!is_known) {
        ctx_.error(
            key, "unknown key `" + name + "` in " + std::string(section) + suggestion(name, known));
    } else if (value.IsNull()) {
        // yaml-cpp marks an empty value where the next token starts, often the next line, so
        // the key is the place to point at. No key of the config takes an empty value.
        ctx_.error(key, "`" + name + "` has no value");
        is_known = false;
    }
    entries_.push_back(Entry{name, value, is_known});
}

const YAML::Node* Fields::get(std::string_view key) const {
    for (const auto& entry : entries_) {
        if (entry.is_usable && entry.key == key) {
            return &entry.value;
        }
    }
    return nullptr;
}

const YAML::Node* Fields::require(std::string_view key) const {
    const YAML::Node* value = get(key);
    if (value == nullptr && is_mapping_ && !was_written(key)) {
        ctx_.error(node_, "missing `" + std::string(key) + "` in " + section_);
    }
    return value;
}

void Fields::with(std::string_view key, const std::function<void(const YAML::Node&)>& use) const {
    if (const YAML::Node* value = get(key)) {
        LoadContext::KeyScope scope(ctx_, key);
        use(*value);
    }
}

bool Fields::for_each(std::string_view key, const std::function<void(const YAML::Node&)>& each,
                      std::string_view if_empty) const {
    const YAML::Node* value = get(key);
    if (value == nullptr) {
        return false;
    }
    LoadContext::KeyScope scope(ctx_, key);
    bool is_list = for_each_item(ctx_, *value, each);
    if (is_list && value->size() == 0 && !if_empty.empty()) {
        ctx_.error(*value, std::string(if_empty));
    }
    return is_list;
}

bool Fields::for_each_section(std::string_view key,
                              const std::function<void(const YAML::Node&)>& each) const {
    const YAML::Node* value = get(key);
    if (value == nullptr) {
        return false;
    }
    if (!value->IsSequence()) {
        LoadContext::KeyScope scope(ctx_, key);
        return for_each_item(ctx_, *value, each);  // reports the type
    }
    return for_each_item(ctx_, *value, each);
}

bool Fields::was_written(std::string_view key) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [key](const Entry& entry) { return entry.key == key; });
}

std::optional<std::string> read_string(LoadContext& ctx, const YAML::Node& node) {
    return scalar_text(ctx, node, "a string");
}

std::optional<std::string> read_name(LoadContext& ctx, const YAML::Node& node) {
    auto text = read_string(ctx, node);
    if (text && text->empty()) {
        ctx.error(node, "must not be empty");
        return std::nullopt;
    }
    return text;
}

std::optional<std::string> read_identifier(LoadContext& ctx, const YAML::Node& node) {
    auto text = read_name(ctx, node);
    auto is_name_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    };
    if (text && !std::all_of(text->begin(), text->end(), is_name_char)) {
        ctx.error(node, "invalid name `" + *text + "`: use letters, digits, `_`, `-` and `.` only");
        return std::nullopt;
    }
    return text;
}

std::optional<bool> read_bool(LoadContext& ctx, const YAML::Node& node) {
    auto text = scalar_text(ctx, node, "true or false");
    if (!text) {
        return std::nullopt;
    }
    // YAML 1.2 core schema spellings only; yes/no/on/off are too easy to write by accident.
    if (*text == "true" || *text == "True" || *text == "TRUE") {
        return true;
    }
    if (*text == "false" || *text == "False" || *text == "FALSE") {
        return false;
    }
    ctx.error(node, "expected true or false, got `" + *text + "`");
    return std::nullopt;
}

std::optional<uint64_t> read_uint(LoadContext& ctx, const YAML::Node& node, uint64_t min,
                                  uint64_t max) {
    auto text = scalar_text(ctx, node, "a whole number");
    if (!text) {
        return std::nullopt;
    }
    // Digits only, so "-1", "1.5" and "0x10" are refused rather than read approximately.
    if (!is_whole_number(*text) || text->size() > 19) {
        if (!text->empty() && text->front() == '-' && is_whole_number(text->substr(1))) {
            ctx.error(node, "must not be negative, got `" + *text + "`");
        } else {
            ctx.error(node, "expected a whole number, got `" + *text + "`");
        }
        return std::nullopt;
    }
    uint64_t value = std::stoull(*text);
    if (value < min || value > max) {
        ctx.error(node, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                            ", got " + *text);
        return std::nullopt;
    }
    return value;
}

std::optional<Duration> read_duration(LoadContext& ctx, const YAML::Node& node) {
    auto text = scalar_text(ctx, node, "a duration (e.g. 10s)");
    if (!text) {
        return std::nullopt;
    }
    if (auto value = parse_duration(*text)) {
        return value;
    }
    if (!text->empty() && text->front() == '-') {
        ctx.error(node, "duration must not be negative, got `" + *text + "`");
    } else if (is_whole_number(*text)) {
        ctx.error(node, "`" + *text + "` needs a unit: " + *text + "ms, " + *text + "s, " + *text +
                            "m or " + *text + "h");
    } else {
        ctx.error(node, "invalid duration `" + *text +
                            "`: expected a whole number with a unit ms, s, m or h (e.g. 250ms, "
                            "10s), at most 8760h");
    }
    return std::nullopt;
}

std::optional<Duration> read_positive_duration(LoadContext& ctx, const YAML::Node& node) {
    auto value = read_duration(ctx, node);
    if (value && value->count() == 0) {
        ctx.error(node, "must be greater than 0");
        return std::nullopt;
    }
    return value;
}

std::optional<uint64_t> read_size(LoadContext& ctx, const YAML::Node& node) {
    auto text = scalar_text(ctx, node, "a size (e.g. 8KiB)");
    if (!text) {
        return std::nullopt;
    }
    if (auto value = parse_size(*text)) {
        return value;
    }
    if (!text->empty() && text->front() == '-') {
        ctx.error(node, "size must not be negative, got `" + *text + "`");
    } else {
        ctx.error(node, "invalid size `" + *text +
                            "`: expected bytes or a whole number with KiB, MiB or GiB (e.g. 8KiB)");
    }
    return std::nullopt;
}

std::optional<HostPort> read_host_port(LoadContext& ctx, const YAML::Node& node) {
    auto text = scalar_text(ctx, node, "an address (HOST:PORT)");
    if (!text) {
        return std::nullopt;
    }
    auto value = parse_host_port(*text);
    if (!value) {
        ctx.error(node, "invalid address `" + *text +
                            "`: expected HOST:PORT with an IP address or a name and a port "
                            "1-65535 (e.g. 10.0.0.1:8080, [::1]:8080, api.internal:8080)");
    }
    return value;
}

bool for_each_item(LoadContext& ctx, const YAML::Node& node,
                   const std::function<void(const YAML::Node&)>& each) {
    if (!node.IsSequence()) {
        ctx.error(node, std::string("expected a list, got ") + kind_of(node));
        return false;
    }
    for (const auto& item : node) {
        each(item);
    }
    return true;
}

bool for_each_entry(LoadContext& ctx, const YAML::Node& node,
                    const std::function<void(const YAML::Node&, const YAML::Node&)>& each) {
    if (!node.IsMap()) {
        ctx.error(node, std::string("expected a mapping, got ") + kind_of(node));
        return false;
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar()) {
            ctx.error(it->first, std::string("expected a name, got ") + kind_of(it->first));
            continue;
        }
        each(it->first, it->second);
    }
    return true;
}

std::shared_ptr<const re2::RE2> compile_regex(LoadContext& ctx, const YAML::Node& at,
                                              const std::string& pattern) {
    RE2::Options options;
    options.set_log_errors(false);  // the error goes into the diagnostic instead of stderr
    auto regex = std::make_shared<const re2::RE2>(pattern, options);
    if (!regex->ok()) {
        ctx.error(at, "invalid regex `" + pattern + "`: " + regex->error());
        return nullptr;
    }
    return regex;
}

void report_bad_choice(LoadContext& ctx, const YAML::Node& node, const std::string& word,
                       const std::vector<std::string_view>& expected,
                       std::initializer_list<std::string_view> not_yet) {
    if (contains(not_yet, word)) {
        ctx.error(node, word + " is not supported yet");
        return;
    }
    std::string list;
    for (std::string_view choice : expected) {
        list += (list.empty() ? "" : ", ") + std::string(choice);
    }
    ctx.error(node, "unknown value `" + word + "`: expected " +
                        (expected.size() == 1 ? "" : "one of ") + list);
}

}  // namespace gantry::config
