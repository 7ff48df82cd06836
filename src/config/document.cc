// Turns one file's text into its YAML document, with syntax errors as diagnostics.

#include <sstream>

#include <yaml-cpp/eventhandler.h>

#include "reader.h"

namespace gantry::config {

namespace {

// Records where each document starts and builds nothing.
class DocumentStarts final : public YAML::EventHandler {
public:
    std::vector<YAML::Mark> starts;

    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }

    void OnDocumentEnd() override {}

    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}

    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}

    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}

    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}

    void OnSequenceEnd() override {}

    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}

    void OnMapEnd() override {}
};

bool same_place(const YAML::Mark& a, const YAML::Mark& b) {
    return a.pos == b.pos;
}

Mark to_mark(const LoadContext& ctx, const YAML::Mark& at) {
    if (at.is_null()) {
        return Mark{ctx.file(), 0, 0};
    }
    return Mark{ctx.file(), at.line + 1, at.column + 1};
}

// Reports a second document, which gantry would otherwise ignore. The documents are counted
// with the bare parser and at most three are asked for, because on some malformed input (a
// stray `,` after a document) yaml-cpp 0.7 returns the same empty document forever and
// YAML::LoadAll never ends (jbeder/yaml-cpp#1040, fixed upstream after 0.8). That case shows as
// a document starting where the one before it started, reported as a syntax error (false).
bool check_one_document(LoadContext& ctx, const std::string& text) {
    std::istringstream input(text);
    YAML::Parser parser(input);
    DocumentStarts handler;
    for (int i = 0; i < 3 && parser.HandleNextDocument(handler); ++i) {
    }
    const auto& starts = handler.starts;
    for (size_t i = 1; i < starts.size(); ++i) {
        if (same_place(starts[i], starts[i - 1])) {
            ctx.error(to_mark(ctx, starts[i]), "YAML syntax error: unexpected text");
            return false;
        }
    }
    if (starts.size() > 1) {
        ctx.error(to_mark(ctx, starts[1]),
                  "a config file holds one YAML document; found another here");
    }
    return true;
}

}  // namespace

std::optional<YAML::Node> parse_document(LoadContext& ctx, const std::string& text) {
    try {
        YAML::Node root = YAML::Load(text);  // the first document only
        return check_one_document(ctx, text) ? std::optional(root) : std::nullopt;
    } catch (const YAML::Exception& e) {
        ctx.error(to_mark(ctx, e.mark), "YAML syntax error: " + e.msg);
        return std::nullopt;
    }
}

}  // namespace gantry::config
