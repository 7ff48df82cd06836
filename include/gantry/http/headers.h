#pragma once

// HeaderMap: an ordered list of header fields whose bytes live in a memory resource (the
// stream's arena), so building and editing a request's headers does not touch the global heap.
// Owned by the RequestHead/ResponseHead that holds it; touched only by the worker thread that
// owns the stream. Names keep the case they arrived with; lookups are case-insensitive.

#include <algorithm>
#include <cstdint>
#include <memory_resource>
#include <string_view>
#include <vector>

namespace gantry::http {

// Well-known header names, interned at parse time so hot-path lookups compare a byte.
enum class HeaderId : uint8_t {
    Other = 0,
    Host,
    ContentLength,
    TransferEncoding,
    Connection,
    KeepAlive,
    ProxyConnection,
    Te,
    Trailer,
    Upgrade,
    Expect,
    XForwardedFor,
    XForwardedProto,
    XRequestId,
    UserAgent,
    Referer,
    ContentType,
    Location,
    Server,
    Date,
    ProxyAuthenticate,
    ProxyAuthorization,
    Count,
};

// Returns the id for a header name, matched case-insensitively; HeaderId::Other when unknown.
// Costs a length switch and one or two word compares: cheap enough to call once per field.
HeaderId header_id(std::string_view name);

// Returns the canonical lower-case spelling of a well-known id ("" for Other).
std::string_view header_name(HeaderId id);

// True when a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

namespace detail {
struct Http1ParserState;
}  // namespace detail

struct HeaderField {
    std::string_view name;
    std::string_view value;
    HeaderId id = HeaderId::Other;
};

// Bytes copied in by add()/set()/store() are owned by the map: they stay valid until the map is
// destroyed (clear() and remove() keep them, so views taken earlier stay valid) and are given back
// to the memory resource then, which costs nothing for an arena and keeps heap-backed maps
// leak-free. Moving a map moves its bytes; copying deep-copies the fields into the source's
// memory resource. The resource must outlive the map.
class HeaderMap {
public:
    explicit HeaderMap(std::pmr::memory_resource* mr = std::pmr::get_default_resource());
    ~HeaderMap();
    HeaderMap(const HeaderMap& other);
    HeaderMap(HeaderMap&& other) noexcept;
    HeaderMap& operator=(const HeaderMap& other);
    HeaderMap& operator=(HeaderMap&& other);

    // Appends a field, copying name and value into the memory resource.
    void add(std::string_view name, std::string_view value);

    // Appends a field whose bytes already live at least as long as this map (static strings or
    // bytes already in the same arena).
    void add_unowned(std::string_view name, std::string_view value, HeaderId id);

    // Replaces every field called `name` by one field with `value` (added when absent).
    void set(std::string_view name, std::string_view value);

    // Removes every field called `name`; returns how many were removed.
    size_t remove(std::string_view name);
    size_t remove(HeaderId id);

    // Removes every field for which pred(field) is true in one pass, keeping the others' order;
    // returns how many were removed. The bytes stay owned by the map.
    template <typename Pred>
    size_t remove_if(Pred pred) {
        auto tail = std::remove_if(fields_.begin(), fields_.end(), pred);
        auto removed = static_cast<size_t>(fields_.end() - tail);
        fields_.erase(tail, fields_.end());
        return removed;
    }

    // The first field with this name or id, or nullptr.
    const HeaderField* get(std::string_view name) const;
    const HeaderField* get(HeaderId id) const;

    // Number of fields named `name` or with id `id`.
    size_t count(HeaderId id) const;

    const std::vector<HeaderField, std::pmr::polymorphic_allocator<HeaderField>>& fields() const {
        return fields_;
    }

    auto begin() const { return fields_.begin(); }

    auto end() const { return fields_.end(); }

    size_t size() const { return fields_.size(); }

    bool empty() const { return fields_.empty(); }

    void clear() { fields_.clear(); }

    // Room for `count` fields up front: a head grown one field at a time from an arena leaves
    // each outgrown array behind and copies the fields at every doubling.
    void reserve(size_t count) { fields_.reserve(count); }

    // Copies `text` into this map's memory resource and returns a view of the copy.
    std::string_view store(std::string_view text);

    std::pmr::memory_resource* resource() const { return mr_; }

private:
    // The HTTP/1 parser appends fields that still view its input and copies their bytes in one
    // block once the head (or the input) ends; see http1_parser.cc.
    friend struct detail::Http1ParserState;

    struct OwnedBlock;

    char* allocate_owned(size_t size);
    void release_owned();
    void copy_fields_from(const HeaderMap& other);

    std::pmr::memory_resource* mr_;
    std::vector<HeaderField, std::pmr::polymorphic_allocator<HeaderField>> fields_;
    OwnedBlock* owned_ = nullptr;  // singly linked list of the byte blocks this map owns
};

}  // namespace gantry::http
