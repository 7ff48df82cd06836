// Checks that span sections and files, run once every file is read: unique names and listen
// addresses, references that resolve, one default virtual host and unambiguous domains per
// listener.

#include <map>
#include <string>

#include "draft.h"
#include "values.h"

namespace gantry::config {

namespace {

// Where each name was first defined; reports the later duplicates.
template <typename Item, typename Marks, typename MarkOf>
std::map<std::string, const Item*> index_names(LoadContext& ctx, const std::vector<Item>& items,
                                               const std::vector<Marks>& marks, MarkOf mark_of,
                                               const std::string& kind) {
    std::map<std::string, const Item*> index;
    std::map<std::string, Mark> first;
    for (size_t i = 0; i < items.size(); ++i) {
        const std::string& name = items[i].name;
        if (name.empty()) {
            continue;  // a missing or invalid name was reported where it was read
        }
        const Mark& mark = mark_of(marks[i]);
        auto [it, is_new] = first.emplace(name, mark);
        if (!is_new) {
            ctx.error(mark, "duplicate " + kind + " name `" + name + "` (first defined at " +
                                to_string(it->second) + ")");
            continue;
        }
        index.emplace(name, &items[i]);
    }
    return index;
}

void check_listen_addresses(LoadContext& ctx, const Draft& draft) {
    std::map<std::string, std::pair<const ListenerConfig*, Mark>> seen;
    for (size_t i = 0; i < draft.snapshot.listeners.size(); ++i) {
        const ListenerConfig& listener = draft.snapshot.listeners[i];
        for (size_t j = 0; j < listener.listen.size(); ++j) {
            const HostPort& address = listener.listen[j];
            const Mark& mark = draft.listener_marks[i].listen[j];
            auto [it, is_new] = seen.emplace(address_key(address), std::pair{&listener, mark});
            if (!is_new) {
                ctx.error(mark, "listen address `" + address.text +
                                    "` is already used by "
                                    "listener `" +
                                    it->second.first->name + "` at " +
                                    to_string(it->second.second));
            }
        }
    }
}

// Domains of the listener's virtual hosts must not overlap: which host would win is otherwise
// decided by the order of a list, which nobody reads that closely.
void check_listener_hosts(LoadContext& ctx, const Draft& draft, size_t index,
                          const std::map<std::string, const VirtualHostConfig*>& hosts) {
    const ListenerConfig& listener = draft.snapshot.listeners[index];
    const ListenerMarks& marks = draft.listener_marks[index];
    const VirtualHostConfig* default_host = nullptr;
    std::map<std::string, const VirtualHostConfig*> domains;
    for (size_t i = 0; i < listener.virtual_hosts.size(); ++i) {
        auto found = hosts.find(listener.virtual_hosts[i]);
        if (found == hosts.end()) {
            ctx.error(marks.virtual_hosts[i],
                      "listener `" + listener.name + "` names virtual host `" +
                          listener.virtual_hosts[i] + "`, which is not defined");
            continue;
        }
        const VirtualHostConfig* host = found->second;
        if (host->is_default && default_host != nullptr) {
            ctx.error(marks.virtual_hosts[i],
                      "listener `" + listener.name + "` has more than one default virtual host: `" +
                          default_host->name + "` and `" + host->name + "`");
        } else if (host->is_default) {
            default_host = host;
        }
        size_t host_index = static_cast<size_t>(host - draft.snapshot.virtual_hosts.data());
        const VirtualHostMarks& host_marks = draft.virtual_host_marks[host_index];
        for (size_t d = 0; d < host->domains.size(); ++d) {
            auto [it, is_new] = domains.emplace(host->domains[d], host);
            if (!is_new) {
                ctx.error(host_marks.domains[d], "domain `" + host->domains[d] +
                                                     "` of virtual host `" + host->name +
                                                     "` is also served by `" + it->second->name +
                                                     "` on listener `" + listener.name + "`");
            }
        }
    }
}

void check_cluster_references(LoadContext& ctx, const Draft& draft,
                              const std::map<std::string, const ClusterConfig*>& clusters) {
    for (const Reference& reference : draft.cluster_references) {
        if (clusters.find(reference.name) == clusters.end()) {
            ctx.error(reference.mark,
                      "route forwards to cluster `" + reference.name + "`, which is not defined");
        }
    }
}

}  // namespace

void validate(LoadContext& ctx, const Draft& draft) {
    const ConfigSnapshot& snapshot = draft.snapshot;
    index_names(
        ctx, snapshot.listeners, draft.listener_marks,
        [](const ListenerMarks& m) -> const Mark& { return m.name; }, "listener");
    auto hosts = index_names(
        ctx, snapshot.virtual_hosts, draft.virtual_host_marks,
        [](const VirtualHostMarks& m) -> const Mark& { return m.name; }, "virtual host");
    auto clusters = index_names(
        ctx, snapshot.clusters, draft.cluster_marks, [](const Mark& m) -> const Mark& { return m; },
        "cluster");
    check_listen_addresses(ctx, draft);
    for (size_t i = 0; i < snapshot.listeners.size(); ++i) {
        check_listener_hosts(ctx, draft, i, hosts);
    }
    check_cluster_references(ctx, draft, clusters);
}

}  // namespace gantry::config
